import { randomUUID } from 'node:crypto';
import type { SqlRunner } from '../../src/adapter/contract.js';
import { findNonTransactionalStatement } from '../../src/db/sql-lexer.js';
import { quoteIdent } from '../../src/db/quote.js';
import { RefusedError } from '../../src/errors.js';
import { PrismaHistoryTable } from './prisma-history.js';
import { prismaFailureLogs } from './prisma-logs.js';
import { DOWN_FILE, type PrismaMeta } from './prisma-migrations-folder.js';

/** 42P07 duplicate_table, 42710 duplicate_object: what an un-baselined existing database raises. */
const ALREADY_EXISTS = new Set(['42P07', '42710']);

/**
 * A Prisma migration's steps: migration.sql (or down.sql) and `_prisma_migrations`' rows as
 * `prisma migrate deploy` writes them; the core's step protocol runs them (src/run/step-pipeline.ts).
 * `table()`: the history table, schema-qualified, as resolved for this run.
 */
export function prismaRunner(engine: string, schema: string | undefined, table: () => string): SqlRunner<PrismaMeta> {
  return {
    granularity: 'sql',
    // Prisma's own protocol for a script with its own transactions: row first, script, then finished.
    ownTransactions: 'row-first',
    // Prisma's schema engine runs `SET search_path = "<schema>"` when the URL names a schema.
    ...(schema ? { session: [`SET search_path = ${quoteIdent(schema)}`] } : {}),
    script(migration, direction) {
      const meta = migration.meta!;
      if (direction === 'down') {
        if (!meta.downFile || meta.downScript === undefined) throw new RefusedError(`${migration.id} has no ${DOWN_FILE}.`);
        return {
          source: { file: meta.downFile, text: meta.downScript, lineOffset: 0 },
          ...(findNonTransactionalStatement(meta.downScript) ? { oneByOne: true } : {}),
        };
      }
      return {
        source: { file: meta.scriptFile, text: meta.script, lineOffset: 0 },
        // Statements PostgreSQL refuses in a transaction send the migration down Prisma's own
        // row-first protocol, statement by statement.
        ...(migration.transactional ? {} : { oneByOne: true }),
        hintFor: (code) =>
          ALREADY_EXISTS.has(code ?? '')
            ? `If this database already held ${migration.id}'s objects before its history was recorded, baseline it instead: polymigrate resolve ${engine} ${migration.id} --applied`
            : undefined,
        partialAdvice:
          'recorded as failed in _prisma_migrations, as Prisma records it (P3009): undo or finish what ran (if anything), then ' +
          `polymigrate resolve ${engine} ${migration.id} --rolled-back (to retry) or --applied`,
      };
    },
    async history(migration, direction) {
      if (direction === 'down') return { done: PrismaHistoryTable.removeAllSql(table(), migration.id) };
      const { started, done, failed } = PrismaHistoryTable.stepStatements(table(), randomUUID(), migration.id, migration.checksum ?? '');
      // Prisma's protocol records every failure of a script run on its own as failed (P3009), even
      // when nothing of it committed; no `forget`, so Prisma's own tools see the same state.
      return { started, done, failed: (report) => failed(prismaFailureLogs(migration.id, report)) };
    },
  };
}
