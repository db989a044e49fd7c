import type { SqlRunner } from '../../src/adapter/contract.js';
import { RefusedError } from '../../src/errors.js';
import type { SqlHistoryRow, SqlHistoryStore } from './sql-history.js';
import type { SqlMeta, SqlMigration } from './sql-folder.js';
import { splitLikeSupabase } from './supabase-split.js';

/** The row a SQL migration's history gets (Supabase: its statements, split as the Supabase CLI splits them). */
export function sqlHistoryRow(migration: SqlMigration, supabase: boolean): SqlHistoryRow {
  const meta = migration.meta!;
  return {
    id: migration.id,
    version: meta.version,
    name: meta.name,
    checksum: migration.checksum ?? '',
    // The Supabase CLI runs, and stores, the whole file.
    statements: supabase ? splitLikeSupabase(meta.content ?? '') : [],
  };
}

/** A SQL folder's steps: its sections, and its history store's writes (src/run/step-pipeline.ts runs them). */
export function sqlRunner(engine: string, store: SqlHistoryStore, supabase: boolean): SqlRunner<SqlMeta> {
  return {
    granularity: 'sql',
    // Supabase's history has no failed state: a script that could commit in parts is refused.
    ownTransactions: supabase ? 'atomic-only' : 'atomic-or-row-first',
    script(migration, direction) {
      const meta = migration.meta!;
      const section = direction === 'up' ? meta.up : meta.down;
      if (!section) throw new RefusedError(`${migration.id} has no down section or file.`);
      return {
        source: { file: direction === 'up' ? migration.path : (meta.downFile ?? migration.path), text: section.text, lineOffset: section.lineOffset },
        ...(section.transactional ? {} : { oneByOne: true }),
        ...(direction === 'down' ? {} : { partialAdvice: partialAdvice(engine, migration.id, supabase) }),
      };
    },
    async history(migration, direction) {
      if (direction === 'down') return { done: store.removeSql(migration.id) };
      const row = sqlHistoryRow(migration, supabase);
      const started = store.startedSql(row);
      // The started row is the failed state itself: a partial failure leaves it as it is.
      return { done: store.appliedSql(row), ...(started ? { started, failed: () => '', forget: store.removeSql(migration.id) } : {}) };
    },
  };
}

/** What to do after an up that committed part of itself failed (the step protocol says what committed). */
function partialAdvice(engine: string, id: string, supabase: boolean): string {
  return supabase
    ? "the Supabase CLI's history has no failed state, so it stays pending: make its statements idempotent and run up again, or finish it by hand and record it with polymigrate resolve"
    : `it is recorded as failed: fix what it left, then run polymigrate resolve ${engine} ${id} --rolled-back (to run it again) or --applied (you finished it by hand)`;
}
