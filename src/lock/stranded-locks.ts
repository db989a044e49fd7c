import type { Queryable } from '../adapter/contract.js';
import { connect, type DbClient } from '../db/connect.js';
import { transactionPoolerRefusal } from '../pooler/pooler-refusal.js';
import { forgetHeldKeys, heldKeys } from './advisory-lock.js';

/**
 * Keys a run could not release because, behind a transaction-mode pooler the session probe could
 * not tell from a session pooler, its connection had moved to another server session: the keys
 * stay held by an idle pooled session, and every later run would wait for them. A key can only be
 * released by the session holding it, so this reaches that session through the pooler: it opens
 * short-lived connections one at a time, each pinning whichever session the pooler hands it with
 * an open transaction, until one is the session that holds the keys (or the time is up). Nothing
 * is terminated and nothing is committed; application traffic only waits while sessions are pinned.
 */
const MAX_CONNECTIONS = 64;

/** Release what `db` still holds, through `url`; undefined when nothing is left, else what is left, in words. */
export async function releaseStrandedKeys(url: string, db: Queryable, timeoutMs = 5_000): Promise<string | undefined> {
  const held = heldKeys(db);
  if (!held) return undefined;
  const opened: DbClient[] = [];
  const pinned = new Set<DbClient>();
  const deadline = Date.now() + timeoutMs;
  try {
    while (opened.length < MAX_CONNECTIONS && Date.now() < deadline) {
      const client = await connect(url, { purpose: 'lock cleanup' });
      opened.push(client);
      const pid = await withDeadline(pinnedPid(client), deadline);
      if (pid === undefined) break;
      pinned.add(client);
      if (pid !== held.pid) continue;
      for (const [key, count] of held.keys) {
        for (let i = 0; i < count; i += 1) await client.query('SELECT pg_advisory_unlock($1::bigint)', [key.toString()]);
      }
      forgetHeldKeys(db);
      return undefined;
    }
  } catch {
    // the server or the pooler went away: what is left is said below
  } finally {
    // A client still queued for a session is just closed (the pooler drops it from the queue).
    await Promise.all(
      opened.map(async (client) => {
        if (pinned.has(client)) await client.query('ROLLBACK').catch(() => undefined);
        await client.end().catch(() => undefined);
      }),
    );
  }
  const keys = held.keys.map(([key]) => key).join(', ');
  return (
    `lock key(s) ${keys} stay held by server session ${held.pid} (an idle pooled connection) until the pooler closes it: ` +
    `free them now with SELECT pg_terminate_backend(${held.pid}) on the database itself, or by restarting the pooler`
  );
}

/**
 * After a run's releases: free what any of its connections still holds; when something cannot be
 * freed, refuse (exit 5) naming it and how to free it — every later run would wait for it.
 */
export async function freeStrandedKeys(connections: Array<{ url: string; db: Queryable }>): Promise<void> {
  const left: string[] = [];
  for (const { url, db } of connections) {
    const what = await releaseStrandedKeys(url, db);
    if (what) left.push(what);
  }
  if (left.length > 0) {
    throw transactionPoolerRefusal({ url: connections[0]!.url, evidence: `releases of polymigrate's locks were served by other server sessions, and ${left.join('; ')}` });
  }
}

/** BEGIN keeps the session the pooler hands out for this client until ROLLBACK. */
async function pinnedPid(client: DbClient): Promise<number> {
  await client.query('BEGIN');
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/** A pool with no free session makes the pooler queue the query; give up at the deadline. */
async function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}
