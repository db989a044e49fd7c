import type { DiscoveredMigration, HistoryEntry, MigrationStatus } from '../adapter/contract.js';

/**
 * The default status model: match files and history rows by id.
 * - a row that is failed (started, never finished) → failed, whatever the file says;
 * - the newest row of an id decides (a rolled-back row followed by a new applied row is applied);
 * - applied with a different checksum → modified (only when both sides have a checksum);
 * - rows without a file → missing (applied) or dropped (rolled back: nothing to say);
 * - files without a row → pending.
 * Files come first, in apply order; missing rows follow in history order.
 */
export function reconcileById<Meta>(discovered: Array<DiscoveredMigration<Meta>>, history: HistoryEntry[]): Array<MigrationStatus<Meta>> {
  // Indexed loops, no intermediate arrays: with tens of thousands of migrations the garbage
  // (iterator results, id lists) costs more collector time than the matching itself.
  const latest = new Map<string, HistoryEntry>();
  for (let i = 0; i < history.length; i += 1) {
    const entry = history[i]!;
    const previous = latest.get(entry.id);
    // A failed row stays visible until resolved, even when an older applied row exists.
    if (!previous || entry.state === 'failed' || previous.state !== 'failed') latest.set(entry.id, entry);
  }
  const statuses: Array<MigrationStatus<Meta>> = [];
  const onDisk = new Set<string>();
  for (let i = 0; i < discovered.length; i += 1) {
    const migration = discovered[i]!;
    onDisk.add(migration.id);
    statuses.push(statusOf(migration, latest.get(migration.id)));
  }
  latest.forEach((entry) => {
    if (onDisk.has(entry.id) || entry.state === 'rolled-back') return;
    statuses.push({
      id: entry.id,
      state: entry.state === 'failed' ? 'failed' : 'missing',
      history: entry,
      reason: entry.state === 'failed' ? 'started but never finished (and no file on disk)' : 'recorded as applied, but no file on disk',
    });
  });
  return statuses;
}

function statusOf<Meta>(migration: DiscoveredMigration<Meta>, entry: HistoryEntry | undefined): MigrationStatus<Meta> {
  if (!entry) {
    return { id: migration.id, state: 'pending', migration };
  }
  if (entry.state === 'failed') {
    return { id: migration.id, state: 'failed', migration, history: entry, reason: entry.detail ?? 'started but never finished' };
  }
  if (entry.state === 'rolled-back') {
    return { id: migration.id, state: 'rolled-back', migration, history: entry };
  }
  if (migration.checksum && entry.checksum && migration.checksum !== entry.checksum) {
    return { id: migration.id, state: 'modified', migration, history: entry, reason: 'the file changed after it was applied' };
  }
  return { id: migration.id, state: 'applied', migration, history: entry };
}
