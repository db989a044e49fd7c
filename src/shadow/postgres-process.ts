import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import type { ServerUser } from './server-user.js';

/** A running `postgres` started by us, and how to stop it. */
export interface PostgresProcess {
  pid: number;
  port: number;
  /** Fast shutdown (SIGINT: sessions are ended, no wait for clients); resolves once it exited. */
  stop(): Promise<void>;
  /** The same, without waiting: for the process's 'exit' event, where nothing async runs. */
  kill(): void;
  /**
   * Every line the server writes to its log from now on (`log_line_prefix` '%m [%p] %a ': time,
   * backend pid, application name), until the returned function is called. `plan` reads the SQL an
   * engine's own client sends (Payload's) from it, with `log_statement` set on one database only.
   */
  onLogLine(listener: (line: string) => void): () => void;
}

export interface StartOptions {
  postgres: string;
  dataDir: string;
  /** Where its Unix socket goes: a private folder, the only door that needs no password. */
  socketDir: string;
  user: ServerUser | undefined;
  /** How long to wait for "ready to accept connections". */
  timeoutMs: number;
}

/**
 * The settings of a server whose data is a disposable cache: no flush to disk (a crash of the
 * machine may cost the cache, never anything else), only local TCP, messages in English because
 * readiness is read from them.
 */
const SETTINGS = [
  'listen_addresses=127.0.0.1',
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'lc_messages=C',
  'log_checkpoints=off',
  'max_connections=100',
  'log_line_prefix=%m [%p] %a ',
];

/** Start postgres on a free port; a port taken between our probe and its bind is tried again. */
export async function startPostgres(options: StartOptions): Promise<PostgresProcess> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      return await startOn(port, options);
    } catch (error) {
      if (attempt < 3 && /could not (bind|create listen socket)|Address already in use/i.test((error as Error).message)) continue;
      throw error;
    }
  }
}

function startOn(port: number, options: StartOptions): Promise<PostgresProcess> {
  const args = ['-D', options.dataDir, '-p', String(port), '-c', `unix_socket_directories=${options.socketDir}`, ...SETTINGS.flatMap((s) => ['-c', s])];
  const child = spawn(options.postgres, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  const tail: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<PostgresProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`PostgreSQL did not start within ${options.timeoutMs / 1000}s: ${tail.join(' | ')}`));
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    let ready = false;
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`PostgreSQL exited while starting (${signal ?? `code ${code}`}): ${tail.join(' | ') || 'no message'}`));
    });
    // Read to the end, always: a full pipe would block the server's logging, and so the server.
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      for (const listener of listeners) listener(line);
      tail.push(line.replace(/^\S+ \S+ \S+ \[\d+\] /, ''));
      if (tail.length > 8) tail.shift();
      if (ready || !line.includes('database system is ready to accept connections')) return;
      ready = true;
      clearTimeout(timer);
      // A forgotten close() must not keep the process alive: the 'exit' hook stops the server.
      child.unref();
      (child.stderr as unknown as net.Socket).unref();
      resolve(running(child, port, exited, listeners));
    });
  });
}

function running(child: ChildProcess, port: number, exited: Promise<void>, listeners: Set<(line: string) => void>): PostgresProcess {
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  return {
    pid: child.pid!,
    port,
    kill,
    onLogLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      kill();
      await exited;
    },
  };
}

/** A TCP port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().on('error', reject);
    server.unref();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
