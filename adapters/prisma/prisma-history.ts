import type { HistoryEntry, Queryable } from '../../src/adapter/contract.js';
import { isMissingTable } from '../../src/db/missing-table.js';
import { sqlLiteral } from '../../src/db/sql-literal.js';
import { qualified, quoteIdent } from '../../src/db/quote.js';

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
  const lines = logs.split(/\r?\n/).map((l) => l.trim())
    .filter((l) => l !== '' && !/^\d+: /.test(l) && !/^(with|at) /.test(l) && l !== '(recorded by polymigrate)');
  const text = lines.join(' ').replace(/\s+/g, ' ');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
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
    let rows: PrismaMigrationRow[];
    try {
      rows = (await db.query<PrismaMigrationRow & Record<string, unknown>>(
        `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
           FROM ${this.table} ORDER BY started_at, id`)).rows;
    } catch (error) {
      if (isMissingTable(error)) return [];
      throw error;
    }
    return rows.map((row) => {
      const meta: PrismaHistoryMeta = {
        rowId: row.id, startedAt: row.started_at, finishedAt: row.finished_at, rolledBackAt: row.rolled_back_at,
      };
      // Prisma's own rule: rolled back wins; otherwise no finished_at means it failed (P3009).
      const state = row.rolled_back_at ? 'rolled-back' : row.finished_at ? 'applied' : 'failed';
      const entry: HistoryEntry = { id: row.migration_name, state, checksum: row.checksum, appliedAt: row.finished_at ?? row.started_at, meta };
      if (state === 'failed') {
        const logs = row.logs ? summarizeLogs(row.logs) : '';
        entry.detail = `started ${row.started_at.toISOString()}, never finished (Prisma P3009)${logs ? `; logs: ${logs}` : ''}`;
      }
      return entry;
    });
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

  /** The row `migrate deploy` leaves after a successful migration. */
  /** The row `migrate deploy` leaves for a successful migration, as SQL text (sent with the script). */
  insertAppliedSql(id: string, name: string, checksum: string): string {
    return `INSERT INTO ${this.table} (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
      VALUES (${sqlLiteral(id)}, ${sqlLiteral(checksum)}, now(), ${sqlLiteral(name)}, NULL, NULL, now(), 1)`;
  }

  async insertApplied(db: Queryable, id: string, name: string, checksum: string): Promise<void> {
    await db.query(`INSERT INTO ${this.table} (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
      VALUES ($1, $2, now(), $3, NULL, NULL, now(), 1)`, [id, checksum, name]);
  }

  /** Prisma's first step: the row exists (unfinished) before the script runs. */
  async insertStarted(db: Queryable, id: string, name: string, checksum: string): Promise<void> {
    await db.query(`INSERT INTO ${this.table} (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
      VALUES ($1, $2, NULL, $3, NULL, NULL, now(), 0)`, [id, checksum, name]);
  }

  async markFinished(db: Queryable, id: string): Promise<void> {
    await db.query(`UPDATE ${this.table} SET finished_at = now(), applied_steps_count = applied_steps_count + 1 WHERE id = $1`, [id]);
  }

  /** On failure Prisma records only the logs: finished_at stays NULL, which is the failed state. */
  async recordFailure(db: Queryable, id: string, logs: string): Promise<void> {
    await db.query(`UPDATE ${this.table} SET logs = $2 WHERE id = $1`, [id, logs]);
  }

  /** `resolve --applied`: the row Prisma inserts (logs '' and applied_steps_count 0 are Prisma's). */
  async insertResolvedApplied(db: Queryable, id: string, name: string, checksum: string): Promise<void> {
    await db.query(`INSERT INTO ${this.table} (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
      VALUES ($1, $2, now(), $3, '', NULL, now(), 0)`, [id, checksum, name]);
  }

  /** Marks the failed rows (unfinished, not rolled back) of a migration as rolled back. */
  async rollBackFailed(db: Queryable, name: string): Promise<number> {
    const { rowCount } = await db.query(`UPDATE ${this.table} SET rolled_back_at = now()
      WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL`, [name]);
    return rowCount ?? 0;
  }

  /** After a revert: no row at all, so Prisma's status and deploy see the migration pending. */
  async removeAll(db: Queryable, name: string): Promise<void> {
    await db.query(`DELETE FROM ${this.table} WHERE migration_name = $1`, [name]);
  }
}
