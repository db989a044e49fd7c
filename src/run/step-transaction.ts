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
export class StepTransaction {
  private state: 'idle' | 'open' | 'committed' = 'idle';
  /** The closing statements were sent (inside the open transaction). */
  private closed = false;

  /**
   * `closing`: statements to commit with the step (its journal row), or '' for none.
   * `commitInQuery`: the session holds the step guard, so COMMIT may end the envelope's query.
   */
  constructor(private readonly db: Queryable, private readonly closing: string, private readonly commitInQuery = false) {}

  readonly connection: Queryable = {
    query: async (text, values) => {
      this.assertNotCommitted();
      if (this.state === 'idle') {
        await this.db.query('BEGIN');
        this.state = 'open';
      }
      return this.db.query(text, values);
    },
  };

  readonly envelope: StepEnvelope = {
    send: async (sql) => {
      this.assertNotCommitted();
      const head = this.state === 'idle' ? 'BEGIN;\n' : '';
      // From here on a failure leaves a transaction (aborted or not) that must be rolled back.
      this.state = 'open';
      const body = this.closing ? `${head}${sql}\n;\n${this.closing}` : `${head}${sql}`;
      try {
        await this.db.query(this.commitInQuery ? `${body}\n;\nCOMMIT` : body);
      } catch (error) {
        shiftPosition(error, head.length);
        throw error;
      }
      this.closed = true;
      if (!this.commitInQuery) await this.db.query('COMMIT');
      this.state = 'committed';
    },
  };

  /** Commit what the adapter left open, with the closing statements. */
  async commit(): Promise<void> {
    if (this.state === 'committed') return;
    if (this.state === 'idle') {
      // The adapter sent nothing: there is no transaction to close, only the closing statements.
      if (this.closing) await this.db.query(this.closing);
    } else {
      await this.db.query(this.closing && !this.closed ? `${this.closing};\nCOMMIT` : 'COMMIT');
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
