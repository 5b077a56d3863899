// The one server process: the built studio and the /api routes, from one origin.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import type { ServerConfig } from './config.ts';
import { teacherOptionsFromEnv, type TeacherOptions } from './teacher/config.ts';
import { teacherRoutes } from './teacher/routes.ts';

export interface BuildOptions extends Partial<ServerConfig> {
  /** Log requests (off in tests); pino options (e.g. a stream) are passed through. */
  logger?: FastifyServerOptions['logger'];
  /** Teacher proxy settings; default: from the environment (the offline teacher unless configured). */
  teacher?: TeacherOptions;
}

export async function buildServer(opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 8 * 1024 * 1024 });

  if (opts.apiToken) {
    const expected = `Bearer ${opts.apiToken}`;
    app.addHook('onRequest', async (req, reply) => {
      if (req.url.startsWith('/api/') && req.headers.authorization !== expected) {
        return reply.code(401).send({ error: 'This server requires "Authorization: Bearer <LANTERN_API_TOKEN>".' });
      }
    });
  }

  await app.register(teacherRoutes, { teacher: opts.teacher ?? teacherOptionsFromEnv(), loopbackOnly: !opts.apiToken });

  app.get('/api/health', async () => ({ ok: true, name: 'lantern-studio', version: process.env.npm_package_version ?? '0.1.0' }));

  const distDir = opts.distDir;
  if (distDir && existsSync(distDir)) {
    await app.register(fastifyStatic, { root: distDir, index: ['index.html'] });
    // Client-side routes (e.g. /system) get the app shell; unknown /api paths stay 404s.
    app.setNotFoundHandler((req, reply) => {
      if (req.method === 'GET' && !req.url.startsWith('/api/')) return reply.sendFile('index.html');
      return reply.code(404).send({ error: `No route ${req.method} ${req.url.split('?')[0]}` });
    });
  }
  return app;
}
