// The server as an attacker meets it, over raw HTTP on 127.0.0.1: the token cannot be walked
// around with percent-encoded or absolute-form request lines, weak tokens are refused at start-up,
// the Host (DNS-rebinding) and Origin checks cover every route, and hostile bodies (deep nesting,
// a body shorter than its Content-Length) get a 400 or a closed connection instead of a 500 or a
// connection held open forever.
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer, type BuildOptions } from '../../server/app.ts';
import { configFromEnv } from '../../server/config.ts';
import { teacherOptions, tempDir } from './helpers/teacher-server.ts';

const TOKEN = 'tok-0123456789abcdef-hardening';

let tmp: ReturnType<typeof tempDir>;
let app: FastifyInstance | undefined;

beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  tmp.remove();
});

async function start(opts: Partial<BuildOptions> = {}): Promise<{ port: number }> {
  const distDir = join(tmp.dir, 'dist');
  mkdirSync(distDir, { recursive: true });
  writeFileSync(join(distDir, 'index.html'), '<!doctype html><title>Lantern</title>');
  writeFileSync(join(distDir, 'app.js'), 'console.log("app")');
  app = await buildServer({ teacher: teacherOptions(tmp.dir, undefined).options, distDir, ...opts });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: Number(new URL(url).port) };
}

interface RawResponse {
  status: number;
  body: string;
  /** True when the server closed the connection. */
  closed: boolean;
}

/** Writes `request` to a fresh connection and reads until the server closes it. */
function raw(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4), closed: true });
    });
  });
}

const get = (target: string, headers: Record<string, string> = {}) =>
  `GET ${target} HTTP/1.1\r\n${Object.entries({ host: '127.0.0.1', connection: 'close', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

describe('the API token', () => {
  it('cannot be bypassed with percent-encoded paths or absolute-form request lines', async () => {
    const { port } = await start({ apiToken: TOKEN });
    const spellings = ['/api/health', '/%61pi/health', '/api/%68ealth', '/%61%70%69/teacher/info', `http://127.0.0.1:${port}/api/health`, `http://evil.example/api/teacher/info`];
    for (const target of spellings) {
      const refused = await raw(port, get(target));
      expect({ target, status: refused.status }).toEqual({ target, status: 401 });
      const allowed = await raw(port, get(target, { authorization: `Bearer ${TOKEN}` }));
      expect({ target, status: allowed.status }).toEqual({ target, status: 200 });
    }
    expect((await raw(port, get('/api/health', { authorization: 'Bearer wrong-token-0123456789' }))).status).toBe(401);
  });

  it('is not needed for the static app itself', async () => {
    const { port } = await start({ apiToken: TOKEN });
    expect((await raw(port, get('/'))).status).toBe(200);
    const script = await raw(port, get('/app.js'));
    expect(script.status).toBe(200);
    expect(script.body).toContain('console.log');
  });

  it('must be at least 16 printable characters: blank and short tokens are refused at start-up', async () => {
    for (const token of ['   ', '\t', 'short', '0123456789abcde', 'sixteen chars ok']) {
      expect(() => configFromEnv({ LANTERN_HOST: '0.0.0.0', LANTERN_API_TOKEN: token })).toThrow(/LANTERN_API_TOKEN must be at least 16 printable characters without spaces/);
      await expect(buildServer({ apiToken: token, teacher: teacherOptions(tmp.dir, undefined).options })).rejects.toThrow(/at least 16/);
    }
    expect(() => configFromEnv({ LANTERN_HOST: '0.0.0.0', LANTERN_API_TOKEN: '   ' })).toThrow(/a blank one/);
    expect(configFromEnv({ LANTERN_HOST: '0.0.0.0', LANTERN_API_TOKEN: TOKEN }).apiToken).toBe(TOKEN);
  });
});

describe('Host and Origin checks', () => {
  it('refuse a rebinding Host name on every route, not only the teacher routes', async () => {
    const { port } = await start();
    for (const target of ['/api/health', '/api/teacher/info', '/', '/app.js', '/no-such-page']) {
      const rebound = await raw(port, get(target, { host: 'evil.example:5174' }));
      expect({ target, status: rebound.status }).toEqual({ target, status: 403 });
      expect(rebound.body).toMatch(/only as localhost/);
      expect({ target, status: (await raw(port, get(target, { host: `localhost:${port}` }))).status }).not.toEqual({ target, status: 403 });
    }
  });

  it('refuse foreign browser origins on every API route', async () => {
    const { port } = await start();
    const foreign = await raw(port, get('/api/health', { origin: 'https://evil.example' }));
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatch(/origin https:\/\/evil\.example are not allowed/);
    expect((await raw(port, get('/api/health', { origin: `http://127.0.0.1` }))).status).toBe(200);
  });
});

describe('hostile bodies', () => {
  it('a deeply nested JSON body is a 400 with a reason, not a 500', async () => {
    const { port } = await start();
    for (const body of [`{"pairs":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`, `{"pairs":[${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}]}`]) {
      const res = await fetch(`http://127.0.0.1:${port}/api/teacher/label`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatch(/nested more than 64 levels deep; at most 64/);
    }
  });

  it('a body shorter than its Content-Length is cut off by the request timeout instead of holding the connection', async () => {
    const { port } = await start({ timeouts: { requestMs: 300 } });
    const partial = `POST /api/teacher/label HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"pairs": [`;
    const res = await raw(port, partial);
    expect(res.closed).toBe(true);
    expect(res.status).toBe(408);
  });

  it('an idle connection that never sends a request is closed too', async () => {
    const { port } = await start({ timeouts: { requestMs: 300, idleMs: 300 } });
    const res = await raw(port, 'GET /api/health HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    expect(res.closed).toBe(true);
  });
});
