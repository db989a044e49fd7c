import pg from 'pg';
import type { Queryable } from '../adapter/contract.js';

/**
 * A simple-protocol query that counts the statements PostgreSQL completed before it stopped.
 *
 * PostgreSQL answers each statement of a multi-statement query with its own CommandComplete and
 * stops at the first error: the count at the error is the index of the failing statement. That is
 * how a failure without a `position` (a foreign-key violation, a failing COMMIT, "SET TRANSACTION
 * must be called before any query") is still pinned to a statement of the file, and how the step
 * protocol knows whether a statement that commits (the script's own COMMIT) ran before it.
 *
 * A subclass of pg's own Query, so it travels on a pipelined connection like any other query.
 */
export class CountedQuery extends pg.Query {
  /** Statements completed so far (including polymigrate's own, sent in the same query). */
  completed = 0;

  handleCommandComplete(message: unknown, connection: unknown): void {
    this.completed += 1;
    // pg's own typings omit these handlers; they are the Submittable interface pg-cursor uses too.
    (pg.Query.prototype as unknown as { handleCommandComplete(m: unknown, c: unknown): void }).handleCommandComplete.call(this, message, connection);
  }
}

/** A failed query, with how many of its statements had completed. */
export interface CountedFailure {
  error: Error;
  completed: number;
}

export type CountedOutcome = { ok: true; completed: number } | ({ ok: false } & CountedFailure);

/**
 * Send `text` on `db` and resolve (never reject) with the outcome. On anything but a pg.Client (a
 * test double) the count is unknown and given as 0.
 */
export function sendCounted(db: Queryable, text: string): Promise<CountedOutcome> {
  if (!(db instanceof pg.Client)) {
    return db.query(text).then(
      () => ({ ok: true as const, completed: 0 }),
      (error: Error) => ({ ok: false as const, error, completed: 0 }),
    );
  }
  return new Promise((resolve) => {
    const query = new CountedQuery({ text }, undefined, (error: Error | undefined) => {
      resolve(error ? { ok: false, error, completed: query.completed } : { ok: true, completed: query.completed });
    });
    // pg hands a submittable query back rather than a promise: its callback above settles this one.
    void db.query(query as unknown as pg.QueryConfig);
  });
}

/**
 * The session's transaction state after the last query that completed successfully (PostgreSQL
 * reports it with every ReadyForQuery): 'idle', 'open' (a BEGIN without COMMIT), or 'failed'
 * (an aborted transaction block). Unknown on anything but a pg.Client.
 */
export function transactionStatus(db: Queryable): 'idle' | 'open' | 'failed' | 'unknown' {
  if (!(db instanceof pg.Client)) return 'unknown';
  switch (db.getTransactionStatus?.()) {
    case 'I':
      return 'idle';
    case 'T':
      return 'open';
    case 'E':
      return 'failed';
    default:
      return 'unknown';
  }
}
