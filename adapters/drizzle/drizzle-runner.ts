import type { BatchRunner, Queryable, SqlRunner } from '../../src/adapter/contract.js';
import { runSqlScript } from '../../src/db/run-sql-script.js';
import { RefusedError } from '../../src/errors.js';
import { runAtomically, runDrizzleSql } from './drizzle-apply.js';
import type { DrizzleEngine, DrizzleMigration } from './drizzle-engine.js';
import { splitOnBreakpoints, type DrizzleMigrationMeta } from './drizzle-migration.js';

/** The SQL of a drizzle step: the whole file (or down file); the core runs it (src/run/step-pipeline.ts). */
function drizzleScript(engine: DrizzleEngine): SqlRunner<DrizzleMigrationMeta>['script'] {
  return (migration, direction) => {
    if (direction === 'down') {
      const down = engine.down(migration);
      return { source: { file: down.file, text: down.text, lineOffset: 0 } };
    }
    // In a transaction the whole file is one query: drizzle sends its breakpoint chunks one by
    // one in its transaction, which commits the same statements together.
    return {
      source: { file: migration.path, text: migration.meta!.text, lineOffset: 0 },
      ...(migration.transactional ? {} : { oneByOne: true }),
      partialAdvice:
        'drizzle records no failed state, so it stays pending: make its statements idempotent (IF NOT EXISTS) and run up again, ' +
        `or finish it by hand and run polymigrate resolve ${engine.name} ${migration.id} --applied`,
    };
  };
}

/** One transaction per migration (the default): the core's step protocol runs each. */
export function drizzleRunner(engine: DrizzleEngine): SqlRunner<DrizzleMigrationMeta> {
  return {
    granularity: 'sql',
    // drizzle's history has no failed state: a script that could commit in parts is refused.
    ownTransactions: 'atomic-only',
    script: drizzleScript(engine),
    async history(migration, direction) {
      const { store } = await engine.settings();
      const hash = migration.checksum ?? '';
      return { done: direction === 'up' ? store.insertSql(migration.meta!, hash) : store.removeSql(migration.meta!, hash) };
    },
  };
}

/**
 * `atomic: true`: drizzle-kit's own behaviour, every pending migration in one transaction, run by
 * the adapter; `script` still lets the core check each file before anything runs.
 */
export function drizzleAtomicRunner(engine: DrizzleEngine): BatchRunner<DrizzleMigrationMeta> {
  const apply = async (migration: DrizzleMigration, db: Queryable, inTransaction: boolean) => {
    const meta = migration.meta!;
    await runDrizzleSql(db, migration.path, meta.text, meta.chunks, inTransaction, `polymigrate resolve ${engine.name} ${migration.id} --applied`);
    await (await engine.settings()).store.insert(db, meta, migration.checksum ?? '');
  };
  const revert = async (migration: DrizzleMigration, db: Queryable, inTransaction: boolean) => {
    const down = engine.down(migration);
    if (inTransaction) await runSqlScript(db, { file: down.file, text: down.text, lineOffset: 0 });
    else await runDrizzleSql(db, down.file, down.text, splitOnBreakpoints(down.text), false, 'polymigrate down again');
    const removed = await (await engine.settings()).store.remove(db, migration.meta!, migration.checksum ?? '');
    if (removed === 0) {
      throw new RefusedError(`${engine.name}: ${migration.id} has no row in drizzle's history to remove.`, 'It is not recorded as applied; run polymigrate status to see its state.');
    }
  };
  return {
    granularity: 'batch',
    applyBatch: (migrations, ctx) => runAtomically(migrations, ctx.db, (m, inTransaction) => apply(m, ctx.db, inTransaction)),
    revertBatch: (migrations, ctx) => runAtomically(migrations, ctx.db, (m, inTransaction) => revert(m, ctx.db, inTransaction)),
    script: drizzleScript(engine),
  };
}
