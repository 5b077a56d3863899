// The API alone, for `npm run dev` (Vite serves the app and proxies /api here).
import { buildServer } from './app.ts';
import { configFromEnv } from './config.ts';

const config = configFromEnv();
const app = await buildServer({ ...config, distDir: undefined, logger: true });
await app.listen({ host: config.host, port: config.port });
