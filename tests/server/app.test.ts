import { describe, expect, it } from 'vitest';
import { buildServer } from '../../server/app.ts';
import { configFromEnv } from '../../server/config.ts';

describe('server', () => {
  it('answers /api/health over real HTTP on 127.0.0.1', async () => {
    const app = await buildServer({});
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${address}/api/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, name: 'lantern-studio' });
    } finally {
      await app.close();
    }
  });

  it('binds to loopback by default and takes the port from LANTERN_PORT', () => {
    expect(configFromEnv({})).toMatchObject({ host: '127.0.0.1', port: 5174 });
    expect(configFromEnv({ LANTERN_PORT: '9000' }).port).toBe(9000);
    expect(() => configFromEnv({ LANTERN_PORT: 'abc' })).toThrow(/LANTERN_PORT/);
  });

  it('refuses a non-loopback interface without a token, and then requires the token', async () => {
    expect(() => configFromEnv({ LANTERN_HOST: '0.0.0.0' })).toThrow(/LANTERN_API_TOKEN/);
    const app = await buildServer({ apiToken: 's3cret-s3cret-s3cret' });
    try {
      expect((await app.inject({ url: '/api/health' })).statusCode).toBe(401);
      const ok = await app.inject({ url: '/api/health', headers: { authorization: 'Bearer s3cret-s3cret-s3cret' } });
      expect(ok.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
