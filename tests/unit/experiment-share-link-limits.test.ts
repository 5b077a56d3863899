// Hostile and damaged share links: a decompression bomb is never inflated past the size cap, and a
// link cut at the "&" between the experiment and its summary says that the summary is missing.
import { beforeEach, describe, expect, it, vi } from 'vitest';

// Counts every byte fflate inflates for the code under test, whichever of its APIs it uses.
const inflated = vi.hoisted(() => ({ bytes: 0 }));
vi.mock('fflate', async (importOriginal) => {
  const real = await importOriginal<typeof import('fflate')>();
  class CountingInflate extends real.Inflate {
    constructor(cb?: (chunk: Uint8Array, final: boolean) => void) {
      super((chunk, final) => {
        inflated.bytes += chunk.length;
        cb?.(chunk, final);
      });
    }
  }
  return {
    ...real,
    Inflate: CountingInflate,
    inflateSync: (data: Uint8Array, opts?: object) => {
      const out = real.inflateSync(data, opts);
      inflated.bytes += out.length;
      return out;
    },
  };
});

const { deflateSync } = await import('fflate');
const { parseExperiment } = await import('../../src/experiment/schema.ts');
const { ShareLinkError, crc32, decodeShareLink, encodeShareLink } = await import('../../src/experiment/share-link.ts');

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

beforeEach(() => {
  inflated.bytes = 0;
});

describe('share link limits', () => {
  it('stops inflating a decompression bomb at the cap instead of inflating it whole', () => {
    // 8 MB of spaces deflate to about 8 KB: a link short enough to be read at all.
    const bomb = new Uint8Array(8_000_000).fill(0x20);
    const body = deflateSync(bomb, { level: 9 });
    const bytes = new Uint8Array(body.length + 4);
    bytes.set(body);
    new DataView(bytes.buffer).setUint32(body.length, crc32(bomb));
    const link = `#x=${base64Url(bytes)}`;
    expect(link.length).toBeLessThan(32_768);

    let error: unknown;
    try {
      decodeShareLink(link);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShareLinkError);
    expect((error as Error).message).toMatch(/too large: it inflates to more than 524288 bytes/);
    // The cap (512 KiB) plus at most one inflation step, never the 8 MB.
    expect(inflated.bytes).toBeLessThan(1024 * 1024);
  });

  it('says so when a link is cut at the "&" before its summary, and still opens the experiment', () => {
    const { config } = parseExperiment({ name: 'cut', stages: [{ id: 'explainer', task: 'explain' }] });
    const link = encodeShareLink(config, { summary: { explainer: { rougeL: 0.41 } } });
    const whole = decodeShareLink(link);
    expect(whole.summary).toEqual({ explainer: { rougeL: 0.41 } });
    expect(whole.warnings).toEqual([]);

    for (const cut of [link.slice(0, link.indexOf('&')), link.slice(0, link.indexOf('&') + 1)]) {
      const decoded = decodeShareLink(cut);
      expect(decoded.config.name).toBe('cut');
      expect(decoded.summary).toBeUndefined();
      expect(decoded.warnings).toEqual([{ path: '(link)', message: expect.stringMatching(/cut short .* results summary is missing/) }]);
    }
  });

  it('gives no such warning for a link that never had a summary, or for an older link', () => {
    const { config } = parseExperiment({ name: 'plain' });
    expect(decodeShareLink(encodeShareLink(config)).warnings).toEqual([]);
    // An older link: the CRC covers the JSON alone even though a summary follows.
    const json = new TextEncoder().encode(JSON.stringify({ version: 1, name: 'old' }));
    const body = deflateSync(json);
    const bytes = new Uint8Array(body.length + 4);
    bytes.set(body);
    new DataView(bytes.buffer).setUint32(body.length, crc32(json));
    expect(decodeShareLink(`#x=${base64Url(bytes)}`).warnings).toEqual([]);
  });
});
