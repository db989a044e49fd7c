import fs from 'node:fs';
import path from 'node:path';
import { hash } from 'node:crypto';
import type {
  DiscoveredMigration, MigrationAdapter, SqlStepEngine,
} from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/descriptor.js';
import { ConfigError, MigrationFileError, RefusedError } from '../../src/errors.js';
import { snakeName, utcTimestamp } from '../../src/create/migration-name.js';
import { readMigrationDirectory } from '../../src/discover/read-migration-directory.js';
import { readDownScriptFile, readScriptFile } from '../../src/discover/script-text.js';
import { hasSqlOutsideLineComments, parseSqlFile, type SqlSection } from './sql-file.js';
import { polymigrateHistory, supabaseHistory, type SqlHistoryRow } from './sql-history.js';
import { splitLikeSupabase } from './supabase-split.js';
import type { SqlEngineOptions } from './config.js';

const FILE_PATTERN = /^(\d+)_(.+)\.sql$/;

interface SqlMeta {
  version: string;
  name: string;
  /** The whole file, kept for the Supabase CLI's `statements` (which it splits from the whole file). */
  content?: string;
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
  const supabase = options.history === 'supabase';
  const store = supabase ? supabaseHistory() : polymigrateHistory(env.journalSchema, options.name);

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
    const versions = new Map<bigint, string>();
    for (let i = 0; i < sorted.length; i += 1) {
      const file = sorted[i]!;
      if (!file.endsWith('.sql') || (file.endsWith('.down.sql') && !supabase)) continue;
      if (supabase && file.endsWith('.down.sql')) {
        // The Supabase CLI's pattern ^([0-9]+)_(.*)\.sql$ matches it: it would run it as a migration.
        throw new MigrationFileError(folder + file, 'is a down file in a folder whose history is the Supabase CLI\'s, and the Supabase CLI would apply it as a migration (its file pattern ^([0-9]+)_(.*)\\.sql$ matches it).',
          'Move it out of the migrations folder. To undo a Supabase migration, write a new migration that reverts it.');
      }
      const full = folder + file;
      const match = FILE_PATTERN.exec(file);
      if (!match) {
        throw new MigrationFileError(full, 'does not follow the <version>_<name>.sql pattern.',
          'Rename it to e.g. 20260101120000_create_users.sql (polymigrate create ENGINE NAME writes one), or move it out of the migrations folder.');
      }
      const [, version, name] = match as unknown as [string, string, string];
      // 01_x and 1_y are the same version: in apply order (numeric) they would tie.
      const order = BigInt(version);
      const clash = versions.get(order);
      if (clash) {
        throw new MigrationFileError(full, `has the same version ${version} as ${clash} (versions are compared as numbers).`, 'Give each migration a unique version prefix.');
      }
      versions.set(order, file);
      const decoded = readScriptFile(full);
      const content = decoded.text;
      const id = file.slice(0, -'.sql'.length);
      const downName = `${id}.down.sql`;
      let invalid: string | undefined;
      let meta: SqlMeta = { version, name, up: { text: content, lineOffset: 0, transactional: true }, ...(supabase ? { content } : {}) };
      try {
        if (decoded.problem) throw new MigrationFileError(full, decoded.problem);
        const parsed = parseSqlFile(full, content);
        if (supabase && parsed.down) {
          throw new MigrationFileError(full, 'has a "-- migrate:down" section, and the Supabase CLI (whose history this folder uses) would run it as part of the migration: to it, the directive is a comment.',
            'Remove the down section; to undo a Supabase migration, write a new migration that reverts it.');
        }
        meta = { version, name, up: parsed.up, ...(supabase ? { content } : {}) };
        if (parsed.down) {
          meta.down = parsed.down;
          meta.downFile = full;
        }
        if (files.has(downName)) {
          const downFull = folder + downName;
          if (parsed.down) {
            throw new MigrationFileError(full, `has a "-- migrate:down" section and a ${downName} file.`, 'Keep one of the two.');
          }
          const downParsed = parseSqlFile(downFull, readDownScriptFile(downFull), 'down');
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
      found.push({ order, migration });
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

  function historyRow(migration: DiscoveredMigration, durationMs?: number): SqlHistoryRow {
    const meta = migration.meta as SqlMeta;
    return {
      id: migration.id,
      version: meta.version,
      name: meta.name,
      checksum: migration.checksum ?? '',
      // What the Supabase CLI stores: the whole file (it runs all of it), split as its parser splits.
      statements: supabase ? splitLikeSupabase(meta.content ?? '') : [],
      ...(durationMs === undefined ? {} : { durationMs }),
    };
  }

  /** What to do after an up that committed part of itself failed (the step protocol says what committed). */
  function partialAdvice(migration: DiscoveredMigration): string {
    return supabase
      ? 'the Supabase CLI\'s history has no failed state, so it stays pending: make its statements idempotent and run up again, or finish it by hand and record it with polymigrate resolve'
      : `it is recorded as failed: fix what it left, then run polymigrate resolve ${options.name} ${migration.id} --rolled-back (to run it again) or --applied (you finished it by hand)`;
  }

  /** The steps are SQL the core runs (src/run/step-pipeline.ts); this says what they are. */
  const sql: SqlStepEngine = {
    // Supabase's history has no failed state: a script that could commit in parts is refused.
    ownTransactions: supabase ? 'atomic-only' : 'atomic-or-row-first',
    script(migration, direction) {
      const meta = migration.meta as SqlMeta;
      const section = direction === 'up' ? meta.up : meta.down;
      if (!section) throw new RefusedError(`${migration.id} has no down section or file.`);
      return {
        source: { file: direction === 'up' ? migration.path : meta.downFile ?? migration.path, text: section.text, lineOffset: section.lineOffset },
        ...(section.transactional ? {} : { oneByOne: true }),
        ...(direction === 'down' ? {} : { partialAdvice: partialAdvice(migration) }),
      };
    },
    async history(migration, direction) {
      if (direction === 'down') return { done: store.removeSql(migration.id) };
      const row = historyRow(migration);
      const started = store.startedSql(row);
      // The started row is the failed state itself: a partial failure leaves it as it is.
      return { done: store.appliedSql(row), ...(started ? { started, failed: () => '', forget: store.removeSql(migration.id) } : {}) };
    },
  };

  return {
    name: options.name,
    kind: 'sql',
    location: dir,
    capabilities: { rollback: supabase ? 'none' : 'down-file', transactional: true, granularity: 'single' },
    discover,
    readHistory: (db) => store.read(db),
    prepare: (db) => store.prepare(db),
    sql,

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
      await store.markApplied(ctx.db, historyRow(migration));
      return `${id} marked as applied.`;
    },

    rollbackHint(migration, id) {
      if (supabase) {
        const version = (migration?.meta as SqlMeta | undefined)?.version ?? id.split('_')[0];
        return 'The Supabase CLI has no down migrations (it would run a .down.sql or a "-- migrate:down" section as part of its migrations). ' +
          `Write a new migration that undoes ${id} (polymigrate create ${options.name} revert_${(migration?.meta as SqlMeta | undefined)?.name ?? 'it'}), ` +
          `or undo it by hand and mark it reverted: supabase migration repair --status reverted ${version}`;
      }
      const base = migration ? migration.path.replace(/\.sql$/, '.down.sql') : path.join(dir, `${id}.down.sql`);
      return `Write the SQL that undoes it in ${base} (or a "-- migrate:down" section), then run polymigrate down again.`;
    },
  };
}
