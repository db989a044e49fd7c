import type { HistoryEntry, HistoryTableRef, Queryable } from '../../src/adapter/contract.js';
import { qualified, quoteIdent } from '../../src/db/quote.js';
import { isMissingTable } from '../../src/db/missing-table.js';
import { sqlLiteral, sqlTextArray } from '../../src/db/sql-literal.js';
import { dateFromEpochMillis, epochMillisSql } from '../../src/db/epoch-millis.js';

/**
 * Where a SQL folder's applied migrations are recorded. Two stores:
 * - polymigrate's own table (checksums, a failed state for non-transactional files);
 * - the Supabase CLI's `supabase_migrations.schema_migrations`, so a Supabase project keeps one
 *   history whichever tool applied a migration (no checksum there, so no `modified` state).
 */
export interface SqlHistoryStore {
  readonly table: string;
  /** The same table, unquoted, for schema comparisons to leave out. */
  readonly location: HistoryTableRef;
  read(db: Queryable): Promise<HistoryEntry[]>;
  prepare(db: Queryable): Promise<void>;
  markApplied(db: Queryable, row: SqlHistoryRow): Promise<void>;
  /** The same writes as SQL text, sent by the step protocol with or around the migration's script. */
  appliedSql(row: SqlHistoryRow): string;
  /** Before a script that runs outside a transaction: a row that shows as `failed` if it dies; undefined when the store has no failed state (Supabase). */
  startedSql(row: SqlHistoryRow): string | undefined;
  remove(db: Queryable, id: string): Promise<void>;
  removeSql(id: string): string;
}

export interface SqlHistoryRow {
  id: string;
  version: string;
  name: string;
  checksum: string;
  /** Supabase's `statements`: one element per statement as its CLI splits them; empty is stored as NULL. */
  statements: string[];
  durationMs?: number;
}

/** The engine's rows of polymigrate's table; a row without finished_at started outside a transaction and died. */
async function readPolymigrateHistory(db: Queryable, table: string, engine: string): Promise<HistoryEntry[]> {
  try {
    const { rows } = await db.query<{ id: string; checksum: string; applied_ms: number | null; finished: boolean }>(
      `SELECT id, checksum, ${epochMillisSql('applied_at')} AS applied_ms, finished_at IS NOT NULL AS finished
         FROM ${table} WHERE engine = $1 ORDER BY applied_at, id`,
      [engine],
    );
    const entries = new Array<HistoryEntry>(rows.length);
    for (let i = 0; i < rows.length; i += 1) {
      const row = rows[i]!;
      const entry: HistoryEntry = { id: row.id, state: row.finished ? 'applied' : 'failed', checksum: row.checksum };
      const appliedAt = dateFromEpochMillis(row.applied_ms);
      if (appliedAt) entry.appliedAt = appliedAt;
      if (!row.finished) entry.detail = 'started outside a transaction and never finished';
      entries[i] = entry;
    }
    return entries;
  } catch (error) {
    if (isMissingTable(error)) return [];
    throw error;
  }
}

export function polymigrateHistory(schema: string, engine: string): SqlHistoryStore {
  const table = qualified(schema, 'sql_migrations');
  return {
    table,
    location: { schema, name: 'sql_migrations' },
    read: (db) => readPolymigrateHistory(db, table, engine),
    async prepare(db) {
      await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)};
        CREATE TABLE IF NOT EXISTS ${table} (
          engine text NOT NULL,
          id text NOT NULL,
          checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now(),
          finished_at timestamptz,
          duration_ms integer,
          PRIMARY KEY (engine, id)
        )`);
    },
    startedSql(row) {
      return `INSERT INTO ${table} (engine, id, checksum, finished_at) VALUES (${sqlLiteral(engine)}, ${sqlLiteral(row.id)}, ${sqlLiteral(row.checksum)}, NULL)
        ON CONFLICT (engine, id) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now(), finished_at = NULL`;
    },
    removeSql(id) {
      return `DELETE FROM ${table} WHERE engine = ${sqlLiteral(engine)} AND id = ${sqlLiteral(id)}`;
    },
    appliedSql(row) {
      // statement_timestamp() is when this query (script + row) arrived: the script's duration,
      // when it is the script's query; after a script sent on its own, the row's own query.
      return `INSERT INTO ${table} (engine, id, checksum, finished_at, duration_ms)
        VALUES (${sqlLiteral(engine)}, ${sqlLiteral(row.id)}, ${sqlLiteral(row.checksum)}, now(),
          (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::int)
        ON CONFLICT (engine, id) DO UPDATE SET checksum = EXCLUDED.checksum, finished_at = now(), duration_ms = EXCLUDED.duration_ms`;
    },
    async markApplied(db, row) {
      // clock_timestamp(), not the default now(): `baseline` marks several in one transaction, where
      // now() is one instant, and read() orders by applied_at (then id, as text: 10_x before 1_y).
      await db.query(
        `INSERT INTO ${table} (engine, id, checksum, applied_at, finished_at, duration_ms) SELECT $1, $2, $3, t.at, t.at, $4::int FROM (SELECT clock_timestamp() AS at) AS t
        ON CONFLICT (engine, id) DO UPDATE SET checksum = EXCLUDED.checksum, finished_at = now(), duration_ms = EXCLUDED.duration_ms`,
        [engine, row.id, row.checksum, row.durationMs ?? null],
      );
    },
    async remove(db, id) {
      await db.query(`DELETE FROM ${table} WHERE engine = $1 AND id = $2`, [engine, id]);
    },
  };
}

export function supabaseHistory(): SqlHistoryStore {
  const table = 'supabase_migrations.schema_migrations';
  return {
    table,
    location: { schema: 'supabase_migrations', name: 'schema_migrations' },
    async read(db) {
      try {
        const { rows } = await db.query<{ version: string; name: string | null }>(`SELECT version, name FROM ${table} ORDER BY version`);
        return rows.map((row) => ({ id: row.name ? `${row.version}_${row.name}` : row.version, state: 'applied' as const }));
      } catch (error) {
        if (isMissingTable(error)) return [];
        throw error;
      }
    },
    async prepare(db) {
      // The columns the Supabase CLI creates; newer CLIs add more, which we leave alone.
      await db.query(`CREATE SCHEMA IF NOT EXISTS supabase_migrations;
        CREATE TABLE IF NOT EXISTS ${table} (version text NOT NULL PRIMARY KEY, statements text[], name text)`);
    },
    startedSql() {
      return undefined;
    },
    removeSql(id) {
      return `DELETE FROM ${table} WHERE version = ${sqlLiteral(id.split('_')[0]!)}`;
    },
    appliedSql(row) {
      const statements = row.statements.length === 0 ? 'NULL' : sqlTextArray(row.statements);
      return `INSERT INTO ${table} (version, statements, name) VALUES (${sqlLiteral(row.version)}, ${statements}, ${sqlLiteral(row.name)})`;
    },
    async markApplied(db, row) {
      await db.query(`INSERT INTO ${table} (version, statements, name) VALUES ($1, $2, $3)`, [row.version, row.statements.length === 0 ? null : row.statements, row.name]);
    },
    async remove(db, id) {
      await db.query(`DELETE FROM ${table} WHERE version = $1`, [id.split('_')[0]]);
    },
  };
}
