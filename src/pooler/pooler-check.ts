import type { Queryable } from '../adapter/contract.js';
import { connect } from '../db/connect.js';
import { maskUrl } from '../db/mask-url.js';
import { RuntimeError } from '../errors.js';
import { transactionPoolerRefusal } from './pooler-refusal.js';
import { poolerHint } from './pooler-url.js';
import { probeSessionPinning, type ProbedConnection } from './session-probe.js';

/**
 * The commands that take the lock (up, down, resolve) check here, before taking any, that their
 * connections are sessions of their own; through a transaction-mode pooler they refuse (exit 5)
 * naming the pooler and the direct URL that fixes it. status and the health route never come
 * here: they take no lock and read nothing that depends on the session.
 */

/** Before connecting: a URL whose shape proves a transaction-mode pooler (Supabase 6543, Neon -pooler, pgbouncer=true). */
export function refuseKnownTransactionPooler(url: string): void {
  const hint = poolerHint(url);
  if (hint?.certain) throw transactionPoolerRefusal({ url, evidence: 'its URL says so', hint });
}

/** After connecting: the session probe on two open connections to `url`. */
export async function refuseTransactionPooler(url: string, a: ProbedConnection, b: ProbedConnection): Promise<void> {
  const evidence = await probeSessionPinning(a, b).catch((error: unknown) => {
    throw poolExhausted(error, url) ?? error;
  });
  if (evidence) throw transactionPoolerRefusal({ url, evidence, hint: poolerHint(url) });
}

/**
 * PgBouncer's answer when no server connection came free in time. A session-mode pool of one
 * gives it to every run: the run's second connection waits for the first one's server.
 */
function poolExhausted(error: unknown, url: string): RuntimeError | undefined {
  const message = (error as Error | undefined)?.message ?? '';
  if (!/query_wait_timeout|no more connections allowed/.test(message)) return undefined;
  return new RuntimeError(
    `The connection pooler at ${maskUrl(url)} found no free server connection for polymigrate (${message}).`,
    'A run holds two connections at once (the lock and the run): a session-mode pool needs two server connections free for ' +
      'each run (PgBouncer default_pool_size), or give up, down and resolve the direct URL ("directUrl" in the config, or DIRECT_URL).',
    error,
  );
}

/**
 * A database of its own for some engines (engines[].url) is checked with its run connection and
 * a short-lived second one: the probe needs two.
 */
export async function refuseTransactionPoolerAt(url: string, db: Queryable): Promise<void> {
  refuseKnownTransactionPooler(url);
  const second = await connect(url, { purpose: 'probe' });
  try {
    await refuseTransactionPooler(url, { name: "the engine's run connection", db }, { name: 'a second connection', db: second });
  } finally {
    await second.end().catch(() => undefined);
  }
}
