import type { TestProject } from 'vitest/node';
import { startTestServer } from './embedded-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
  }
}

/**
 * One PostgreSQL for the whole run: DATABASE_URL when set (it must allow CREATE DATABASE),
 * otherwise an embedded server. Each test file creates its own databases on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.DATABASE_URL) {
    project.provide('adminUrl', process.env.DATABASE_URL);
    return async () => undefined;
  }
  const server = await startTestServer();
  project.provide('adminUrl', server.adminUrl);
  return () => server.stop();
}
