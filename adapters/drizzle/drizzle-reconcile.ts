import type { DiscoveredMigration, EngineProblem, HistoryEntry, MigrationStatus } from '../../src/adapter/contract.js';
import type { DrizzleMigrationMeta } from './drizzle-migration.js';
import type { DrizzleHistoryMeta } from './drizzle-history.js';

function whenText(when: number): string {
  const date = new Date(when);
  return Number.isNaN(date.getTime()) ? String(when) : `${when} (${date.toISOString()})`;
}

/**
 * Drizzle-kit 0.x's status, made visible. Drizzle's rule: take the newest created_at in the history
 * and apply every journal entry whose `when` is greater. It never compares hashes and never looks
 * back, so besides applied and pending this reports what drizzle hides:
 * - modified: the row with the entry's `when` records another hash (the file was edited after it ran);
 * - unreachable: no row, and its `when` is not newer than the newest applied one, so drizzle-kit
 *   migrate skips it forever (a merged branch, a back-dated or hand-edited journal entry);
 * - missing: a row that belongs to no journal entry.
 */
export function reconcileJournal(discovered: DiscoveredMigration<DrizzleMigrationMeta>[], history: HistoryEntry[], engine: string): MigrationStatus<DrizzleMigrationMeta>[] {
  const rowOf = (h: HistoryEntry) => (h.meta as DrizzleHistoryMeta).row;
  const createdAts = history.map((h) => rowOf(h).created_at).filter((c): c is number => c !== null);
  const newest = createdAts.length > 0 ? Math.max(...createdAts) : undefined;
  const newestEntry = history.find((h) => rowOf(h).created_at === newest);
  const byId = new Map<string, HistoryEntry>();
  for (const entry of history) if (!byId.has(entry.id)) byId.set(entry.id, entry);

  const statuses: MigrationStatus<DrizzleMigrationMeta>[] = discovered.map((migration) => {
    const { when } = migration.meta!;
    const entry = byId.get(migration.id);
    if (entry) {
      const { row, matchedBy } = entry.meta as DrizzleHistoryMeta;
      if (matchedBy === 'created_at' && row.hash !== migration.checksum) {
        return {
          id: migration.id,
          state: 'modified',
          migration,
          history: entry,
          reason: 'the file changed after it was applied (its hash differs from the recorded one; drizzle-kit never checks this)',
        };
      }
      if (matchedBy === 'hash' && (newest === undefined || when > newest)) {
        return {
          id: migration.id,
          state: 'modified',
          migration,
          history: entry,
          reason: `it was applied with created_at ${row.created_at ?? 'NULL'}, but its journal "when" is now ${when}, newer than every applied migration: drizzle-kit migrate would run it again. Put the old "when" back in meta/_journal.json.`,
        };
      }
      return { id: migration.id, state: 'applied', migration, history: entry };
    }
    if (newest === undefined || when > newest) return { id: migration.id, state: 'pending', migration };
    return {
      id: migration.id,
      state: 'unreachable',
      migration,
      reason:
        `its journal "when" ${whenText(when)} is not newer than the newest applied migration's created_at ${whenText(newest)}` +
        `${newestEntry ? ` (${newestEntry.id})` : ''}, so drizzle-kit migrate skips it forever`,
      fix:
        `In meta/_journal.json move the entry to the end and give it a "when" greater than ${newest} ` +
        '(or delete the file and its entry and re-generate it with drizzle-kit generate), then run up again. ' +
        `If it was already applied by hand: polymigrate resolve ${engine} ${migration.id} --applied.`,
    };
  });
  const onDisk = new Set(discovered.map((m) => m.id));
  for (const entry of history) {
    if (onDisk.has(entry.id)) continue;
    statuses.push({ id: entry.id, state: 'missing', history: entry, reason: "recorded in drizzle's history (created_at and hash match no journal entry), but no migration on disk" });
  }
  return statuses;
}

/**
 * The NULL created_at anomaly: drizzle reads its newest row with ORDER BY created_at DESC, where
 * PostgreSQL sorts NULL first, so one NULL row makes drizzle-kit migrate believe nothing was ever
 * applied and re-run every migration.
 */
export function nullCreatedAtProblems(history: HistoryEntry[], table: string): EngineProblem[] {
  const nulls = history.filter((h) => (h.meta as DrizzleHistoryMeta).row.created_at === null);
  if (nulls.length === 0) return [];
  const repairs = nulls.map((h) => {
    const { row, expectedWhen } = h.meta as DrizzleHistoryMeta;
    return expectedWhen !== undefined
      ? `UPDATE ${table} SET created_at = ${expectedWhen} WHERE id = ${row.id};  -- ${h.id}`
      : `-- row ${row.id} (hash ${row.hash.slice(0, 12)}…) matches no migration on disk: set created_at to its journal "when", or DELETE it`;
  });
  return [
    {
      message: `${nulls.length} row(s) of ${table} have created_at NULL. drizzle-kit migrate sorts NULL first when it looks for the newest applied migration, so it would treat the database as empty and re-run every migration.`,
      fix: `Set created_at to each migration's journal "when":\n${repairs.join('\n')}`,
    },
  ];
}
