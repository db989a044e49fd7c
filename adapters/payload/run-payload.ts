import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../../src/errors.js';
import { DATABASE_URL_ENV, REQUEST_ENV, type RunnerEvent, type RunnerRequest } from './runner-protocol.js';

/**
 * The compiled child script. Beside this module in dist/; when polymigrate runs from its
 * TypeScript sources (its own tests under vitest), the .ts runner cannot be started by plain
 * Node, so the built copy in dist/ is used.
 */
export function payloadRunnerPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'payload-runner.js'), path.resolve(here, '../../dist/adapters/payload/payload-runner.js')];
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) {
    throw new RuntimeError(`polymigrate's Payload runner is missing (looked for ${candidates.join(' and ')}).`,
      'Reinstall polymigrate; from a source checkout, run npm run build first.');
  }
  return found;
}

export interface PayloadChildOptions {
  /** Environment for Payload: secrets travel here, never in argv. */
  env: Record<string, string>;
  databaseUrl?: string;
  cwd: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onEvent?(event: RunnerEvent): void;
  /** Lines Payload (or a migration) printed outside its logger. */
  onOutput?(line: string): void;
}

export interface PayloadChildResult {
  events: RunnerEvent[];
  /** Set when the child did not end with its `done` line: why, in words. */
  abnormal?: string;
}

/**
 * Start the runner for one request and collect its JSON lines. stdin is closed, so a question
 * from Payload can never hang the run; the timeout (and an aborted run) kill the child.
 */
export function runPayloadChild(request: RunnerRequest, options: PayloadChildOptions): Promise<PayloadChildResult> {
  const runner = payloadRunnerPath();
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...options.env,
      [REQUEST_ENV]: JSON.stringify(request),
      PAYLOAD_CONFIG_PATH: request.configPath,
      // No schema push on connect, no type generation, no HMR socket, no dependency check.
      PAYLOAD_MIGRATING: 'true',
      NODE_ENV: 'production',
      DISABLE_PAYLOAD_HMR: 'true',
      PAYLOAD_DISABLE_DEPENDENCY_CHECKER: 'true',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
    };
    if (options.databaseUrl) {
      env[DATABASE_URL_ENV] = options.databaseUrl;
      env.DATABASE_URL = options.databaseUrl;
    }
    // The IPC channel is only a lifeline: the child exits when it closes (this process died).
    const child = spawn(process.execPath, [runner], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const events: RunnerEvent[] = [];
    const stderrTail: string[] = [];
    let killedFor: string | undefined;
    const kill = (reason: string) => {
      if (killedFor) return;
      killedFor = reason;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`Payload did not finish within ${options.timeoutMs / 1000}s and was stopped (raise "timeoutSeconds" for this engine if its migrations are slow).`), options.timeoutMs);
    const onAbort = () => kill('the run was cancelled.');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let event: RunnerEvent;
      try {
        event = JSON.parse(line) as RunnerEvent;
      } catch {
        options.onOutput?.(line);
        return;
      }
      events.push(event);
      options.onEvent?.(event);
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      if (!line.trim()) return;
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      options.onOutput?.(line);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new RuntimeError(`Cannot start the Payload runner: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (events.some((e) => e.type === 'done')) {
        resolve({ events });
        return;
      }
      let abnormal: string;
      if (killedFor) abnormal = killedFor;
      else if (code === 13) abnormal = 'Payload stopped to ask a question on stdin, which polymigrate keeps closed (for a new migration: probably whether a column was renamed). Run Payload\'s own migrate:create in a terminal to answer it.';
      else abnormal = `the Payload process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})${stderrTail.length ? `: ${stderrTail.slice(-5).join(' | ')}` : ''}.`;
      resolve({ events, abnormal });
    });
  });
}
