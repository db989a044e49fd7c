import fs from 'node:fs';
import path from 'node:path';
import type {
  DiscoveredMigration, HistoryEntry, MigrationAdapter, Queryable, SqlStepEngine, StepContext,
} from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/descriptor.js';
import { ConfigError, RefusedError } from '../../src/errors.js';
import { runSqlScript } from '../../src/db/run-sql-script.js';
import { snakeName } from '../../src/create/migration-name.js';
import { readMigrationDirectory } from '../../src/discover/read-migration-directory.js';
import { reconcileById } from '../../src/status/reconcile.js';
import { DEFAULT_HISTORY_SCHEMA, DEFAULT_HISTORY_TABLE, type DrizzleEngineOptions } from './config.js';
import { metaOf, runAtomically, runDrizzleSql } from './drizzle-apply.js';
import { drizzleHistoryTable, type DrizzleHistoryStore } from './drizzle-history.js';
import { findDrizzleConfig, readDrizzleKitConfig, drizzleKitCwd, type DrizzleKitConfig } from './drizzle-kit-config.js';
import { findDrizzleKit, listFiles, runDrizzleKit } from './drizzle-kit-generate.js';
import type { DrizzleFormat } from './drizzle-migration.js';
import { splitOnBreakpoints } from './drizzle-migration.js';
import { nullCreatedAtProblems, reconcileJournal } from './drizzle-reconcile.js';
import { detectFormat, discoverFolders } from './folder-format.js';
import { discoverJournal, journalPath, strayFileWarnings } from './journal-format.js';

interface Settings {
  store: DrizzleHistoryStore;
  /** The drizzle.config.* in use, if any (explicit, or found beside/above the migrations folder). */
  kitConfig?: DrizzleKitConfig;
}

export function createDrizzleAdapter(env: AdapterEnvironment): MigrationAdapter {
  const options = env.options as unknown as DrizzleEngineOptions & { name: string };
  const dir = options.migrations;
  const engine = options.name;
  let settings: Promise<Settings> | undefined;
  /** The history table's name for messages, known once settings are resolved (readHistory runs first). */
  let historyLabel = `${options.historySchema ?? DEFAULT_HISTORY_SCHEMA}.${options.historyTable ?? DEFAULT_HISTORY_TABLE}`;

  /**
   * The history table: explicit options win, then drizzle.config.*'s `migrations` block, then
   * drizzle's defaults, so polymigrate reads the same table drizzle-kit migrate writes.
   */
  function resolveSettings(): Promise<Settings> {
    settings ??= (async () => {
      const explicit = options.drizzleConfig ? path.resolve(env.configDir, options.drizzleConfig) : undefined;
      const found = explicit ?? findDrizzleConfig(dir);
      const kitConfig = found ? await readDrizzleKitConfig(found, { execute: explicit !== undefined }) : undefined;
      const store = drizzleHistoryTable({
        schema: options.historySchema ?? kitConfig?.schema ?? DEFAULT_HISTORY_SCHEMA,
        table: options.historyTable ?? kitConfig?.table ?? DEFAULT_HISTORY_TABLE,
      });
      historyLabel = store.label;
      return { store, ...(kitConfig ? { kitConfig } : {}) };
    })();
    return settings;
  }

  function scan(): { format: DrizzleFormat; migrations: DiscoveredMigration[] } {
    const entries = readMigrationDirectory(dir, engine);
    const format = detectFormat(dir, entries);
    return { format, migrations: format === 'journal' ? discoverJournal(dir) : discoverFolders(dir, entries) };
  }

  async function readHistoryWith(db: Queryable): Promise<{ format: DrizzleFormat; migrations: DiscoveredMigration[]; history: HistoryEntry[] }> {
    const { format, migrations } = scan();
    const { store } = await resolveSettings();
    return { format, migrations, history: await store.read(db, format, migrations) };
  }

  function reconcile(discovered: DiscoveredMigration[], history: HistoryEntry[]) {
    const format = discovered[0] ? metaOf(discovered[0]).format : fs.existsSync(journalPath(dir)) ? 'journal' : 'folders';
    // drizzle 1.0 decides pending by name, which is the default model (match by id, compare hashes).
    return format === 'journal' ? reconcileJournal(discovered, history, engine) : reconcileById(discovered, history);
  }

  async function apply(migration: DiscoveredMigration, db: Queryable, inTransaction: boolean): Promise<void> {
    const meta = metaOf(migration);
    await runDrizzleSql(db, migration.path, meta.text, meta.chunks, inTransaction,
      `polymigrate resolve ${engine} ${migration.id} --applied`);
    await (await resolveSettings()).store.insert(db, meta, migration.checksum ?? '');
  }

  async function revert(migration: DiscoveredMigration, db: Queryable, inTransaction: boolean): Promise<void> {
    const meta = metaOf(migration);
    if (meta.downText === undefined || !meta.downFile) {
      throw new RefusedError(`${engine}: ${migration.id} has no down file.`, adapter.rollbackHint(migration, migration.id));
    }
    if (inTransaction) await runSqlScript(db, { file: meta.downFile, text: meta.downText, lineOffset: 0 });
    else await runDrizzleSql(db, meta.downFile, meta.downText, splitOnBreakpoints(meta.downText), false, 'polymigrate down again');
    const removed = await (await resolveSettings()).store.remove(db, meta, migration.checksum ?? '');
    if (removed === 0) {
      throw new RefusedError(`${engine}: ${migration.id} has no row in drizzle's history to remove.`,
        'It is not recorded as applied; run polymigrate status to see its state.');
    }
  }

  /** The steps are SQL the core runs (src/run/step-pipeline.ts); this says what they are. */
  const sql: SqlStepEngine = {
    // drizzle's history has no failed state: a script that could commit in parts is refused.
    ownTransactions: 'atomic-only',
    script(migration, direction) {
      const meta = metaOf(migration);
      if (direction === 'down') {
        if (meta.downText === undefined || !meta.downFile) {
          throw new RefusedError(`${engine}: ${migration.id} has no down file.`, adapter.rollbackHint(migration, migration.id));
        }
        return { source: { file: meta.downFile, text: meta.downText, lineOffset: 0 } };
      }
      // In a transaction the whole file is one query: drizzle sends its breakpoint chunks one by
      // one in its transaction, which commits the same statements together.
      return {
        source: { file: migration.path, text: meta.text, lineOffset: 0 },
        ...(migration.transactional ? {} : { oneByOne: true }),
        partialAdvice: 'drizzle records no failed state, so it stays pending: make its statements idempotent (IF NOT EXISTS) and run up again, ' +
          `or finish it by hand and run polymigrate resolve ${engine} ${migration.id} --applied`,
      };
    },
    async history(migration, direction) {
      const { store } = await resolveSettings();
      const meta = metaOf(migration);
      const hash = migration.checksum ?? '';
      return { done: direction === 'up' ? store.insertSql(meta, hash) : store.removeSql(meta, hash) };
    },
  };

  const adapter: MigrationAdapter = {
    name: engine,
    kind: 'drizzle',
    location: dir,
    capabilities: {
      rollback: 'down-file',
      transactional: true,
      // atomic: the core hands over every pending migration at once and the adapter owns the transaction.
      granularity: options.atomic ? 'batch' : 'single',
    },

    async discover() {
      return scan().migrations;
    },

    async readHistory(db) {
      return (await readHistoryWith(db)).history;
    },

    reconcile,

    problems(history, discovered) {
      return [...nullCreatedAtProblems(history, historyLabel), ...strayFileWarnings(dir, discovered)];
    },

    async prepare(db) {
      await (await resolveSettings()).store.prepare(db, scan().format);
    },

    // With atomic: true the adapter runs the whole batch in one transaction, as drizzle-kit does;
    // `sql` still lets the core check each script before anything runs.
    sql,
    ...(options.atomic
      ? {
        applyBatch: (migrations: DiscoveredMigration[], ctx: StepContext) =>
          runAtomically(migrations, ctx.db, (m, inTransaction) => apply(m, ctx.db, inTransaction)),
        revertBatch: (migrations: DiscoveredMigration[], ctx: StepContext) =>
          runAtomically(migrations, ctx.db, (m, inTransaction) => revert(m, ctx.db, inTransaction)),
      }
      : {}),

    /**
     * `polymigrate create drizzle NAME` is drizzle-kit generate (a schema diff), or
     * `generate --custom` for an empty file: the journal, snapshot and file names stay drizzle-kit's.
     */
    async create(name, createOptions = {}) {
      const { kitConfig } = await resolveSettings();
      if (!kitConfig) {
        throw new ConfigError(`${engine}: no drizzle.config.* found beside or above ${dir}, so drizzle-kit cannot be run.`,
          `Set "drizzleConfig" for engine "${engine}" in the polymigrate config (relative to the config file).`);
      }
      const cwd = drizzleKitCwd(kitConfig, dir);
      const bin = findDrizzleKit([cwd, env.configDir]);
      if (!bin) {
        throw new ConfigError(`${engine}: drizzle-kit is not installed (no node_modules/.bin/drizzle-kit in ${cwd} or above).`,
          'Install it in the project: npm i -D drizzle-kit');
      }
      const before = fs.existsSync(dir) ? new Set(scan().migrations.map((m) => m.id)) : new Set<string>();
      const filesBefore = listFiles(dir);
      const args = ['generate', '--config', kitConfig.file, '--name', snakeName(name), ...(createOptions.empty ? ['--custom'] : [])];
      const run = await runDrizzleKit(bin, args, cwd);
      if (run.code !== 0) {
        throw new ConfigError(`${engine}: drizzle-kit ${args.join(' ')} failed (exit ${run.code}):\n${run.output || '(it printed nothing)'}`,
          `It ran in ${cwd}; drizzle-kit resolves "schema" and "out" against that folder.`);
      }
      const created = scan().migrations.filter((m) => !before.has(m.id));
      if (created.length === 0) {
        throw new ConfigError(`${engine}: drizzle-kit wrote no migration into ${dir}:\n${run.output}`,
          /No schema changes/i.test(run.output)
            ? `The schema has no changes to migrate. For a hand-written migration run polymigrate create ${engine} ${name} --empty.`
            : `Check that "out" in ${kitConfig.file} (resolved from ${cwd}) is ${dir}.`);
      }
      const migration = created[created.length - 1]!;
      const written = [...listFiles(dir)].filter((f) => !filesBefore.has(f));
      const journal = journalPath(dir);
      return {
        id: migration.id,
        files: [...new Set([migration.path, ...written, ...(fs.existsSync(journal) ? [journal] : [])])],
        notes: [
          ...(createOptions.empty ? [`Write the SQL in ${migration.path} (separate statements with "--> statement-breakpoint" lines).`] : []),
          `To make it revertible, write the SQL that undoes it in ${downFileOf(migration)} (drizzle-kit does not write downs).`,
        ],
      };
    },

    async resolve(id, mark, ctx) {
      const { migrations, history } = await readHistoryWith(ctx.db);
      const status = reconcile(migrations, history).find((s) => s.id === id);
      if (!status?.migration) {
        throw new RefusedError(`${engine}: no migration "${id}" on disk.`, `Run polymigrate status --engine ${engine} to see the ids.`);
      }
      const recorded = status.state === 'applied' || status.state === 'modified';
      if (mark === 'rolled-back') {
        if (recorded) {
          throw new RefusedError(`${engine}: ${id} is recorded as applied; resolve --rolled-back does not undo migrations.`,
            `Use polymigrate down --engine ${engine} (needs ${downFileOf(status.migration)}).`);
        }
        return `${id} has no row in drizzle's history (a failed drizzle migration is never recorded), so it is pending already: ` +
          'the next up runs it again from its first statement. Undo whatever part of it ran, or make its statements idempotent, first.';
      }
      if (recorded) throw new RefusedError(`${engine}: ${id} is already recorded as applied.`, 'Nothing to do.');
      const { store } = await resolveSettings();
      await store.prepare(ctx.db, metaOf(status.migration).format);
      await store.insert(ctx.db, metaOf(status.migration), status.migration.checksum ?? '');
      return `${id} marked as applied (a row in ${store.label} with created_at ${metaOf(status.migration).when}, as drizzle-kit would write it).`;
    },

    rollbackHint(migration, id) {
      const downFile = migration ? downFileOf(migration) : path.join(dir, `${id}.down.sql`);
      const when = migration ? metaOf(migration).when : undefined;
      return 'Drizzle has no down migrations and drizzle-kit cannot generate them. ' +
        `Write the SQL that undoes ${id} in ${downFile}, then run polymigrate down again. ` +
        (when === undefined ? '' : `(By hand instead: run that SQL, then delete its history row, created_at = ${when}, so drizzle-kit sees it as pending.)`);
    },
  };
  return adapter;
}

/** `<tag>.down.sql` beside a 0.x migration; `down.sql` in a 1.0 migration folder. */
function downFileOf(migration: DiscoveredMigration): string {
  const meta = metaOf(migration);
  if (meta.downFile) return meta.downFile;
  return meta.format === 'journal' ? migration.path.replace(/\.sql$/, '.down.sql') : path.join(path.dirname(migration.path), 'down.sql');
}
