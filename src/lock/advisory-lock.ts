import type { Queryable } from '../adapter/contract.js';
import { InterruptedError, LockTimeoutError } from '../errors.js';
import { backoffDelay, sleep } from '../db/backoff.js';
import type { Journal } from '../journal/journal.js';
import { transactionPoolerRefusal } from '../pooler/pooler-refusal.js';

/**
 * polymigrate's session-level advisory lock key. Distinct from every engine's own key
 * (Prisma 72707369, node-pg-migrate, graphile-migrate, sqitch, kysely — see ENGINES.md).
 */
export const POLYMIGRATE_LOCK_KEY = 5_043_117_229_815_411n;

/**
 * Held, for the whole run, by the session that runs steps and writes the journal (besides the main
 * lock on its dedicated session). A transactional step's query ends with its own COMMIT, so when
 * polymigrate dies mid-script the server still finishes and commits it; until then the dead run's
 * step session holds this key, and the next run waits for it before it reads any history.
 */
export const POLYMIGRATE_STEP_GUARD_KEY = POLYMIGRATE_LOCK_KEY + 1n;

export interface LockOptions {
  timeoutSeconds: number;
  /** Called once when the lock is busy and we start waiting; `waitingFor` is `lock.name`. */
  onWait?: (holder: string, waitingFor: string) => void;
  journal?: Journal;
  /** What the wait and its timeout call the lock, and what to do on timeout (default: the main lock). */
  lock?: LockDescription;
  /** Stop waiting when aborted (SIGINT): throws InterruptedError. */
  signal?: AbortSignal;
}

export interface LockDescription {
  name: string;
  hint: string;
}

const MAIN_LOCK: LockDescription = {
  name: 'the migration lock',
  hint: 'Wait for that run to finish, or raise --lock-timeout. A crashed holder releases the lock when its connection closes.',
};

/** POLYMIGRATE_STEP_GUARD_KEY: its holder is a run's step session, maybe of a dead process. */
export const STEP_GUARD: LockDescription = {
  name: 'the step guard: a session of an earlier run is still running its last migrations on the server',
  hint:
    'Its migrations commit or fail on their own (even if that process is gone); wait, or raise --lock-timeout. ' +
    'To stop them instead: SELECT pg_terminate_backend(PID) with the server pid above (the running migration then rolls back).',
};

/**
 * Take a session-level advisory lock on a dedicated connection by polling pg_try_advisory_lock
 * with backoff and jitter. Never a blocking pg_advisory_lock: a session blocked inside a
 * transaction would deadlock with CREATE INDEX CONCURRENTLY waiting for old transactions.
 * The lock dies with the session, so a killed process never leaves it behind.
 */
export async function acquireAdvisoryLock(db: Queryable, key: bigint, options: LockOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let warned = false;
  for (let attempt = 1; ; attempt += 1) {
    if (await tryTake(db, key)) return;
    const remaining = deadline - Date.now();
    if (!warned && options.onWait) {
      warned = true;
      options.onWait(await describeLockHolder(db, key, options.journal), (options.lock ?? MAIN_LOCK).name);
    }
    if (options.signal?.aborted) throw new InterruptedError(String(options.signal.reason ?? 'SIGINT'), `while waiting for ${(options.lock ?? MAIN_LOCK).name}`);
    if (remaining <= 0) {
      const holder = await describeLockHolder(db, key, options.journal);
      const lock = options.lock ?? MAIN_LOCK;
      throw new LockTimeoutError(`Timed out after ${options.timeoutSeconds}s waiting for ${lock.name}, held by ${holder}.`, lock.hint);
    }
    await sleep(Math.min(remaining, backoffDelay(attempt, 50, 2_000)), options.signal);
  }
}

/**
 * What this process holds on each connection: the server session it took its first key on, and
 * how many times it took each key (advisory locks stack). Behind a transaction-mode pooler that
 * the probe (src/pooler/session-probe.ts) missed, a connection's queries move between server
 * sessions, and a session may hold a key another client took there: every take and release
 * checks both on the server, in its own statement — so the lock never takes a key on a session
 * that is not this connection's, never counts another run's key as its own, and never releases
 * another run's key.
 */
interface Holdings {
  pid?: number;
  counts: Map<bigint, number>;
  /** A release was served by another session: what `counts` still has is out of this connection's reach. */
  stranded?: boolean;
}
const holdings = new WeakMap<Queryable, Holdings>();

function holdingsOf(db: Queryable): Holdings {
  let held = holdings.get(db);
  if (!held) holdings.set(db, (held = { counts: new Map() }));
  return held;
}

/**
 * What this connection still holds on a server session it no longer reaches — a release of it was
 * served by another session (src/lock/stranded-locks.ts frees them).
 */
export function heldKeys(db: Queryable): { pid: number; keys: Array<[bigint, number]> } | undefined {
  const held = holdings.get(db);
  if (!held?.stranded || held.pid === undefined || held.counts.size === 0) return undefined;
  return { pid: held.pid, keys: [...held.counts] };
}

/** The keys of `heldKeys` were released another way (on their session, by another connection). */
export function forgetHeldKeys(db: Queryable): void {
  holdings.get(db)?.counts.clear();
}

/** `$1` among this session's granted advisory locks (pg_locks lists every database's: filter on ours). */
const HELD_HERE = `EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND pid = pg_backend_pid()
      AND (classid::bigint << 32) + objid::bigint = $1::bigint AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`;

async function tryTake(db: Queryable, key: bigint): Promise<boolean> {
  const held = holdingsOf(db);
  const mine = (held.counts.get(key) ?? 0) > 0;
  // The pid and what the session holds are read in a materialized CTE, before the target list
  // tries the lock — which it does only on this connection's own session.
  const { rows } = await db.query<{ pid: number; foreign: boolean; locked: boolean | null }>(
    `WITH s AS MATERIALIZED (SELECT pg_backend_pid() AS pid, ${HELD_HERE} AS held)
     SELECT s.pid, s.held AND NOT $3::boolean AS foreign,
            CASE WHEN ($2::int IS NULL OR s.pid = $2::int) AND (NOT s.held OR $3::boolean) THEN pg_try_advisory_lock($1::bigint) END AS locked
       FROM s`,
    [key.toString(), held.pid ?? null, mine],
  );
  const row = rows[0]!;
  if (held.pid !== undefined && row.pid !== held.pid) {
    throw transactionPoolerRefusal({ evidence: `a connection that took a lock on server session ${held.pid} was then served by session ${row.pid}` });
  }
  if (row.foreign) {
    throw transactionPoolerRefusal({ evidence: `server session ${row.pid} already held lock key ${key}, which this connection never took there` });
  }
  if (!row.locked) return false;
  held.pid = row.pid;
  held.counts.set(key, (held.counts.get(key) ?? 0) + 1);
  return true;
}

/** Release one hold of `key` — one this connection took, and only on the server session it took it on. */
export async function releaseAdvisoryLock(db: Queryable, key: bigint): Promise<void> {
  const held = holdingsOf(db);
  const count = held.counts.get(key) ?? 0;
  if (count === 0) return;
  const { rows } = await db.query<{ pid: number; released: boolean | null }>(
    'SELECT pg_backend_pid() AS pid, CASE WHEN pg_backend_pid() = $2::int THEN pg_advisory_unlock($1::bigint) END AS released',
    [key.toString(), held.pid],
  );
  if (rows[0]!.released === null) {
    held.stranded = true;
    throw transactionPoolerRefusal({ evidence: `lock key ${key}, taken on server session ${held.pid}, could not be released: the connection was then served by session ${rows[0]!.pid}` });
  }
  if (count === 1) held.counts.delete(key);
  else held.counts.set(key, count - 1);
}

/**
 * Who holds `key`: from pg_locks + pg_stat_activity, and the journal's running run when there is one.
 * Advisory locks belong to one database; pg_locks lists every database's, so filter on ours.
 */
export async function describeLockHolder(db: Queryable, key: bigint, journal?: Journal): Promise<string> {
  const classid = (key >> 32n).toString();
  const objid = (key & 0xffffffffn).toString();
  const { rows } = await db.query<{ pid: number; application_name: string; client_addr: string | null; since: Date | null }>(
    `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start AS since
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid::text = $1 AND l.objid::text = $2 AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [classid, objid],
  );
  const parts: string[] = [];
  const holder = rows[0];
  if (holder) {
    const who = holder.application_name ? `"${holder.application_name}"` : 'a session';
    parts.push(`${who} (server pid ${holder.pid}${holder.client_addr ? ` from ${holder.client_addr}` : ''}, connected since ${holder.since?.toISOString() ?? 'unknown'})`);
  }
  // A killed run stays 'running' in the journal forever: name only the run of the session holding the
  // lock (its application name carries host:pid, see applicationName in src/db/connect.ts).
  const running = holder && journal ? await journal.runningRuns(db).catch(() => []) : [];
  const run = running.find((r) => holder!.application_name.includes(`${r.host}:${r.pid}`));
  if (run) parts.push(`journal run #${run.id}: ${run.command} on host ${run.host}, pid ${run.pid}, since ${run.startedAt.toISOString()}`);
  return parts.length > 0 ? parts.join('; ') : 'another session (it released the lock while we looked)';
}

/** Whether any session holds one of `keys` (a run in progress); never waits, never takes them. */
export async function isLockHeld(db: Queryable, ...keys: bigint[]): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND (classid::bigint << 32) + objid::bigint = ANY($1::bigint[])
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [keys.map(String)],
  );
  return rows.length > 0;
}
