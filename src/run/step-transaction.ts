import type { Queryable, StepEnvelope } from '../adapter/contract.js';

/**
 * The transaction a transactional step runs in, opened lazily so that a step which is one script
 * travels as one simple-protocol query, `BEGIN; <script + history row>; <journal row>; COMMIT`.
 * PostgreSQL parses the whole query first and stops at the first failing statement, leaving the
 * transaction aborted, so nothing of the step commits; `rollback` then ends it. A COMMIT that
 * fails (a deferred constraint) fails this step's query, so the failure is always the step's own.
 *
 * COMMIT rides in the step's query only when the session holds the step guard
 * (POLYMIGRATE_STEP_GUARD_KEY): if polymigrate dies while the server still runs the script, the
 * step commits on its own, and the guard keeps the next run from reading the history before it
 * has. Without the guard, COMMIT is a query of its own, so a step whose process died never commits.
 *
 * - `connection` is what the adapter queries: BEGIN is sent before its first query.
 * - `envelope.send` carries the opening (if still due), the adapter's SQL, `closing` and, when
 *   allowed, COMMIT.
 * - `commit` sends what is still due (closing statements, COMMIT).
 */
export interface StepTransactionOptions {
  /** Statements to commit with the step (its journal row), or '' for none. */
  closing: string;
  /** The session holds the step guard, so COMMIT may end the envelope's query. */
  commitInQuery?: boolean;
  /**
   * A statement that fails unless the previous step committed, run first in the transaction: this
   * step's query may be sent while the previous one still runs (see executePlan).
   */
  check?: string;
}

export class StepTransaction {
  private state: 'idle' | 'open' | 'committed' = 'idle';
  /** The closing statements were sent (inside the open transaction). */
  private closed = false;
  /** The whole step (opening to closing) went out as one query, sent when `send` was called. */
  dispatchedWhole = false;
  private readonly opening: string;

  constructor(private readonly db: Queryable, private readonly options: StepTransactionOptions) {
    this.opening = options.check ? `BEGIN;\n${options.check}` : 'BEGIN';
  }

  /** The step's COMMIT was part of its query, which succeeded. */
  get committedInQuery(): boolean {
    return this.state === 'committed' && this.options.commitInQuery === true && this.closed;
  }

  readonly connection: Queryable = {
    query: async (text, values) => {
      this.assertNotCommitted();
      if (this.state === 'idle') {
        await this.db.query(this.opening);
        this.state = 'open';
      }
      return this.db.query(text, values);
    },
  };

  readonly envelope: StepEnvelope = {
    send: async (sql) => {
      this.assertNotCommitted();
      const head = this.state === 'idle' ? `${this.opening};\n` : '';
      const whole = head !== '';
      // From here on a failure leaves a transaction (aborted or not) that must be rolled back.
      this.state = 'open';
      const { closing, commitInQuery } = this.options;
      const body = closing ? `${head}${sql}\n;\n${closing}` : `${head}${sql}`;
      try {
        const sending = this.db.query(commitInQuery ? `${body}\n;\nCOMMIT` : body);
        this.dispatchedWhole = whole;
        await sending;
      } catch (error) {
        shiftPosition(error, head.length);
        throw error;
      }
      this.closed = true;
      if (!commitInQuery) await this.db.query('COMMIT');
      this.state = 'committed';
    },
  };

  /** Commit what the adapter left open, with the closing statements. */
  async commit(): Promise<void> {
    if (this.state === 'committed') return;
    if (this.state === 'idle') {
      // The adapter sent nothing: there is no transaction to close, only the closing statements
      // (after the check, when there is one: they must not be written after a failed step).
      const { check, closing } = this.options;
      if (closing) await this.db.query(check ? `${check};\n${closing}` : closing);
    } else {
      const { closing } = this.options;
      await this.db.query(closing && !this.closed ? `${closing};\nCOMMIT` : 'COMMIT');
    }
    this.state = 'committed';
  }

  async rollback(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'idle';
    await this.db.query('ROLLBACK');
  }

  private assertNotCommitted(): void {
    if (this.state === 'committed') {
      throw new Error('internal error: a query was sent after the step committed (envelope.send must be the step\'s last query)');
    }
  }
}

/** PostgreSQL's `position` counts characters of the whole query; make it relative to the adapter's SQL. */
function shiftPosition(error: unknown, by: number): void {
  const pgError = error as { position?: string };
  if (by === 0 || typeof pgError?.position !== 'string') return;
  const position = Number(pgError.position);
  if (Number.isInteger(position) && position > by) pgError.position = String(position - by);
  else delete pgError.position;
}
