// Build the studio once and start the real server on a free loopback port for every e2e test.
import type { TestProject } from 'vitest/node';
import { buildApp } from '../../server/build-app.ts';
import { buildServer } from '../../server/app.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseURL: string;
  }
}

export default async function setup(project: TestProject) {
  await buildApp();
  const app = await buildServer({ distDir: new URL('../../dist/', import.meta.url).pathname });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  project.provide('baseURL', address);
  return async () => {
    await app.close();
  };
}
