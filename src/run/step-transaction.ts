import type { Queryable, StepEnvelope } from '../adapter/contract.js';

/**
 * The transaction a transactional step runs in, opened lazily so that a step which is one script
 * travels as one simple-protocol query, `BEGIN; <script + history row>; <journal row>`, and then
 * COMMIT. PostgreSQL stops at the first failing statement of such a query and leaves the
 * transaction aborted, so nothing of the step commits; `rollback` then ends it.
 *
 * COMMIT is deliberately its own query: if polymigrate dies while the server is still running the
 * script, no COMMIT ever arrives and the step rolls back. Inside the same query it would commit
 * after polymigrate's lock was already released (its idle lock session closes at once), racing
 * the next run, which could read the history before that commit and apply the migration again.
 *
 * - `connection` is what the adapter queries: BEGIN is sent before its first query.
 * - `envelope.send` carries the opening (if still due), the adapter's SQL and `closing`.
 * - `commit` sends what is still due (closing statements, COMMIT).
 */
export class StepTransaction {
  private state: 'idle' | 'open' | 'committed' = 'idle';
  /** The closing statements were sent (inside the open transaction). */
  private closed = false;

  /** `closing`: statements to commit with the step (its journal row), or '' for none. */
  constructor(private readonly db: Queryable, private readonly closing: string) {}

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
      try {
        await this.db.query(this.closing ? `${head}${sql}\n;\n${this.closing}` : `${head}${sql}`);
      } catch (error) {
        shiftPosition(error, head.length);
        throw error;
      }
      this.closed = true;
      await this.db.query('COMMIT');
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
