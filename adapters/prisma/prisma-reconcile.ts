import { acceptedPrismaChecksums } from './prisma-checksum.js';
import type { DiscoveredMigration, HistoryEntry, MigrationStatus } from '../../src/adapter/contract.js';
import type { PrismaMeta } from './prisma-migrations-folder.js';

/** The rows of one migration name, split the way Prisma reads them. */
interface RowsOfName {
  failed?: HistoryEntry;
  /** The newest finished row that is not rolled back. */
  applied?: HistoryEntry;
  rolledBack?: HistoryEntry;
}

/**
 * Prisma's status rules, which differ from the default "newest row decides":
 * - a migration is applied when any row of its name is finished and not rolled back, whatever
 *   rolled-back rows exist beside it (`resolve --applied` leaves exactly that pair);
 * - any row that is neither finished nor rolled back is a failed migration (P3009), and blocks
 *   everything until resolved;
 * - a name whose rows are all rolled back is pending again: `migrate deploy` applies it. We call
 *   it `rolled-back` (the planner applies it like a pending one);
 * - an edit is only a change of content: the line-ending variants of the file are accepted.
 */
export function reconcilePrisma(discovered: Array<DiscoveredMigration<PrismaMeta>>, history: HistoryEntry[]): Array<MigrationStatus<PrismaMeta>> {
  // Indexed loops, no intermediate arrays: at tens of thousands of migrations the garbage costs
  // more collector time than the matching itself.
  const byName = new Map<string, RowsOfName>();
  for (let i = 0; i < history.length; i += 1) {
    const entry = history[i]!;
    let rows = byName.get(entry.id);
    if (!rows) {
      rows = {};
      byName.set(entry.id, rows);
    }
    if (entry.state === 'failed') rows.failed ??= entry;
    else if (entry.state === 'applied')
      rows.applied = entry; // history is ordered by started_at: the last wins
    else rows.rolledBack = entry;
  }

  const statuses: Array<MigrationStatus<PrismaMeta>> = [];
  const onDisk = new Set<string>();
  for (let i = 0; i < discovered.length; i += 1) {
    const migration = discovered[i]!;
    onDisk.add(migration.id);
    statuses.push(statusOf(migration, byName.get(migration.id)));
  }

  byName.forEach((rows, id) => {
    if (onDisk.has(id)) return;
    if (rows.failed) {
      statuses.push({ id, state: 'failed', history: rows.failed, reason: `${rows.failed.detail ?? 'started but never finished'} (and its folder is missing)` });
    } else if (rows.applied) {
      statuses.push({ id, state: 'missing', history: rows.applied, reason: 'recorded in _prisma_migrations, but no migration folder on disk' });
    }
  });
  return statuses;
}

function statusOf(migration: DiscoveredMigration<PrismaMeta>, rows: RowsOfName | undefined): MigrationStatus<PrismaMeta> {
  if (rows?.failed) {
    return { id: migration.id, state: 'failed', migration, history: rows.failed, reason: rows.failed.detail ?? 'started but never finished' };
  }
  if (rows?.applied) {
    const recorded = rows.applied.checksum;
    const bytes = migration.meta?.bytes;
    // The plain hash matches almost always; hash the line-ending variants only when it does not.
    const edited = recorded !== undefined && recorded !== migration.checksum && !(bytes ? acceptedPrismaChecksums(bytes) : []).includes(recorded);
    if (edited) {
      return { id: migration.id, state: 'modified', migration, history: rows.applied, reason: 'its checksum differs from _prisma_migrations; line-ending changes alone are accepted' };
    }
    return { id: migration.id, state: 'applied', migration, history: rows.applied };
  }
  if (rows?.rolledBack) return { id: migration.id, state: 'rolled-back', migration, history: rows.rolledBack };
  return { id: migration.id, state: 'pending', migration };
}
