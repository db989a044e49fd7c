import fs from 'node:fs';
import path from 'node:path';
import { hash } from 'node:crypto';
import type {
  DiscoveredMigration, MigrationAdapter, Queryable, StepContext,
} from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/registry.js';
import { ConfigError, MigrationFileError, RefusedError } from '../../src/errors.js';
import { runSqlScript, runStatementsOneByOne } from '../../src/db/run-sql-script.js';
import { snakeName, utcTimestamp } from '../../src/create/migration-name.js';
import { readMigrationDirectory } from '../../src/discover/read-migration-directory.js';
import { hasSqlOutsideLineComments, parseSqlFile, type SqlSection } from './sql-file.js';
import { polymigrateHistory, supabaseHistory, type SqlHistoryRow } from './sql-history.js';
import type { SqlEngineOptions } from './config.js';

const FILE_PATTERN = /^(\d+)_(.+)\.sql$/;

interface SqlMeta {
  version: string;
  name: string;
  up: SqlSection;
  down?: SqlSection;
  /** File that holds the down section. */
  downFile?: string;
}

/** Checksum of a SQL file: SHA-256 hex of its text with CRLF folded to LF (line endings are not edits). */
export function sqlChecksum(content: string): string {
  return hash('sha256', content.includes('\r') ? content.replace(/\r\n/g, '\n') : content, 'hex');
}

export function createSqlAdapter(env: AdapterEnvironment): MigrationAdapter {
  const options = env.options as unknown as SqlEngineOptions & { name: string };
  const dir = options.migrations;
  const store = options.history === 'supabase' ? supabaseHistory() : polymigrateHistory(env.journalSchema, options.name);

  async function discover(): Promise<DiscoveredMigration[]> {
    const entries = readMigrationDirectory(dir, options.name);
    const files = new Set<string>();
    const sorted: string[] = [];
    for (let i = 0; i < entries.length; i += 1) {
      if (!entries[i]!.isFile()) continue;
      files.add(entries[i]!.name);
      sorted.push(entries[i]!.name);
    }
    sorted.sort();
    // Listed names hold no separator: the folder is normalised once instead of a path.join per file.
    const folder = path.join(dir, path.sep);
    // Apply order is numeric (1, 3, 10): one BigInt per file, compared in the sort below.
    const found: Array<{ order: bigint; migration: DiscoveredMigration }> = [];
    const versions = new Map<string, string>();
    for (let i = 0; i < sorted.length; i += 1) {
      const file = sorted[i]!;
      if (!file.endsWith('.sql') || file.endsWith('.down.sql')) continue;
      const full = folder + file;
      const match = FILE_PATTERN.exec(file);
      if (!match) {
        throw new MigrationFileError(full, 'does not follow the <version>_<name>.sql pattern.',
          'Rename it to e.g. 20260101120000_create_users.sql (polymigrate create ENGINE NAME writes one), or move it out of the migrations folder.');
      }
      const [, version, name] = match as unknown as [string, string, string];
      const clash = versions.get(version);
      if (clash) {
        throw new MigrationFileError(full, `has the same version ${version} as ${clash}.`, 'Give each migration a unique version prefix.');
      }
      versions.set(version, file);
      const content = fs.readFileSync(full, 'utf8');
      const id = file.slice(0, -'.sql'.length);
      const downName = `${id}.down.sql`;
      let invalid: string | undefined;
      let meta: SqlMeta = { version, name, up: { text: content, lineOffset: 0, transactional: true } };
      try {
        const parsed = parseSqlFile(full, content);
        meta = { version, name, up: parsed.up };
        if (parsed.down) {
          meta.down = parsed.down;
          meta.downFile = full;
        }
        if (files.has(downName)) {
          const downFull = folder + downName;
          if (parsed.down) {
            throw new MigrationFileError(full, `has a "-- migrate:down" section and a ${downName} file.`, 'Keep one of the two.');
          }
          const downParsed = parseSqlFile(downFull, fs.readFileSync(downFull, 'utf8'), 'down');
          if (downParsed.down) {
            meta.down = downParsed.down;
            meta.downFile = downFull;
          }
        }
        if (!hasSqlOutsideLineComments(meta.up.text)) {
          throw new MigrationFileError(full, 'has no SQL to apply (the file or its up section is empty).',
            'Write the migration, or delete the file if it was created by mistake.');
        }
      } catch (error) {
        if (!(error instanceof MigrationFileError)) throw error;
        invalid = error.hint ? `${error.message} ${error.hint}` : error.message;
      }
      const migration: DiscoveredMigration = {
        id,
        name,
        path: full,
        checksum: sqlChecksum(content),
        hasDown: meta.down !== undefined,
        transactional: meta.up.transactional,
        meta,
      };
      if (invalid) migration.invalid = invalid;
      found.push({ order: BigInt(version), migration });
    }
    for (let i = 0; i < entries.length; i += 1) {
      const file = entries[i]!.name;
      if (entries[i]!.isFile() && file.endsWith('.down.sql') && !files.has(file.replace(/\.down\.sql$/, '.sql'))) {
        throw new MigrationFileError(folder + file, 'is a down file with no migration beside it.',
          `Expected ${file.replace(/\.down\.sql$/, '.sql')} in the same folder; rename or remove the down file.`);
      }
    }
    found.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    return found.map((f) => f.migration);
  }

  function historyRow(migration: DiscoveredMigration, section: SqlSection, durationMs?: number): SqlHistoryRow {
    const meta = migration.meta as SqlMeta;
    return {
      id: migration.id,
      version: meta.version,
      name: meta.name,
      checksum: migration.checksum ?? '',
      statements: [section.text],
      ...(durationMs === undefined ? {} : { durationMs }),
    };
  }

  /** Outside a transaction every statement runs on its own, so CONCURRENTLY works. */
  async function runSection(db: Queryable, file: string, section: SqlSection, inTransaction: boolean): Promise<void> {
    const source = { file, text: section.text, lineOffset: section.lineOffset };
    if (inTransaction || section.transactional) await runSqlScript(db, source);
    else await runStatementsOneByOne(db, source);
  }

  return {
    name: options.name,
    kind: 'sql',
    location: dir,
    capabilities: { rollback: 'down-file', transactional: true, granularity: 'single' },
    discover,
    readHistory: (db) => store.read(db),
    prepare: (db) => store.prepare(db),

    async apply(migration, ctx: StepContext) {
      const meta = migration.meta as SqlMeta;
      if (ctx.inTransaction) {
        // Script and history row in one query, which also carries the core's BEGIN and journal
        // row and COMMIT (the envelope).
        await runSqlScript(ctx.db, { file: migration.path, text: meta.up.text, lineOffset: meta.up.lineOffset },
          { then: store.appliedSql(historyRow(migration, meta.up)), envelope: ctx.envelope });
        return;
      }
      const started = Date.now();
      await store.markStarted(ctx.db, historyRow(migration, meta.up));
      await runSection(ctx.db, migration.path, meta.up, ctx.inTransaction);
      await store.markApplied(ctx.db, historyRow(migration, meta.up, Date.now() - started));
    },

    async revert(migration, ctx: StepContext) {
      const meta = migration.meta as SqlMeta;
      if (!meta.down) throw new RefusedError(`${migration.id} has no down section or file.`);
      await runSection(ctx.db, meta.downFile ?? migration.path, meta.down, ctx.inTransaction);
      await store.remove(ctx.db, migration.id);
    },

    async create(name) {
      fs.mkdirSync(dir, { recursive: true });
      const id = `${utcTimestamp()}_${snakeName(name)}`;
      const file = path.join(dir, `${id}.sql`);
      if (fs.existsSync(file)) throw new ConfigError(`${file} already exists.`, 'Wait a second or choose another name.');
      fs.writeFileSync(file, `-- ${name}\n-- Add "-- migrate:up transaction:false" as the first line to run outside a transaction\n-- (needed for CREATE INDEX CONCURRENTLY).\n\n`);
      const files = [file];
      const notes: string[] = [];
      if (options.history === 'supabase') {
        notes.push('Supabase history: the Supabase CLI would run a .down.sql in this folder as a migration, so no down file was written.');
      } else {
        const down = path.join(dir, `${id}.down.sql`);
        fs.writeFileSync(down, `-- Reverts ${id}. Delete this file if the migration cannot be reverted.\n\n`);
        files.push(down);
      }
      return { id, files, notes };
    },

    async resolve(id, mark, ctx) {
      const history = await store.read(ctx.db);
      const entry = history.find((h) => h.id === id);
      if (!entry || entry.state !== 'failed') {
        throw new RefusedError(`${options.name}: ${id} is not in a failed state, so there is nothing to resolve.`,
          'resolve only repairs a migration that started outside a transaction and never finished.');
      }
      const migration = (await discover()).find((m) => m.id === id);
      if (mark === 'rolled-back') {
        await store.remove(ctx.db, id);
        return `${id} marked as rolled back: it is pending again. Undo whatever part of it ran before re-applying.`;
      }
      if (!migration) throw new RefusedError(`${options.name}: ${id} has no file on disk, so it cannot be marked applied.`);
      await store.markApplied(ctx.db, historyRow(migration, (migration.meta as SqlMeta).up));
      return `${id} marked as applied.`;
    },

    rollbackHint(migration, id) {
      const base = migration ? migration.path.replace(/\.sql$/, '.down.sql') : path.join(dir, `${id}.down.sql`);
      return `Write the SQL that undoes it in ${base} (or a "-- migrate:down" section), then run polymigrate down again.`;
    },
  };
}
