import type { Queryable } from '../adapter/contract.js';

/**
 * Says what a step waits for when it waits on a lock: the classic migration outage is an `ALTER
 * TABLE` queued behind a long reader, and every new read of that table queued behind the ALTER,
 * with nothing on the screen. Once the step session has waited a few seconds, this reports the
 * lock (relation, mode) and each session blocking it (pg_blocking_pids: pid, application name,
 * state, for how long, the start of its query with literals masked), then again at a calm
 * interval. It reads from a connection of its own, opened only when a step has run past the
 * first threshold, so a run whose steps are quick never opens it.
 */
export interface LockWait {
  /** The relation waited for, or the lock type when it is not a relation (`transactionid`…). */
  target: string;
  /** PostgreSQL's lock mode name, e.g. AccessExclusiveLock. */
  mode: string;
  waitedMs: number;
  blockers: Blocker[];
}

export interface Blocker {
  pid: number;
  applicationName: string;
  state: string;
  /** How long its transaction (or, outside one, its query) has been running. */
  forMs: number;
  /** The first characters of its query, literals masked. */
  query: string;
}

export interface LockWatchOptions {
  /** Open the connection the watcher reads from (once, when first needed). */
  connect(): Promise<Queryable & { end(): Promise<void> }>;
  /** First report after this long (ms); then every `repeatMs`. */
  firstMs: number;
  repeatMs: number;
  /**
   * Open the watch connection when a step starts rather than at the first look: with a short
   * --ddl-lock-timeout a try lasts well under a second, and on a busy machine connecting can take
   * longer than that, so the try would end before anyone saw what blocked it.
   */
  eager?: boolean;
}

/** Whose waits are watched: one session (its backend pid), or every session of an application (an engine's own client). */
export type Watched = number | { applicationName: string };

/** Watches one session (by backend pid), or an engine's own sessions (by application name), while steps run. */
export class LockWatcher {
  private timer: NodeJS.Timeout | undefined;
  private reader: Promise<Queryable & { end(): Promise<void> }> | undefined;
  private generation = 0;
  /** The latest wait seen for the running step: added to its error if it times out on the lock. */
  last: LockWait | undefined;
  private listener: ((wait: LockWait) => void) | undefined;

  constructor(
    private readonly watched: Watched,
    private readonly options: LockWatchOptions,
  ) {}

  /** Who hears about a wait. */
  onWait(listener: (wait: LockWait) => void): void {
    this.listener = listener;
  }

  /** A step began on the server: report if it waits on a lock from `firstMs` on. */
  started(): void {
    this.clear();
    this.last = undefined;
    const generation = ++this.generation;
    // connect() keeps the pending connection and handles its failure (the first look connects again).
    if (this.options.eager) void this.connect();
    this.schedule(generation, this.options.firstMs);
  }

  /** The running step ended. */
  stopped(): void {
    this.clear();
    this.generation += 1;
  }

  async close(): Promise<void> {
    this.stopped();
    const reader = this.reader;
    this.reader = undefined;
    if (reader) await (await reader.catch(() => undefined))?.end().catch(() => undefined);
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(generation: number, ms: number): void {
    this.timer = setTimeout(() => void this.look(generation), ms);
    this.timer.unref();
  }

  /** The watch connection, opened once; a failed open is forgotten so the next look tries again. */
  private connect(): Promise<Queryable & { end(): Promise<void> }> {
    if (!this.reader) {
      const reader = this.options.connect();
      reader.catch(() => {
        if (this.reader === reader) this.reader = undefined;
      });
      this.reader = reader;
    }
    return this.reader;
  }

  private async look(generation: number): Promise<void> {
    try {
      const wait = await readLockWait(await this.connect(), this.watched);
      if (generation !== this.generation) return; // the step ended meanwhile
      if (wait) {
        this.last = wait;
        this.listener?.(wait);
      }
    } catch {
      // A report is a courtesy: never let it disturb the run (the next look tries again).
    }
    if (generation === this.generation) this.schedule(generation, this.options.repeatMs);
  }
}

/** What the watched session waits for right now, with its blockers; undefined when it waits for no lock. */
export async function readLockWait(db: Queryable, watched: Watched): Promise<LockWait | undefined> {
  const [pid, applicationName] = typeof watched === 'number' ? [watched, null] : [null, watched.applicationName];
  const { rows } = await db.query<{ target: string; mode: string; waited_ms: number; blockers: number[] }>(
    `SELECT coalesce(l.relation::regclass::text, l.locktype) AS target, l.mode,
            (extract(epoch FROM now() - coalesce((to_jsonb(l) ->> 'waitstart')::timestamptz, a.query_start)) * 1000)::int AS waited_ms,
            pg_blocking_pids(l.pid) AS blockers
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE (l.pid = $1 OR a.application_name = $2) AND NOT l.granted LIMIT 1`,
    [pid, applicationName],
  );
  const row = rows[0];
  if (!row) return undefined;
  const blockers = await db.query<{ pid: number; application_name: string; state: string; for_ms: number; query: string }>(
    `SELECT pid, application_name, coalesce(state, '') AS state,
            (extract(epoch FROM now() - coalesce(xact_start, query_start, backend_start)) * 1000)::int AS for_ms,
            coalesce(query, '') AS query
       FROM pg_stat_activity WHERE pid = ANY($1::int[]) ORDER BY pid`,
    [row.blockers],
  );
  return {
    target: row.target,
    mode: row.mode,
    waitedMs: row.waited_ms,
    blockers: blockers.rows.map((b) => ({
      pid: b.pid,
      applicationName: b.application_name,
      state: b.state,
      forMs: b.for_ms,
      query: maskQuery(b.query),
    })),
  };
}

/** The start of a query for a message: string and number literals masked (they may hold data), whitespace folded. */
export function maskQuery(query: string, length = 80): string {
  const masked = query
    .replace(/\$([A-Za-z_]\w*)?\$[\s\S]*?\$\1\$/g, '$$?$$')
    .replace(/'(?:[^']|'')*'/g, "'?'")
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  return masked.length > length ? `${masked.slice(0, length - 1)}…` : masked;
}

/** "AccessExclusiveLock on public.t for 4s, blocked by pid 123 "psql" (idle in transaction for 24s: SELECT * FROM t)" */
export function describeLockWait(wait: LockWait): string {
  const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`);
  const blockers = wait.blockers.map(
    (b) => `pid ${b.pid}${b.applicationName ? ` "${b.applicationName}"` : ''} (${b.state || 'running'} for ${seconds(b.forMs)}${b.query ? `: ${b.query}` : ''})`,
  );
  return `${wait.mode} on ${wait.target} for ${seconds(wait.waitedMs)}` + (blockers.length ? `, blocked by ${blockers.join('; ')}` : '');
}
