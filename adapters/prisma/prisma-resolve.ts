import type { DiscoveredMigration, Queryable } from '../../src/adapter/contract.js';
import { ConfigError, RefusedError } from '../../src/errors.js';
import { randomUUID } from 'node:crypto';
import type { PrismaHistoryMeta, PrismaHistoryTable } from './prisma-history.js';

/**
 * `prisma migrate resolve`, with Prisma's rules and error cases (the Pxxxx codes are Prisma's,
 * quoted so users can search for them):
 * - `--applied X`: X must exist on disk (P3017) and not be applied already (P3008). Failed rows of
 *   X are marked rolled back and a new finished row is inserted with the current checksum,
 *   logs '' and applied_steps_count 0. Also used to baseline: it creates the table if missing.
 * - `--rolled-back X`: X needs a row (P3011) and must not be fully finished (P3012); its failed
 *   rows get rolled_back_at. Repeating it changes nothing and succeeds, as in Prisma.
 */
export async function resolvePrismaMigration(input: {
  engine: string;
  dir: string;
  table: PrismaHistoryTable;
  db: Queryable;
  id: string;
  mark: 'applied' | 'rolled-back';
  discover(): Promise<DiscoveredMigration[]>;
}): Promise<string> {
  const { engine, table, db, id } = input;
  if (input.mark === 'applied') {
    const migration = (await input.discover()).find((m) => m.id === id);
    if (!migration) {
      throw new ConfigError(
        `${engine}: there is no migration folder "${id}" in ${input.dir} (Prisma P3017).`,
        'Pass the whole folder name, e.g. 20260101120000_init; polymigrate status lists them.',
      );
    }
    await table.create(db);
    const rows = (await table.read(db)).filter((h) => h.id === id);
    if (rows.some((h) => h.state === 'applied')) {
      throw new RefusedError(
        `${engine}: ${id} is already recorded as applied in _prisma_migrations (Prisma P3008).`,
        'Nothing to resolve. If it is failed as well, resolve it with --rolled-back.',
      );
    }
    await db.query('BEGIN');
    try {
      const rolledBack = await table.rollBackFailed(db, id);
      await table.insertResolvedApplied(db, randomUUID(), id, migration.checksum ?? '');
      await db.query('COMMIT');
      return rolledBack > 0 ? `${id} marked as applied (its failed attempt is kept, marked rolled back, as Prisma does).` : `${id} marked as applied without running it.`;
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  const rows = (await table.read(db)).filter((h) => h.id === id);
  if (rows.length === 0) {
    throw new RefusedError(`${engine}: ${id} cannot be rolled back because it was never applied (Prisma P3011).`, 'Check the name: pass the whole folder name, e.g. 20260101120000_init.');
  }
  if (rows.every((h) => (h.meta as PrismaHistoryMeta).finishedAt !== null)) {
    throw new RefusedError(
      `${engine}: ${id} cannot be marked rolled back because it is not in a failed state (Prisma P3012).`,
      'resolve --rolled-back only repairs a failed migration. To undo an applied one, give it a down.sql and run polymigrate down --engine ' + engine + '.',
    );
  }
  const changed = await table.rollBackFailed(db, id);
  return changed > 0 ? `${id} marked as rolled back: the next up applies it again. First undo whatever part of it ran.` : `${id} was already marked as rolled back; nothing changed.`;
}

/**
 * `baseline`: each migration recorded as `prisma migrate resolve --applied <id>` records it, one
 * row per migration in the order given (the table created first, as resolve does). The core
 * has refused failed migrations before, so there is no failed row to roll back.
 */
export async function recordPrismaApplied(table: PrismaHistoryTable, db: Queryable, migrations: DiscoveredMigration[]): Promise<void> {
  await table.create(db);
  for (const migration of migrations) await table.insertResolvedApplied(db, randomUUID(), migration.id, migration.checksum ?? '');
}
