import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { budget } from './time-budget.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './embedded-server.js';

/**
 * A real PgBouncer (Debian package `pgbouncer`) in front of the test server, for the pooler tests.
 * Every database of the server is reachable through it under its own name (a `*` fallback entry);
 * clients log in with the server's own user and password (an md5 userlist), and PgBouncer logs in
 * to the server with the same password.
 */

export type PoolMode = 'transaction' | 'session';

export interface PgBouncerOptions {
  mode: PoolMode;
  /** default_pool_size: server connections per (database, user). */
  poolSize: number;
  /** server_round_robin = 1: hand out idle server connections in turn (default: the most recently used first). */
  roundRobin?: boolean;
  /** query_wait_timeout, seconds: how long a client waits for a free server connection (PgBouncer's default: 120). */
  queryWaitTimeout?: number;
}

export interface PgBouncer {
  port: number;
  mode: PoolMode;
  poolSize: number;
  /** `direct` (a URL of the test server) with PgBouncer's host and port instead. */
  url(direct: string): string;
  stop(): Promise<void>;
}

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** The pgbouncer binary, or undefined when it is not installed. */
export function findPgBouncer(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'pgbouncer'));
  return [...onPath, ...CANDIDATES].find((file) => fs.existsSync(file));
}

export const PGBOUNCER_INSTALL = 'apt-get install -y pgbouncer (Debian/Ubuntu; as root, or with sudo)';

/**
 * For describe.skipIf: tests that need PgBouncer say so out loud when it is missing, with the
 * command that installs it — a missing binary must never look like a pass.
 */
export function pgbouncerMissing(what: string): boolean {
  if (findPgBouncer()) return false;
  console.warn(`SKIPPED: ${what} — PgBouncer is not installed. Install it with: ${PGBOUNCER_INSTALL}`);
  return true;
}

/** PgBouncer refuses to run as root: as root, it runs as the `postgres` user (or `nobody`). */
function unprivilegedUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      // no such user: try the next
    }
  }
  throw new Error('PgBouncer refuses to run as root, and there is no "postgres" or "nobody" user to run it as.');
}

function writeConfig(dir: string, server: URL, port: number, options: PgBouncerOptions): string {
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  fs.writeFileSync(path.join(dir, 'userlist.txt'), `${quote(user)} ${quote(password)}\n`, { mode: 0o644 });
  const ini = [
    '[databases]',
    `* = host=${server.hostname} port=${server.port || 5432}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = md5',
    `auth_file = ${path.join(dir, 'userlist.txt')}`,
    `pool_mode = ${options.mode}`,
    `default_pool_size = ${options.poolSize}`,
    'max_client_conn = 500',
    `server_round_robin = ${options.roundRobin ? 1 : 0}`,
    `query_wait_timeout = ${options.queryWaitTimeout ?? 120}`,
    // node-postgres sends none of these today; a newer client sending one must not be refused.
    'ignore_startup_parameters = extra_float_digits,options',
    'log_connections = 0',
    'log_disconnections = 0',
    '',
  ].join('\n');
  const file = path.join(dir, 'pgbouncer.ini');
  fs.writeFileSync(file, ini, { mode: 0o644 });
  return file;
}

/** Resolves once PgBouncer says it is up (it logs "process up" after it listens), rejects if it exits first. */
function untilUp(child: ChildProcess, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const limit = budget(10_000);
    const timer = setTimeout(() => reject(new Error(`PgBouncer did not start within ${limit / 1000} s:\n${log()}`)), limit);
    const onData = () => {
      if (!log().includes('process up')) return;
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      resolve();
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PgBouncer exited (code ${code}) before it was up:\n${log()}`));
    });
  });
}

/** Start PgBouncer in front of the server of `serverUrl` (its user and password are used for both sides). */
export async function startPgBouncer(serverUrl: string, options: PgBouncerOptions): Promise<PgBouncer> {
  const binary = findPgBouncer();
  if (!binary) throw new Error(`PgBouncer is not installed: ${PGBOUNCER_INSTALL}`);
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'polymigrate-pgbouncer-'));
  fs.chmodSync(dir, 0o755);
  const ini = writeConfig(dir, server, port, options);
  const user = unprivilegedUser();
  const child = spawn(binary, [ini], { stdio: ['ignore', 'ignore', 'pipe'], ...(user ?? {}) });
  let log = '';
  child.stderr.on('data', (d) => {
    log = (log + String(d)).slice(-20_000);
  });
  try {
    await untilUp(child, () => log);
  } catch (error) {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    mode: options.mode,
    poolSize: options.poolSize,
    url(direct: string) {
      const url = new URL(direct);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    async stop() {
      // SIGINT: immediate shutdown (closes client and server connections).
      child.kill('SIGINT');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
