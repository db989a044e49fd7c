import type { Queryable } from '../adapter/contract.js';

/**
 * The transaction a custom engine's transactional step runs in (engines that run their own steps
 * through apply/revert; SQL engines go through the step protocol in step-pipeline.ts). BEGIN is
 * sent just before the adapter's first query, so the first statement of the transaction is the
 * migration's own; `commit` sends polymigrate's closing statements (session reset, journal row)
 * inside it and commits, so the journal never misses a committed step; `rollback` abandons it.
 */
export class StepTransaction {
  private state: 'idle' | 'open' | 'done' = 'idle';

  constructor(private readonly db: Queryable) {}

  readonly connection: Queryable = {
    query: async (text, values) => {
      if (this.state === 'done') throw new Error("internal error: a query was sent after the step's transaction ended");
      if (this.state === 'idle') {
        await this.db.query('BEGIN');
        this.state = 'open';
      }
      return this.db.query(text, values);
    },
  };

  async commit(closing: readonly string[]): Promise<void> {
    const state = this.state;
    this.state = 'done';
    if (state === 'open') await this.db.query([...closing, 'COMMIT'].join(';\n'));
    else if (closing.length > 0) await this.db.query(closing.join(';\n'));
  }

  async rollback(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'done';
    await this.db.query('ROLLBACK');
  }
}
