import os from 'node:os';
import { restoreNavigator } from './pg-runtime-probe.js';
import pg from 'pg';
import { RuntimeError } from '../errors.js';
import { redactSecrets } from '../secrets/secret-registry.js';
import { maskUrl, registerUrlSecrets } from './mask-url.js';
import { backoffDelay, sleep } from './backoff.js';

restoreNavigator();

export type DbClient = pg.Client;

export interface ConnectOptions {
  /** Keep retrying the first connection for this many seconds (--wait). */
  waitSeconds?: number;
  /** Shown in pg_stat_activity so a lock holder can be identified. */
  purpose?: string;
  onRetry?: (attempt: number, delayMs: number, error: Error) => void;
  /**
   * Send a query as soon as it is issued, not when the one before it is answered (pg's pipeline
   * mode). PostgreSQL still runs them one after the other, in order, each on its own: what changes
   * is only that the server need not wait for the client between them (see executePlan).
   */
  pipeline?: boolean;
}

/** Errors worth retrying while a database is still starting or not reachable yet. */
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P03']);

export function applicationName(purpose = 'run'): string {
  return `polymigrate ${purpose} ${os.hostname()}:${process.pid}`.slice(0, 63);
}

/** Connect one client, retrying transient failures with exponential backoff and jitter until --wait runs out. */
export async function connect(url: string, options: ConnectOptions = {}): Promise<DbClient> {
  registerUrlSecrets(url);
  const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
  for (let attempt = 1; ; attempt += 1) {
    const client = new pg.Client({
      connectionString: url,
      application_name: applicationName(options.purpose),
      connectionTimeoutMillis: 10_000,
      ...(options.pipeline ? { pipeline: true } : {}),
    });
    // An idle client whose server goes away emits 'error'; without a listener Node would crash.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      const err = error as Error & { code?: string };
      const delay = backoffDelay(attempt, 250, 5_000);
      if (err.code && TRANSIENT.has(err.code) && Date.now() + delay < deadline) {
        options.onRetry?.(attempt, delay, err);
        await sleep(delay);
        continue;
      }
      throw describeConnectError(err, url, options.waitSeconds);
    }
  }
}

export function describeConnectError(error: Error & { code?: string }, url: string, waitSeconds?: number): RuntimeError {
  const target = maskUrl(url);
  const reason = redactSecrets(error.message);
  switch (error.code) {
    case '28P01':
    case '28000':
      return new RuntimeError(`Authentication failed for ${target}: ${reason}`, 'Check the user and password in the database URL.', error);
    case '3D000':
      return new RuntimeError(`The database does not exist: ${target} (${reason})`, "Create it first (createdb, or your platform's console), or fix the database name in the URL.", error);
    default: {
      const waited = waitSeconds ? ` after retrying for ${waitSeconds}s` : '';
      return new RuntimeError(
        `Cannot connect to ${target}${waited}: ${reason || error.code || 'unknown error'}`,
        waitSeconds ? 'Is the server running and reachable from here?' : 'Is the server running? Use --wait SECONDS to retry while it starts.',
        error,
      );
    }
  }
}

/** Errors that mean the connection died under us (server restart, network), not a bad statement. */
const CONNECTION_LOST = new Set(['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT']);

export function isConnectionLost(error: unknown): boolean {
  const err = error as { code?: string; message?: string } | undefined;
  if (err?.code && CONNECTION_LOST.has(err.code)) return true;
  return /Connection terminated|not queryable|Client was closed/i.test(err?.message ?? '');
}

/** A lost connection in the middle of a run, said plainly with the (masked) URL and what to do next. */
export function describeLostConnection(error: Error, url: string): RuntimeError {
  return new RuntimeError(
    `Lost the connection to ${maskUrl(url)} during the run (${redactSecrets(error.message)}).`,
    'Steps that finished before it stay applied; a transactional step that was running was rolled back. When the database is back, ' +
      'run polymigrate status, then up again (--wait SECONDS retries the first connection).',
    error,
  );
}
