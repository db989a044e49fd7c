import fs from 'node:fs';
import path from 'node:path';
import type { DiscoveredMigration, EngineProblem, HistoryEntry, MigrationStatus, Queryable } from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/descriptor.js';
import { RefusedError } from '../../src/errors.js';
import { readMigrationDirectory } from '../../src/discover/read-migration-directory.js';
import { reconcileById } from '../../src/status/reconcile.js';
import { DEFAULT_HISTORY_SCHEMA, DEFAULT_HISTORY_TABLE, type DrizzleEngineOptions } from './config.js';
import { drizzleHistoryTable, type DrizzleHistoryStore } from './drizzle-history.js';
import { findDrizzleConfig, readDrizzleKitConfig, type DrizzleKitConfig } from './drizzle-kit-config.js';
import type { DrizzleFormat, DrizzleMigrationMeta } from './drizzle-migration.js';
import { nullCreatedAtProblems, reconcileJournal } from './drizzle-reconcile.js';
import { detectFormat, discoverFolders } from './folder-format.js';
import { discoverJournal, journalPath, strayFileWarnings } from './journal-format.js';

export type DrizzleMigration = DiscoveredMigration<DrizzleMigrationMeta>;

interface Settings {
  store: DrizzleHistoryStore;
  /** The drizzle.config.* in use, if any (explicit, or found beside/above the migrations folder). */
  kitConfig?: DrizzleKitConfig;
}

/**
 * One drizzle engine entry: its folder (either format), its history table, and drizzle's rules for
 * reading them. The adapter (drizzle-adapter.ts) and its runners are built on it.
 */
export class DrizzleEngine {
  readonly name: string;
  readonly dir: string;
  private settingsOnce: Promise<Settings> | undefined;
  /** The history table's name for messages, known once settings are resolved (read() runs first). */
  private historyLabel: string;

  constructor(
    readonly options: DrizzleEngineOptions & { name: string },
    readonly env: AdapterEnvironment,
  ) {
    this.name = options.name;
    this.dir = options.migrations;
    this.historyLabel = `${options.historySchema ?? DEFAULT_HISTORY_SCHEMA}.${options.historyTable ?? DEFAULT_HISTORY_TABLE}`;
  }

  /**
   * The history table: explicit options win, then drizzle.config.*'s `migrations` block, then
   * drizzle's defaults, so polymigrate reads the same table drizzle-kit migrate writes.
   */
  settings(): Promise<Settings> {
    this.settingsOnce ??= (async () => {
      const explicit = this.options.drizzleConfig ? path.resolve(this.env.configDir, this.options.drizzleConfig) : undefined;
      const found = explicit ?? findDrizzleConfig(this.dir);
      const kitConfig = found ? await readDrizzleKitConfig(found, { execute: explicit !== undefined }) : undefined;
      const store = drizzleHistoryTable({
        schema: this.options.historySchema ?? kitConfig?.schema ?? DEFAULT_HISTORY_SCHEMA,
        table: this.options.historyTable ?? kitConfig?.table ?? DEFAULT_HISTORY_TABLE,
      });
      this.historyLabel = store.label;
      return { store, ...(kitConfig ? { kitConfig } : {}) };
    })();
    return this.settingsOnce;
  }

  scan(): { format: DrizzleFormat; migrations: DrizzleMigration[] } {
    const entries = readMigrationDirectory(this.dir, this.name);
    const format = detectFormat(this.dir, entries);
    return { format, migrations: format === 'journal' ? discoverJournal(this.dir) : discoverFolders(this.dir, entries) };
  }

  async readHistory(db: Queryable): Promise<{ format: DrizzleFormat; migrations: DrizzleMigration[]; history: HistoryEntry[] }> {
    const { format, migrations } = this.scan();
    const { store } = await this.settings();
    return { format, migrations, history: await store.read(db, format, migrations) };
  }

  reconcile(discovered: DrizzleMigration[], history: HistoryEntry[]): Array<MigrationStatus<DrizzleMigrationMeta>> {
    const format = discovered[0] ? discovered[0].meta!.format : fs.existsSync(journalPath(this.dir)) ? 'journal' : 'folders';
    // drizzle 1.0 decides pending by name, which is the default model (match by id, compare hashes).
    return format === 'journal' ? reconcileJournal(discovered, history, this.name) : reconcileById(discovered, history);
  }

  problems(history: HistoryEntry[], discovered: DrizzleMigration[]): EngineProblem[] {
    return [...nullCreatedAtProblems(history, this.historyLabel), ...strayFileWarnings(this.dir, discovered)];
  }

  async prepare(db: Queryable): Promise<void> {
    await (await this.settings()).store.prepare(db, this.scan().format);
  }

  /** `<tag>.down.sql` beside a 0.x migration; `down.sql` in a 1.0 migration folder. */
  downFileOf(migration: DrizzleMigration): string {
    const meta = migration.meta!;
    if (meta.downFile) return meta.downFile;
    return meta.format === 'journal' ? migration.path.replace(/\.sql$/, '.down.sql') : path.join(path.dirname(migration.path), 'down.sql');
  }

  rollbackHint(migration: DrizzleMigration | undefined, id: string): string {
    const downFile = migration ? this.downFileOf(migration) : path.join(this.dir, `${id}.down.sql`);
    const when = migration?.meta?.when;
    return (
      'Drizzle has no down migrations and drizzle-kit cannot generate them. ' +
      `Write the SQL that undoes ${id} in ${downFile}, then run polymigrate down again. ` +
      (when === undefined ? '' : `(By hand instead: run that SQL, then delete its history row, created_at = ${when}, so drizzle-kit sees it as pending.)`)
    );
  }

  /** A migration's down, or the refusal that says how to write one. */
  down(migration: DrizzleMigration): { file: string; text: string } {
    const meta = migration.meta!;
    if (meta.downText === undefined || !meta.downFile) {
      throw new RefusedError(`${this.name}: ${migration.id} has no down file.`, this.rollbackHint(migration, migration.id));
    }
    return { file: meta.downFile, text: meta.downText };
  }
}
