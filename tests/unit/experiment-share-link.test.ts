import { describe, expect, it } from 'vitest';
import { deflateSync } from 'fflate';
import { defaultExperiment, parseExperiment, type ExperimentConfig } from '../../src/experiment/schema.ts';
import { ShareLinkError, crc32, decodeShareLink, encodeShareLink } from '../../src/experiment/share-link.ts';

const custom = (): ExperimentConfig =>
  parseExperiment({
    name: 'staged',
    seed: 42,
    dataset: { id: 'ds-7', contentHash: 'ab'.repeat(32) },
    teacher: { provider: 'openai', model: 'qwen2.5-7b-instruct', baseUrl: 'http://127.0.0.1:8000/v1' },
    seedSet: { policy: 'review-file', path: 'reviews.jsonl' },
    stages: [
      { id: 'mid', task: 'explain', student: { preset: 'base', lora: { rank: 4 } }, loss: { divergence: 'jsd', param: 0.3, temperature: 2 } },
      { id: 'small', task: 'explain', source: 'mid', loss: { divergence: 'tvd', wCe: 0.5 } },
      { id: 'cls', task: 'classify', student: { pooling: 'mean' } },
    ],
    sweep: { params: [{ path: 'stages.1.loss.divergence', values: ['tvd', 'fkl'] }], seeds: [1, 2] },
  }).config;

/** Build a link body the way encodeShareLink does, from arbitrary JSON. */
function linkFor(json: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(json));
  const body = deflateSync(bytes);
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(bytes));
  return '#x=' + btoa(String.fromCharCode(...out)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function shareError(link: string): ShareLinkError {
  try {
    decodeShareLink(link);
  } catch (e) {
    expect(e).toBeInstanceOf(ShareLinkError);
    return e as ShareLinkError;
  }
  throw new Error(`expected ${link.slice(0, 40)}… to be rejected`);
}

describe('share links', () => {
  it('round-trip an experiment exactly (encode → decode equals the config)', () => {
    for (const config of [defaultExperiment(), custom()]) {
      const link = encodeShareLink(config);
      expect(link).toMatch(/^#x=[A-Za-z0-9_-]+$/);
      const decoded = decodeShareLink(link);
      expect(decoded.config).toEqual(config);
      expect(decoded.warnings).toEqual([]);
      expect(decoded.summary).toBeUndefined();
    }
  });

  it('accept a full URL, a hash or a bare body', () => {
    const link = encodeShareLink(custom());
    expect(decodeShareLink(`https://studio.example/#${link.slice(1)}`).config.name).toBe('staged');
    expect(decodeShareLink(link.slice(1)).config.name).toBe('staged');
  });

  it('carry an optional results summary, rounded to 4 significant digits', () => {
    const link = encodeShareLink(custom(), { summary: { small: { rougeL: 0.4123456, macroF1: 0.8 }, mid: { rougeL: 0.45 } } });
    expect(link).toMatch(/^#x=[A-Za-z0-9_-]+&s=[A-Za-z0-9_-]+$/);
    expect(decodeShareLink(link).summary).toEqual({ small: { rougeL: 0.4123, macroF1: 0.8 }, mid: { rougeL: 0.45 } });
    expect(() => encodeShareLink(custom(), { summary: { small: { rougeL: Number.NaN } } })).toThrow(ShareLinkError);
  });

  it('encode only the fields that differ from the defaults', () => {
    const defaultLink = encodeShareLink(defaultExperiment());
    expect(defaultLink.length).toBeLessThan(40);
    const one = encodeShareLink(parseExperiment({ seed: 3 }).config);
    expect(decodeShareLink(one).config).toEqual({ ...defaultExperiment(), seed: 3 });
  });

  it('fill defaults and ignore unknown keys (with warnings) in links from elsewhere', () => {
    const decoded = decodeShareLink(linkFor({ version: 1, seed: 5, futureFeature: { x: 1 }, stages: [{ id: 'a', task: 'explain', shiny: true }] }));
    expect(decoded.config.seed).toBe(5);
    expect(decoded.config.stages[0]!.loss.divergence).toBe('fkl');
    expect(decoded.warnings.map((w) => w.path).sort()).toEqual(['futureFeature', 'stages.0.shiny']);
  });

  it('never carry an API key', () => {
    const decoded = decodeShareLink(linkFor({ version: 1, teacher: { provider: 'openai', apiKey: 'sk-secret' } }));
    expect(JSON.stringify(decoded.config)).not.toContain('sk-secret');
    expect(encodeShareLink(decoded.config)).toBe(encodeShareLink(parseExperiment({ teacher: { provider: 'openai' } }).config));
  });

  it('reject truncated links', () => {
    const link = encodeShareLink(custom());
    for (const cut of [1, 2, 5, 10, Math.floor(link.length / 2)]) {
      expect(shareError(link.slice(0, link.length - cut)).message).toMatch(/damaged|truncated|never has/);
    }
  });

  it('reject tampered links: any single changed character', () => {
    const link = encodeShareLink(custom());
    const body = link.slice(3);
    let rejected = 0;
    for (let i = 0; i < body.length; i++) {
      const swapped = body[i] === 'A' ? 'B' : 'A';
      const tampered = `#x=${body.slice(0, i)}${swapped}${body.slice(i + 1)}`;
      try {
        decodeShareLink(tampered);
      } catch (e) {
        expect(e).toBeInstanceOf(ShareLinkError);
        rejected++;
      }
    }
    expect(rejected).toBe(body.length);
  });

  it('reject garbage, missing parts and links to invalid experiments with a clear ShareLinkError', () => {
    expect(shareError('').message).toMatch(/no "x=" part/);
    expect(shareError('#y=abc').message).toMatch(/no "x=" part/);
    expect(shareError('#x=').message).toMatch(/empty/);
    expect(shareError('#x=!!!not-base64!!!').message).toMatch(/never has/);
    expect(shareError('#x=aGVsbG8gd29ybGQ').message).toMatch(/damaged|truncated/);
    expect(shareError(linkFor('just a string')).message).toMatch(/invalid experiment/);
    const invalid = shareError(linkFor({ version: 1, stages: [{ id: 'a', task: 'explain', loss: { divergence: 'jsd', param: 0 } }] }));
    expect(invalid.issues.map((i) => i.path)).toEqual(['stages.0.loss.param']);
    expect(shareError(linkFor({ version: 2 })).message).toMatch(/newer Lantern Studio/);
    const summaryBroken = `${encodeShareLink(custom())}&s=AAAA`;
    expect(shareError(summaryBroken).message).toMatch(/summary/);
  });
});
