// The one server process: the built studio and the /api routes, from one origin.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fastifyStatic from '@fastify/static';
import { CROSS_ORIGIN_ISOLATION } from './isolation.ts';
import { existsSync } from 'node:fs';
import type { ServerConfig } from './config.ts';
import { checkApiToken, installGuards, markRoutesPublic } from './http-guards.ts';
import { teacherOptionsFromEnv, type TeacherOptions } from './teacher/config.ts';
import { teacherRoutes } from './teacher/routes.ts';

export interface BuildOptions extends Partial<ServerConfig> {
  /** Log requests (off in tests); pino options (e.g. a stream) are passed through. */
  logger?: FastifyServerOptions['logger'];
  /** Teacher proxy settings; default: from the environment (the offline teacher unless configured). */
  teacher?: TeacherOptions;
  timeouts?: {
    /** Receiving one whole request, body included (default 60 s): a body that never arrives in full is cut off. */
    requestMs?: number;
    /** A connection with no traffic either way (default 120 s); a running label stream is exempt. */
    idleMs?: number;
  };
}

export async function buildServer(opts: BuildOptions = {}): Promise<FastifyInstance> {
  if (opts.apiToken !== undefined) checkApiToken(opts.apiToken);
  const requestMs = opts.timeouts?.requestMs ?? 60_000;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 8 * 1024 * 1024,
    requestTimeout: requestMs,
    connectionTimeout: opts.timeouts?.idleMs ?? 120_000,
    // Node checks request timeouts on this interval (30 s by default, too coarse for short limits).
    http: { headersTimeout: Math.min(60_000, requestMs), connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(requestMs / 4))) },
  });
  const teacher = opts.teacher ?? teacherOptionsFromEnv();
  // Cross-origin isolation (isolation.ts): the WASM backend's threads share memory with the page's workers.
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [name, value] of Object.entries(CROSS_ORIGIN_ISOLATION)) reply.header(name, value);
    return payload;
  });
  installGuards(app, { apiToken: opts.apiToken, allowedOrigins: teacher.allowedOrigins });

  await app.register(teacherRoutes, { teacher });

  app.get('/api/health', async () => ({ ok: true, name: 'lantern-studio', version: process.env.npm_package_version ?? '0.1.0' }));

  const distDir = opts.distDir;
  if (distDir && existsSync(distDir)) {
    await app.register(async (scope) => {
      markRoutesPublic(scope);
      await scope.register(fastifyStatic, { root: distDir, index: ['index.html'] });
    });
    // Client-side routes (e.g. /system) get the app shell; unknown /api paths stay 404s.
    app.setNotFoundHandler((req, reply) => {
      if (req.method === 'GET' && !req.url.startsWith('/api/')) return reply.sendFile('index.html');
      return reply.code(404).send({ error: `No route ${req.method} ${req.url.split('?')[0]}` });
    });
  }
  return app;
}
