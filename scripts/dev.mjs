// `npm run dev`: the API server (tsx, restarts on change) and Vite with /api proxied to it.
import { spawn } from 'node:child_process';

const port = process.env.LANTERN_PORT ?? '5174';
const env = { ...process.env, LANTERN_PORT: port };
const children = [
  spawn('npx', ['tsx', 'watch', 'server/dev-api.ts'], { stdio: 'inherit', env }),
  spawn('npx', ['vite'], { stdio: 'inherit', env }),
];
const stop = () => children.forEach((c) => c.kill('SIGTERM'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const c of children) c.on('exit', (code) => { stop(); process.exitCode = code ?? 0; });
