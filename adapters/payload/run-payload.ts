import { spawn, type ChildProcess } from 'node:child_process';
import { PAYLOAD_APPLICATION_NAME } from '../../src/run/interrupt.js';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../../src/errors.js';
import { CONFIG_PATH_ENV, DATABASE_URL_ENV, LOCK_TIMEOUT_ENV, type RunnerCommand, type RunnerEvent, type RunnerRequest } from './runner-protocol.js';

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
    throw new RuntimeError(`polymigrate's Payload runner is missing (looked for ${candidates.join(' and ')}).`, 'Reinstall polymigrate; from a source checkout, run npm run build first.');
  }
  return found;
}

export interface PayloadChildOptions {
  /** The Payload config the child loads as soon as it starts. */
  configPath: string;
  /** Environment for Payload: secrets travel here, never in argv. */
  env: Record<string, string>;
  databaseUrl?: string;
  /** --ddl-lock-timeout: every connection of Payload's pool runs with this lock_timeout. */
  lockTimeoutMs?: number;
  cwd: string;
}

export interface PayloadRunOptions {
  /** Counted from the request: loading done before it was sent is not charged. */
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

/** A started runner: it loads Payload and its config, then waits for its one request. */
export interface PayloadChild {
  readonly databaseUrl: string | undefined;
  readonly lockTimeoutMs: number | undefined;
  /** Send the request and collect everything the child said, from its start to its exit. */
  run(request: RunnerRequest, options: PayloadRunOptions): Promise<PayloadChildResult>;
  /** Let it start the next migration after a `step` event that said `waiting` (RunnerRequest.pauseBetween). */
  resume(): void;
  /** Kill it (harmless before a request: it has not connected) and wait until it is gone. */
  stop(): Promise<void>;
}

type Said = { event: RunnerEvent } | { line: string };

/** Payload's environment for a migration run; the secrets arrive in `options.env`, never in argv. */
function childEnvironment(options: PayloadChildOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    [CONFIG_PATH_ENV]: options.configPath,
    PAYLOAD_CONFIG_PATH: options.configPath,
    // No schema push on connect, no type generation, no HMR socket, no dependency check.
    PAYLOAD_MIGRATING: 'true',
    NODE_ENV: 'production',
    DISABLE_PAYLOAD_HMR: 'true',
    PAYLOAD_DISABLE_DEPENDENCY_CHECKER: 'true',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    // pg reads it for every connection Payload opens: an interrupted run finds and ends them by it
    // (src/run/interrupt.ts), so a Payload migration cannot commit after SIGINT.
    PGAPPNAME: PAYLOAD_APPLICATION_NAME,
  };
  if (options.databaseUrl) {
    env[DATABASE_URL_ENV] = options.databaseUrl;
    env.DATABASE_URL = options.databaseUrl;
  }
  if (options.lockTimeoutMs !== undefined) env[LOCK_TIMEOUT_ENV] = String(Math.max(1, Math.round(options.lockTimeoutMs)));
  return env;
}

/**
 * stdout carries the protocol's events, one JSON line each; any other line there, and every
 * non-blank stderr line, is output Payload or a migration printed. The last 20 stderr lines are
 * kept to explain an abnormal end.
 */
function followOutput(child: ChildProcess, events: RunnerEvent[], stderrTail: string[], say: (said: Said) => void): void {
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    let event: RunnerEvent;
    try {
      event = JSON.parse(line) as RunnerEvent;
    } catch {
      say({ line });
      return;
    }
    events.push(event);
    say({ event });
  });
  readline.createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!line.trim()) return;
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    say({ line });
  });
}

/** Why a child that was not killed ended without its `done` line, in words. */
function abnormalEnd(events: RunnerEvent[], code: number | null, signal: NodeJS.Signals | null, stderrTail: string[]): string {
  // Exit 13 is Node's "unsettled top-level await": the loop emptied while the runner still awaited something
  // (a prompt waiting on the closed stdin is one such thing).
  if (code === 13 && !events.some((e) => e.type === 'ready'))
    return 'loading the Payload config never finished: it waits for something that cannot come (a top-level await that never settles, or a question on stdin, which polymigrate keeps closed).';
  if (code === 13)
    return "Payload stopped to ask a question on stdin, which polymigrate keeps closed (for a new migration: probably whether a column was renamed). Run Payload's own migrate:create in a terminal to answer it.";
  return `the Payload process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})${stderrTail.length ? `: ${stderrTail.slice(-5).join(' | ')}` : ''}.`;
}

/** The run's deadline and its cancellation both kill the child; the function returned disarms them. */
function armKill(run: PayloadRunOptions, kill: (reason: string) => void): () => void {
  const timer = setTimeout(
    () => kill(`Payload did not finish within ${run.timeoutMs / 1000}s and was stopped (raise "timeoutSeconds" for this engine if its migrations are slow).`),
    run.timeoutMs,
  );
  const onAbort = () => kill('the run was cancelled.');
  run.signal?.addEventListener('abort', onAbort, { once: true });
  if (run.signal?.aborted) onAbort();
  return () => {
    clearTimeout(timer);
    run.signal?.removeEventListener('abort', onAbort);
  };
}

/**
 * Start the runner. It loads Payload and the config right away, but touches nothing until
 * `run` sends the request (polymigrate holds its lock and has a plan by then). stdin is
 * closed, so a question from Payload can never hang the run; the timeout (and an aborted run)
 * kill the child. Whatever it says before `run` is kept and handed over in order then.
 */
export function startPayloadChild(options: PayloadChildOptions): PayloadChild {
  const runner = payloadRunnerPath();
  const env = childEnvironment(options);
  // The IPC channel carries the request, then is only a lifeline: the child exits when it closes
  // (this process died).
  const child = spawn(process.execPath, [runner], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const events: RunnerEvent[] = [];
  const stderrTail: string[] = [];
  const backlog: Said[] = [];
  let listener: ((said: Said) => void) | undefined;
  const say = (said: Said) => (listener ? listener(said) : backlog.push(said));
  let killedFor: string | undefined;
  let startError: Error | undefined;
  let requested = false;

  const kill = (reason: string) => {
    if (killedFor) return;
    killedFor = reason;
    child.kill('SIGKILL');
  };
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (error) => {
      startError = error;
      resolve({ code: null, signal: null });
    });
    child.on('close', (code, signal) => resolve({ code, signal }));
  });

  followOutput(child, events, stderrTail, say);

  const result = (code: number | null, signal: NodeJS.Signals | null): PayloadChildResult => {
    if (events.some((e) => e.type === 'done')) return { events };
    return { events, abnormal: killedFor ?? abnormalEnd(events, code, signal, stderrTail) };
  };

  return {
    databaseUrl: options.databaseUrl,
    lockTimeoutMs: options.lockTimeoutMs,

    async run(request, run) {
      if (requested) throw new RuntimeError('internal: a Payload child process takes one request.');
      requested = true;
      const disarm = armKill(run, kill);
      listener = (said) => ('event' in said ? run.onEvent?.(said.event) : run.onOutput?.(said.line));
      for (const said of backlog.splice(0)) listener(said);
      // A child that already ended (its config failed to load) has no channel: its result says why.
      const command: RunnerCommand = { type: 'run', request };
      if (child.connected) child.send(command, () => undefined);
      try {
        const { code, signal } = await ended;
        if (startError) throw new RuntimeError(`Cannot start the Payload runner: ${startError.message}`);
        return result(code, signal);
      } finally {
        disarm();
      }
    },

    resume() {
      const command: RunnerCommand = { type: 'continue' };
      if (child.connected) child.send(command, () => undefined);
    },

    async stop() {
      if (child.exitCode === null && child.signalCode === null && !startError) kill('stopped: polymigrate no longer needed it.');
      await ended;
    },
  };
}
