import type { Queryable } from '../adapter/contract.js';
import { acquireAdvisoryLock, releaseAdvisoryLock, type LockOptions } from './advisory-lock.js';
import { freeStrandedKeys } from './stranded-locks.js';

/**
 * The one way polymigrate holds advisory locks: taken in order (each polled with backoff, see
 * acquireAdvisoryLock), released in reverse order whatever happens, and — should a connection
 * pooler have served a release on another session — freed from wherever they ended up
 * (stranded-locks.ts). `up`, `down`, `resolve` and each engine's steps go through it.
 */
export class HeldLocks {
  private readonly held: Array<{ db: Queryable; key: bigint }> = [];
  private readonly sessions = new Map<Queryable, string>();

  /** Wait for `key` on `db` (whose database is `url`) and hold it until release(). */
  async take(db: Queryable, url: string, key: bigint, options: LockOptions): Promise<void> {
    this.sessions.set(db, url);
    await acquireAdvisoryLock(db, key, options);
    this.held.push({ db, key });
  }

  /**
   * Release what was taken, newest first. Throws only when a key could not be freed from where a
   * pooler left it (every later run would wait for it: the error names it and how to free it).
   */
  async release(): Promise<void> {
    for (const { db, key } of this.held.splice(0).reverse()) await releaseAdvisoryLock(db, key).catch(() => undefined);
    await freeStrandedKeys([...this.sessions].map(([db, url]) => ({ db, url })));
  }
}

/** Hold `keys` on `db` around `fn`. */
export async function withAdvisoryLocks<T>(db: Queryable, url: string, keys: readonly bigint[], options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const locks = new HeldLocks();
  try {
    for (const key of keys) await locks.take(db, url, key, options);
    return await fn();
  } finally {
    await locks.release();
  }
}
