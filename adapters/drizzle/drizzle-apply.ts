import type { BatchStepResult, DiscoveredMigration, Queryable } from '../../src/adapter/contract.js';
import { runSqlPiece, runStatementsOneByOne } from '../../src/db/run-sql-script.js';
import { splitStatements } from '../../src/db/sql-lexer.js';
import type { SqlChunk } from './drizzle-migration.js';

/**
 * Run a migration file. Inside a transaction: each breakpoint chunk as its own query, as drizzle
 * does. Outside one (a migration PostgreSQL refuses in a transaction, like CREATE INDEX
 * CONCURRENTLY): statement by statement, each committing on its own. If one fails, the ones
 * before it stay done; the error says how many, and the migration is not recorded, so it stays
 * pending and the next `up` starts it again from the first statement.
 */
export async function runDrizzleSql(
  db: Queryable,
  file: string,
  text: string,
  chunks: SqlChunk[],
  inTransaction: boolean,
  /** The `polymigrate resolve … --applied` command for this migration. */
  resolveCommand: string,
): Promise<void> {
  const source = { file, text, lineOffset: 0 };
  if (inTransaction) {
    for (const chunk of chunks) await runSqlPiece(db, source, chunk.offset, chunk.text);
    return;
  }
  await runStatementsOneByOne(db, source, {
    statements: chunks.flatMap((chunk) => splitStatements(chunk.text).map((s) => ({ offset: chunk.offset + s.offset, text: s.text }))),
    advice: 'It stays pending: make its statements idempotent (IF NOT EXISTS) and run up again, ' + `or finish it by hand and run ${resolveCommand}.`,
  });
}

/**
 * atomic: true — drizzle-kit's own behaviour: all pending migrations in one transaction, so a
 * failure leaves none of them applied. A migration that cannot run in a transaction splits the
 * run: what came before it is committed first, it runs on its own, then a new transaction starts.
 * Migrations rolled back with the failing one get no result (the core reports them "not-run").
 */
export async function runAtomically<M extends DiscoveredMigration<unknown>>(
  migrations: M[],
  db: Queryable,
  step: (migration: M, inTransaction: boolean) => Promise<void>,
): Promise<BatchStepResult[]> {
  const results: BatchStepResult[] = [];
  let open: BatchStepResult[] = [];
  const commit = async () => {
    if (open.length === 0) return;
    await db.query('COMMIT');
    results.push(...open);
    open = [];
  };
  for (const migration of migrations) {
    const started = Date.now();
    if (!migration.transactional) await commit();
    else if (open.length === 0) await db.query('BEGIN');
    try {
      await step(migration, migration.transactional);
    } catch (error) {
      const rolledBack = open.map((r) => r.id);
      if (migration.transactional) await db.query('ROLLBACK').catch(() => undefined);
      if (rolledBack.length > 0 && error instanceof Error) {
        error.message += ` — atomic: true, so ${rolledBack.join(', ')} (same transaction) ${rolledBack.length === 1 ? 'was' : 'were'} rolled back too.`;
      }
      results.push({ id: migration.id, ok: false, durationMs: Date.now() - started, error: error as Error });
      return results;
    }
    const result = { id: migration.id, ok: true, durationMs: Date.now() - started };
    if (migration.transactional) open.push(result);
    else results.push(result);
  }
  await commit();
  return results;
}
