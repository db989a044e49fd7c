import fs from 'node:fs';
import type { CreatedMigration, CreateOptions, DiscoveredMigration, MigrationAdapter, ResolveContext } from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/descriptor.js';
import { ConfigError, RefusedError } from '../../src/errors.js';
import { snakeName } from '../../src/create/migration-name.js';
import { missingPeerText, OPTIONAL_PEERS } from '../../src/peers/missing-peer.js';
import type { DrizzleEngineOptions } from './config.js';
import { DrizzleEngine } from './drizzle-engine.js';
import { drizzleKitCwd } from './drizzle-kit-config.js';
import { findDrizzleKit, listFiles, runDrizzleKit } from './drizzle-kit-generate.js';
import type { DrizzleMigrationMeta } from './drizzle-migration.js';
import { drizzleAtomicRunner, drizzleRunner } from './drizzle-runner.js';
import { journalPath } from './journal-format.js';

/** A drizzle-kit folder (0.x journal, or drizzle 1.0's folder per migration) and drizzle's history table. */
export function createDrizzleAdapter(env: AdapterEnvironment): MigrationAdapter<DrizzleMigrationMeta> {
  const engine = new DrizzleEngine(env.options as DrizzleEngineOptions & { name: string }, env);
  return {
    name: engine.name,
    kind: 'drizzle',
    location: engine.dir,
    capabilities: { rollback: 'down-file' },
    source: {
      discover: async () => engine.scan().migrations,
      create: (name, options) => createDrizzleMigration(engine, name, options),
    },
    history: {
      read: async (db) => (await engine.readHistory(db)).history,
      tables: async () => [(await engine.settings()).store.location],
      reconcile: (discovered, history) => engine.reconcile(discovered, history),
      problems: (history, discovered) => engine.problems(history, discovered),
      prepare: (db) => engine.prepare(db),
      resolve: (id, mark, ctx) => resolveDrizzleMigration(engine, id, mark, ctx),
      recordApplied: (migrations, ctx) => recordDrizzleApplied(engine, migrations, ctx),
    },
    runner: engine.options.atomic ? drizzleAtomicRunner(engine) : drizzleRunner(engine),
    rollbackHint: (migration, id) => engine.rollbackHint(migration, id),
  };
}

/**
 * `polymigrate create drizzle NAME` is drizzle-kit generate (a schema diff), or
 * `generate --custom` for an empty file: the journal, snapshot and file names stay drizzle-kit's.
 */
async function createDrizzleMigration(engine: DrizzleEngine, name: string, options: CreateOptions = {}): Promise<CreatedMigration> {
  const { dir } = engine;
  const { kitConfig } = await engine.settings();
  if (!kitConfig) {
    throw new ConfigError(
      `${engine.name}: no drizzle.config.* found beside or above ${dir}, so drizzle-kit cannot be run.`,
      `Set "drizzleConfig" for engine "${engine.name}" in the polymigrate config (relative to the config file).`,
    );
  }
  const cwd = drizzleKitCwd(kitConfig, dir);
  const bin = findDrizzleKit([cwd, engine.env.configDir]);
  if (!bin) {
    const { message, hint } = missingPeerText(OPTIONAL_PEERS.drizzleKit, cwd, ` (no node_modules/.bin/drizzle-kit in ${cwd} or above)`);
    throw new ConfigError(`${engine.name}: ${message}`, hint);
  }
  const before = fs.existsSync(dir) ? new Set(engine.scan().migrations.map((m) => m.id)) : new Set<string>();
  const filesBefore = listFiles(dir);
  const args = ['generate', '--config', kitConfig.file, '--name', snakeName(name), ...(options.empty ? ['--custom'] : [])];
  const run = await runDrizzleKit(bin, args, cwd);
  if (run.code !== 0) {
    throw new ConfigError(
      `${engine.name}: drizzle-kit ${args.join(' ')} failed (exit ${run.code}):\n${run.output || '(it printed nothing)'}`,
      `It ran in ${cwd}; drizzle-kit resolves "schema" and "out" against that folder.`,
    );
  }
  const created = engine.scan().migrations.filter((m) => !before.has(m.id));
  if (created.length === 0) {
    throw new ConfigError(
      `${engine.name}: drizzle-kit wrote no migration into ${dir}:\n${run.output}`,
      /No schema changes/i.test(run.output)
        ? `The schema has no changes to migrate. For a hand-written migration run polymigrate create ${engine.name} ${name} --empty.`
        : `Check that "out" in ${kitConfig.file} (resolved from ${cwd}) is ${dir}.`,
    );
  }
  const migration = created[created.length - 1]!;
  const written = [...listFiles(dir)].filter((f) => !filesBefore.has(f));
  const journal = journalPath(dir);
  return {
    id: migration.id,
    files: [...new Set([migration.path, ...written, ...(fs.existsSync(journal) ? [journal] : [])])],
    notes: [
      ...(options.empty ? [`Write the SQL in ${migration.path} (separate statements with "--> statement-breakpoint" lines).`] : []),
      `To make it revertible, write the SQL that undoes it in ${engine.downFileOf(migration)} (drizzle-kit does not write downs).`,
    ],
  };
}

/** drizzle records no failed state: `--applied` writes the row drizzle-kit would; `--rolled-back` has nothing to undo. */
async function resolveDrizzleMigration(engine: DrizzleEngine, id: string, mark: 'applied' | 'rolled-back', ctx: ResolveContext): Promise<string> {
  const { migrations, history } = await engine.readHistory(ctx.db);
  const status = engine.reconcile(migrations, history).find((s) => s.id === id);
  if (!status?.migration) {
    throw new RefusedError(`${engine.name}: no migration "${id}" on disk.`, `Run polymigrate status --engine ${engine.name} to see the ids.`);
  }
  const recorded = status.state === 'applied' || status.state === 'modified';
  if (mark === 'rolled-back') {
    if (recorded) {
      throw new RefusedError(
        `${engine.name}: ${id} is recorded as applied; resolve --rolled-back does not undo migrations.`,
        `Use polymigrate down --engine ${engine.name} (needs ${engine.downFileOf(status.migration)}).`,
      );
    }
    return (
      `${id} has no row in drizzle's history (a failed drizzle migration is never recorded), so it is pending already: ` +
      'the next up runs it again from its first statement. Undo whatever part of it ran, or make its statements idempotent, first.'
    );
  }
  if (recorded) throw new RefusedError(`${engine.name}: ${id} is already recorded as applied.`, 'Nothing to do.');
  const { store } = await engine.settings();
  const meta = status.migration.meta!;
  await store.prepare(ctx.db, meta.format);
  await store.insert(ctx.db, meta, status.migration.checksum ?? '');
  return `${id} marked as applied (a row in ${store.label} with created_at ${meta.when}, as drizzle-kit would write it).`;
}

/**
 * `baseline`: the rows `drizzle-kit migrate` writes for these migrations, in journal order — hash
 * of the file text, created_at = the journal's `when` (drizzle 1.0: also the folder name) — after
 * creating the schema and table as it does.
 */
async function recordDrizzleApplied(engine: DrizzleEngine, migrations: Array<DiscoveredMigration<DrizzleMigrationMeta>>, ctx: ResolveContext): Promise<void> {
  const { store } = await engine.settings();
  await store.prepare(ctx.db, engine.scan().format);
  for (const migration of migrations) await store.insert(ctx.db, migration.meta!, migration.checksum ?? '');
}
