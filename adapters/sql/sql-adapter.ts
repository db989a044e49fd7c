import fs from 'node:fs';
import path from 'node:path';
import type { MigrationAdapter, MigrationSource, ResolveContext } from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/descriptor.js';
import { ConfigError, RefusedError } from '../../src/errors.js';
import { snakeName, utcTimestamp } from '../../src/create/migration-name.js';
import type { SqlEngineOptions } from './config.js';
import { discoverSqlFolder, type SqlMeta, type SqlMigration } from './sql-folder.js';
import { polymigrateHistory, supabaseHistory, type SqlHistoryStore } from './sql-history.js';
import { sqlHistoryRow, sqlRunner } from './sql-runner.js';

export { sqlChecksum } from './sql-folder.js';

interface SqlEngine {
  options: SqlEngineOptions & { name: string };
  dir: string;
  supabase: boolean;
  store: SqlHistoryStore;
}

/**
 * A plain SQL folder (`<version>_<name>.sql`, dbmate-style sections), recorded in polymigrate's own
 * history or in the Supabase CLI's.
 */
export function createSqlAdapter(env: AdapterEnvironment): MigrationAdapter<SqlMeta> {
  const options = env.options as SqlEngineOptions & { name: string };
  const supabase = options.history === 'supabase';
  const engine: SqlEngine = {
    options,
    dir: options.migrations,
    supabase,
    store: supabase ? supabaseHistory() : polymigrateHistory(env.journalSchema, options.name),
  };
  const discover = async () => discoverSqlFolder(engine.dir, options.name, supabase);
  return {
    name: options.name,
    kind: 'sql',
    location: engine.dir,
    // Supabase's CLI has no downs (it would run a down file as a migration).
    capabilities: { rollback: supabase ? 'none' : 'down-file' },
    source: { discover, create: (name) => createSqlMigration(engine, name) },
    history: {
      read: (db) => engine.store.read(db),
      tables: async () => [engine.store.location],
      prepare: (db) => engine.store.prepare(db),
      resolve: (id, mark, ctx) => resolveSqlMigration(engine, discover, id, mark, ctx),
      recordApplied: (migrations, ctx) => recordSqlApplied(engine, migrations, ctx),
    },
    runner: sqlRunner(options.name, engine.store, supabase),
    rollbackHint: (migration, id) => sqlRollbackHint(engine, migration, id),
  };
}

async function createSqlMigration(engine: SqlEngine, name: string): ReturnType<MigrationSource['create']> {
  const { dir } = engine;
  fs.mkdirSync(dir, { recursive: true });
  const id = `${utcTimestamp()}_${snakeName(name)}`;
  const file = path.join(dir, `${id}.sql`);
  if (fs.existsSync(file)) throw new ConfigError(`${file} already exists.`, 'Wait a second or choose another name.');
  fs.writeFileSync(file, `-- ${name}\n-- Add "-- migrate:up transaction:false" as the first line to run outside a transaction\n-- (needed for CREATE INDEX CONCURRENTLY).\n\n`);
  if (engine.supabase) {
    return { id, files: [file], notes: ['Supabase history: the Supabase CLI would run a .down.sql in this folder as a migration, so no down file was written.'] };
  }
  const down = path.join(dir, `${id}.down.sql`);
  fs.writeFileSync(down, `-- Reverts ${id}. Delete this file if the migration cannot be reverted.\n\n`);
  return { id, files: [file, down], notes: [] };
}

/** Only a migration that started outside a transaction and never finished has something to resolve. */
async function resolveSqlMigration(engine: SqlEngine, discover: () => Promise<SqlMigration[]>, id: string, mark: 'applied' | 'rolled-back', ctx: ResolveContext): Promise<string> {
  const { store, options } = engine;
  const entry = (await store.read(ctx.db)).find((h) => h.id === id);
  if (!entry || entry.state !== 'failed') {
    throw new RefusedError(
      `${options.name}: ${id} is not in a failed state, so there is nothing to resolve.`,
      'resolve only repairs a migration that started outside a transaction and never finished.',
    );
  }
  if (mark === 'rolled-back') {
    await store.remove(ctx.db, id);
    return `${id} marked as rolled back: it is pending again. Undo whatever part of it ran before re-applying.`;
  }
  const migration = (await discover()).find((m) => m.id === id);
  if (!migration) throw new RefusedError(`${options.name}: ${id} has no file on disk, so it cannot be marked applied.`);
  await store.markApplied(ctx.db, sqlHistoryRow(migration, engine.supabase));
  return `${id} marked as applied.`;
}

/**
 * `baseline`: the row `up` writes for each migration (polymigrate's table: checksum, finished,
 * no duration; the Supabase CLI's: version, name and the file's statements, as the
 * Supabase CLI records a migration it applies), after creating the table as `up` does.
 */
async function recordSqlApplied(engine: SqlEngine, migrations: SqlMigration[], ctx: ResolveContext): Promise<void> {
  await engine.store.prepare(ctx.db);
  for (const migration of migrations) await engine.store.markApplied(ctx.db, sqlHistoryRow(migration, engine.supabase));
}

function sqlRollbackHint(engine: SqlEngine, migration: SqlMigration | undefined, id: string): string {
  if (engine.supabase) {
    const version = migration?.meta?.version ?? id.split('_')[0];
    return (
      'The Supabase CLI has no down migrations (it would run a .down.sql or a "-- migrate:down" section as part of its migrations). ' +
      `Write a new migration that undoes ${id} (polymigrate create ${engine.options.name} revert_${migration?.meta?.name ?? 'it'}), ` +
      `or undo it by hand and mark it reverted: supabase migration repair --status reverted ${version}`
    );
  }
  const base = migration ? migration.path.replace(/\.sql$/, '.down.sql') : path.join(engine.dir, `${id}.down.sql`);
  return `Write the SQL that undoes it in ${base} (or a "-- migrate:down" section), then run polymigrate down again.`;
}
