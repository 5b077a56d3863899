// `npm start`: build the studio if needed, then serve it and the API on 127.0.0.1 (offline).
import { buildServer } from './app.ts';
import { buildApp, buildIsStale } from './build-app.ts';
import { configFromEnv } from './config.ts';

const config = configFromEnv();
if (buildIsStale(config.distDir)) {
  console.log('Building the studio…');
  await buildApp();
}
const app = await buildServer({ ...config, logger: process.env.LANTERN_LOG === '1' });
const address = await app.listen({ host: config.host, port: config.port });
console.log(`Lantern Studio is running at ${address.replace('[::1]', 'localhost')}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
