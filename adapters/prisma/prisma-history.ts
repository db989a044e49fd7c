import type { HistoryEntry, Queryable } from '../../src/adapter/contract.js';
import { isMissingTable } from '../../src/db/missing-table.js';
import { sqlLiteral } from '../../src/db/sql-literal.js';
import { qualified, quoteIdent } from '../../src/db/quote.js';
import { dateFromEpochMillis, epochMillisSql } from '../../src/db/epoch-millis.js';

/** One row of `_prisma_migrations`, as Prisma writes it. */
export interface PrismaMigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

/**
 * One line out of a failed row's logs, for status and refusals: Prisma's engine stores the error
 * followed by a Rust backtrace ("   0: sql_schema_connector::…", "with …", "at …"); the error
 * lines are what a person needs.
 */
export function summarizeLogs(logs: string): string {
  const lines = logs
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(
      (l) =>
        l !== '' &&
        !/^\d+: /.test(l) &&
        !/^(with|at) /.test(l) &&
        l !== '(recorded by polymigrate)' &&
        // P3018's preamble and the migration's name: the status line names the migration already.
        !l.startsWith('A migration failed to apply.') &&
        !l.startsWith('Migration name:'),
    );
  const text = lines.join(' ').replace(/\s+/g, ' ');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/** What `read` selects: the columns it needs, timestamps as epoch milliseconds. */
interface HistoryRow {
  id: string;
  checksum: string;
  finished_ms: number | null;
  migration_name: string;
  logs: string | null;
  rolled_back_ms: number | null;
  started_ms: number;
}

/** The row id of a history entry, kept for resolve. */
export interface PrismaHistoryMeta {
  rowId: string;
  startedAt: Date;
  finishedAt: Date | null;
  rolledBackAt: Date | null;
}

/**
 * Prisma's history table. Its shape (column order, types, the `_prisma_migrations_pkey` primary
 * key) matches what `prisma migrate deploy` creates, so either tool may create it first.
 * Without a configured schema the name stays unqualified, as Prisma leaves it: it resolves
 * through the connection's search_path.
 */
export class PrismaHistoryTable {
  readonly table: string;
  constructor(private readonly schema?: string) {
    this.table = schema ? qualified(schema, '_prisma_migrations') : quoteIdent('_prisma_migrations');
  }

  /** One query; a table that does not exist yet means nothing applied. Rows in Prisma's order (started_at). */
  async read(db: Queryable): Promise<HistoryEntry[]> {
    let rows: HistoryRow[];
    try {
      // Timestamps as epoch milliseconds (see epoch-millis.ts); aliases that differ from the
      // column names, so ORDER BY sorts by the full-precision timestamps.
      rows = (
        await db.query<HistoryRow & Record<string, unknown>>(
          `SELECT id, checksum, ${epochMillisSql('finished_at')} AS finished_ms, migration_name, logs,
                ${epochMillisSql('rolled_back_at')} AS rolled_back_ms, ${epochMillisSql('started_at')} AS started_ms
           FROM ${this.table} ORDER BY started_at, id`,
        )
      ).rows;
    } catch (error) {
      if (isMissingTable(error)) return [];
      throw error;
    }
    const entries = new Array<HistoryEntry>(rows.length);
    for (let i = 0; i < rows.length; i += 1) {
      const row = rows[i]!;
      const startedAt = new Date(row.started_ms);
      const finishedAt = dateFromEpochMillis(row.finished_ms);
      const meta: PrismaHistoryMeta = { rowId: row.id, startedAt, finishedAt, rolledBackAt: dateFromEpochMillis(row.rolled_back_ms) };
      // Prisma's own rule: rolled back wins; otherwise no finished_at means it failed (P3009).
      const state = meta.rolledBackAt ? 'rolled-back' : finishedAt ? 'applied' : 'failed';
      const entry: HistoryEntry = { id: row.migration_name, state, checksum: row.checksum, appliedAt: finishedAt ?? startedAt, meta };
      if (state === 'failed') {
        const logs = row.logs ? summarizeLogs(row.logs) : '';
        entry.detail = `started ${startedAt.toISOString()}, never finished (Prisma P3009)${logs ? `; logs: ${logs}` : ''}`;
      }
      entries[i] = entry;
    }
    return entries;
  }

  async create(db: Queryable): Promise<void> {
    const schema = this.schema ? `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)};\n` : '';
    await db.query(`${schema}CREATE TABLE IF NOT EXISTS ${this.table} (
      "id" VARCHAR(36) NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0,
      CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id")
    )`);
  }

  /**
   * The statements the step protocol sends for one migration (src/run/step-pipeline.ts), on the
   * table named `table` (schema-qualified: a migration may change search_path). `done` is the row
   * `migrate deploy` leaves after a successful migration: inserted whole when the script ran in a
   * transaction with it, or completing the started row (same id) when the script ran on its own.
   */
  static stepStatements(table: string, rowId: string, name: string, checksum: string): { started: string; done: string; failed: (logs: string) => string } {
    const id = sqlLiteral(rowId);
    return {
      started: `INSERT INTO ${table} (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
        VALUES (${id}, ${sqlLiteral(checksum)}, NULL, ${sqlLiteral(name)}, NULL, NULL, now(), 0)`,
      done: `INSERT INTO ${table} AS m (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
        VALUES (${id}, ${sqlLiteral(checksum)}, now(), ${sqlLiteral(name)}, NULL, NULL, now(), 1)
        ON CONFLICT (id) DO UPDATE SET finished_at = now(), applied_steps_count = m.applied_steps_count + 1`,
      failed: (logs) => `UPDATE ${table} SET logs = ${sqlLiteral(logs)} WHERE id = ${id}`,
    };
  }

  /** A revert's history write: no row at all, so Prisma's status and deploy see the migration pending. */
  static removeAllSql(table: string, name: string): string {
    return `DELETE FROM ${table} WHERE migration_name = ${sqlLiteral(name)}`;
  }

  /**
   * `resolve --applied`: the row Prisma inserts (logs '' and applied_steps_count 0 are Prisma's).
   * started_at = finished_at = the clock when the row is written, as Prisma takes one timestamp per
   * call: several rows written in one transaction (baseline) keep their order by started_at.
   */
  async insertResolvedApplied(db: Queryable, id: string, name: string, checksum: string): Promise<void> {
    await db.query(
      `INSERT INTO ${this.table} (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
      SELECT $1, $2, t.at, $3, '', NULL, t.at, 0 FROM (SELECT clock_timestamp() AS at) AS t`,
      [id, checksum, name],
    );
  }

  /** Marks the failed rows (unfinished, not rolled back) of a migration as rolled back. */
  async rollBackFailed(db: Queryable, name: string): Promise<number> {
    const { rowCount } = await db.query(
      `UPDATE ${this.table} SET rolled_back_at = now()
      WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL`,
      [name],
    );
    return rowCount ?? 0;
  }
}
