import { sqlLiteral } from '../../src/db/sql-literal.js';
import type { DiscoveredMigration, HistoryEntry, Queryable } from '../../src/adapter/contract.js';
import { ConfigError } from '../../src/errors.js';
import { isMissingTable } from '../../src/db/missing-table.js';
import { qualified, quoteIdent } from '../../src/db/quote.js';
import type { DrizzleFormat, DrizzleMigrationMeta } from './drizzle-migration.js';

/** A row of drizzle's history table as stored. */
export interface DrizzleHistoryRow {
  id: number;
  hash: string;
  /** The journal `when` of the migration (generation time, not apply time); NULL only if written by hand. */
  created_at: number | null;
  /** drizzle 1.0 only. */
  name?: string | null;
  applied_at?: Date | null;
}

/** HistoryEntry.meta for drizzle: the raw row and how it was tied to a migration on disk. */
export interface DrizzleHistoryMeta {
  row: DrizzleHistoryRow;
  /** 'created_at': the row's created_at is the migration's `when` (drizzle's own key); 'hash': only the file hash matched. */
  matchedBy?: 'created_at' | 'hash' | 'name';
  /** The `when` of the migration the row belongs to, when known (to suggest repairs). */
  expectedWhen?: number;
}

export interface DrizzleHistoryTable {
  schema: string;
  table: string;
}

const V1_COLUMNS = ['name', 'applied_at'];

function formatMismatch(where: string, format: DrizzleFormat): ConfigError {
  return format === 'journal'
    ? new ConfigError(
        `${where} has drizzle 1.0's columns (name, applied_at), but the migrations folder is in the drizzle-kit 0.x format (meta/_journal.json).`,
        'The database was migrated by drizzle 1.0: upgrade the folder with drizzle-kit 1.0 (drizzle-kit up), or point "migrations" at the folder that database was migrated from.',
      )
    : new ConfigError(
        `${where} has no "name" column (drizzle-kit 0.x history), but the migrations folder is in the drizzle 1.0 format (<timestamp>_<name>/migration.sql).`,
        'Run drizzle 1.0\'s migrate once so it upgrades its history table, or point "migrations" at the 0.x folder (the one with meta/_journal.json).',
      );
}

/**
 * Tie rows to migrations on disk. Drizzle's own key is created_at = the journal's `when`; when two
 * rows share a `when`, the one whose hash matches wins. A row whose created_at matches nothing is
 * tied by hash (the journal's `when` was changed after it was applied), newest migration first,
 * so two identical files (e.g. two empty custom migrations) each keep their own row.
 */
function matchJournalRows(
  rows: DrizzleHistoryRow[],
  discovered: DiscoveredMigration<DrizzleMigrationMeta>[],
): Map<DrizzleHistoryRow, { migration: DiscoveredMigration<DrizzleMigrationMeta>; by: 'created_at' | 'hash' }> {
  const matches = new Map<DrizzleHistoryRow, { migration: DiscoveredMigration<DrizzleMigrationMeta>; by: 'created_at' | 'hash' }>();
  const taken = new Set<string>();
  const when = (m: DiscoveredMigration<DrizzleMigrationMeta>) => m.meta!.when;
  for (const pass of ['exact', 'when'] as const) {
    for (const row of rows) {
      if (matches.has(row) || row.created_at === null) continue;
      const migration = discovered.find((m) => !taken.has(m.id) && when(m) === row.created_at && (pass === 'when' || m.checksum === row.hash));
      if (migration) {
        matches.set(row, { migration, by: 'created_at' });
        taken.add(migration.id);
      }
    }
  }
  for (const row of rows) {
    if (matches.has(row)) continue;
    const migration = [...discovered].reverse().find((m) => !taken.has(m.id) && m.checksum === row.hash);
    if (migration) {
      matches.set(row, { migration, by: 'hash' });
      taken.add(migration.id);
    }
  }
  return matches;
}

/**
 * One query. `SELECT *` so the columns tell which drizzle wrote the table (the field list comes back
 * even with no rows); a missing schema or table means nothing applied (undefined).
 */
async function readRows(db: Queryable, table: string, label: string, format: DrizzleFormat): Promise<DrizzleHistoryRow[] | undefined> {
  let result: Awaited<ReturnType<Queryable['query']>> & { fields?: Array<{ name: string }> };
  try {
    result = await db.query(`SELECT * FROM ${table} ORDER BY id`);
  } catch (error) {
    if (isMissingTable(error)) return undefined;
    throw error;
  }
  const columns = result.fields?.map((f) => f.name) ?? Object.keys(result.rows[0] ?? {});
  if (columns.length > 0) {
    const isV1 = V1_COLUMNS.every((c) => columns.includes(c));
    if (isV1 !== (format === 'folders')) throw formatMismatch(label, format);
  }
  return result.rows.map((r) => {
    return {
      id: Number(r.id),
      hash: String((r.hash as string | null | undefined) ?? ''),
      // bigint arrives as a string; drizzle itself compares Number(created_at).
      created_at: r.created_at === null || r.created_at === undefined ? null : Number(r.created_at),
      ...('name' in r ? { name: (r.name as string | null) ?? null } : {}),
      ...('applied_at' in r ? { applied_at: (r.applied_at as Date | null) ?? null } : {}),
    };
  });
}

/** drizzle 1.0 (a folder per migration) names each row, so a row's name is its migration's id. */
function folderEntries(rows: DrizzleHistoryRow[]): HistoryEntry[] {
  return rows.map((row) => ({
    id: row.name ?? `#${row.id}`,
    state: 'applied',
    checksum: row.hash,
    ...(row.applied_at ? { appliedAt: row.applied_at } : {}),
    meta: { row, matchedBy: 'name' } satisfies DrizzleHistoryMeta,
  }));
}

/** drizzle-kit 0.x rows carry no name: each is tied to a migration on disk (matchJournalRows). */
function journalEntries(rows: DrizzleHistoryRow[], discovered: DiscoveredMigration<DrizzleMigrationMeta>[]): HistoryEntry[] {
  const matches = matchJournalRows(rows, discovered);
  return rows.map((row) => {
    const match = matches.get(row);
    const meta: DrizzleHistoryMeta = match ? { row, matchedBy: match.by, expectedWhen: match.migration.meta!.when } : { row };
    return {
      // Rows that belong to no migration on disk are named by what identifies them.
      id: match ? match.migration.id : `created_at=${row.created_at ?? 'NULL'} (row ${row.id})`,
      state: 'applied',
      checksum: row.hash,
      meta,
    };
  });
}

export function drizzleHistoryTable(location: DrizzleHistoryTable) {
  const table = qualified(location.schema, location.table);
  const label = `${location.schema}.${location.table}`;

  return {
    label,
    location: { schema: location.schema, name: location.table },

    async read(db: Queryable, format: DrizzleFormat, discovered: DiscoveredMigration<DrizzleMigrationMeta>[]): Promise<HistoryEntry[]> {
      const rows = await readRows(db, table, label, format);
      if (!rows) return [];
      return format === 'folders' ? folderEntries(rows) : journalEntries(rows, discovered);
    },

    /** Exactly the schema and table drizzle creates before migrating (1.0 adds name and applied_at). */
    async prepare(db: Queryable, format: DrizzleFormat): Promise<void> {
      await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(location.schema)}`);
      await db.query(
        format === 'journal'
          ? `CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`
          : `CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint, name text, applied_at timestamp with time zone DEFAULT now())`,
      );
    },

    /** The row drizzle writes: hash of the file text, created_at = the journal's `when`. */
    async insert(db: Queryable, meta: DrizzleMigrationMeta, hash: string): Promise<void> {
      if (meta.format === 'journal') {
        await db.query(`insert into ${table} ("hash", "created_at") values($1, $2)`, [hash, meta.when]);
      } else {
        await db.query(`insert into ${table} ("hash", "created_at", "name", "applied_at") values($1, $2, $3, now())`, [hash, meta.when, meta.folderName]);
      }
    },

    /** insert() as SQL text, for the step protocol to send with the migration's script. */
    insertSql(meta: DrizzleMigrationMeta, hash: string): string {
      return meta.format === 'journal'
        ? `insert into ${table} ("hash", "created_at") values(${sqlLiteral(hash)}, ${sqlLiteral(meta.when)})`
        : `insert into ${table} ("hash", "created_at", "name", "applied_at") values(${sqlLiteral(hash)}, ${sqlLiteral(meta.when)}, ${sqlLiteral(meta.folderName ?? null)}, now())`;
    },

    /** remove() as one SQL statement: by drizzle's own key, else (nothing matched it) the newest row of the hash. */
    removeSql(meta: DrizzleMigrationMeta, hash: string): string {
      const byKey = meta.format === 'journal' ? `created_at = ${sqlLiteral(meta.when)}` : `name = ${sqlLiteral(meta.folderName ?? null)}`;
      return `WITH by_key AS (DELETE FROM ${table} WHERE ${byKey} RETURNING 1)
        DELETE FROM ${table} WHERE NOT EXISTS (SELECT 1 FROM by_key) AND id = (SELECT max(id) FROM ${table} WHERE hash = ${sqlLiteral(hash)})`;
    },

    /**
     * Remove a migration's row so drizzle sees it as not applied. By drizzle's own key first; a row
     * tied only by hash (its `when` changed since) is removed by hash, newest row only.
     */
    async remove(db: Queryable, meta: DrizzleMigrationMeta, hash: string): Promise<number> {
      const byKey =
        meta.format === 'journal' ? await db.query(`DELETE FROM ${table} WHERE created_at = $1`, [meta.when]) : await db.query(`DELETE FROM ${table} WHERE name = $1`, [meta.folderName]);
      if (byKey.rowCount) return byKey.rowCount;
      const byHash = await db.query(`DELETE FROM ${table} WHERE id = (SELECT max(id) FROM ${table} WHERE hash = $1)`, [hash]);
      return byHash.rowCount ?? 0;
    },
  };
}

export type DrizzleHistoryStore = ReturnType<typeof drizzleHistoryTable>;
