import pg from 'pg';
import { pollUntil } from './poll-until.js';

/**
 * A barrier the test controls, for "the other process is still running its migration": the
 * migration runs `barrierSql()` and waits there for as long as the test holds the barrier; it goes
 * on the moment the test releases it. No sleep stands in for it: the test sees the migration
 * waiting (in pg_locks) before it acts, and decides when the migration may finish.
 *
 * The migration asks for the key shared and transaction-scoped: it keeps nothing after its
 * transaction (outside one, after its statement), and passes straight through when nobody holds
 * the barrier — so later runs of the same files are not held up. The test holds the key
 * exclusively, on a session of its own.
 *
 * Advisory locks belong to one database, so tests on different databases never meet here. The
 * key differs from polymigrate's own (5043117229815411 and …412, polled with
 * pg_try_advisory_lock) and Prisma's (72707369).
 */
export const BARRIER_KEY = 7_311_000_001n;

/** The statement a migration runs to wait at the barrier. */
export function barrierSql(key = BARRIER_KEY): string {
  return `SELECT pg_advisory_xact_lock_shared(${key}::bigint);`;
}

export interface BarrierWaiter {
  /** Server pid of the waiting session. */
  pid: number;
  /** Its application_name (polymigrate names its sessions "polymigrate <role> <host>:<pid>"). */
  applicationName: string;
}

export class Barrier {
  private released = false;

  private constructor(
    private readonly holder: pg.Client,
    readonly key: bigint,
  ) {}

  /** Hold the barrier in `url`'s database: migrations that reach `barrierSql(key)` wait until `release()`. */
  static async hold(url: string, key = BARRIER_KEY): Promise<Barrier> {
    const holder = new pg.Client({ connectionString: url, application_name: 'test barrier' });
    // The server may be stopped under it (a restart test): a dead holder holds nothing, and says nothing.
    holder.on('error', () => undefined);
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [key.toString()]);
    return new Barrier(holder, key);
  }

  /** Sessions waiting at the barrier right now. */
  async waiters(): Promise<BarrierWaiter[]> {
    const { rows } = await this.holder.query<{ pid: number; application_name: string }>(
      `SELECT l.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND NOT l.granted AND l.classid::text = $1 AND l.objid::text = $2 AND l.objsubid = 1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY l.pid`,
      [(this.key >> 32n).toString(), (this.key & 0xffffffffn).toString()],
    );
    return rows.map((r) => ({ pid: r.pid, applicationName: r.application_name }));
  }

  /**
   * Wait until a session waits at the barrier, and return it. `timeoutMs` bounds what the
   * process needs to get there (start, connect, lock, earlier migrations); `detail` is added to
   * the failure (e.g. the process's output so far).
   */
  async waiter(options: { timeoutMs?: number; detail?: () => string } = {}): Promise<BarrierWaiter> {
    return pollUntil('a session to wait at the test barrier', async () => (await this.waiters())[0], options);
  }

  /** Let the waiting migrations go on (idempotent). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      await this.holder.query('SELECT pg_advisory_unlock($1::bigint)', [this.key.toString()]);
    } catch {
      // The session is gone (the server was stopped): the lock went with it.
    } finally {
      await this.holder.end().catch(() => undefined);
    }
  }
}
