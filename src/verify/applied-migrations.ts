import type { Session } from '../session.js';
import type { EngineStatus } from '../status/engine-status.js';

/**
 * Engines on a database of their own (an engine `url`) cannot be compared with the main database's
 * shadow: they are left out, and the report says so.
 */
export function sharesDatabase(session: Session, engine: string, warnings: string[], command = 'verify'): boolean {
  if (session.engineUrl(engine) === session.databaseUrl) return true;
  warnings.push(`${engine} uses a database of its own (its "url"): ${command} compares the main database only, so ${engine}'s migrations were left out of the shadow.`);
  return false;
}

/** The live database's applied migrations per engine, as each engine's history records them. */
export function appliedMigrations(statuses: EngineStatus[], warnings: string[]): Map<string, Set<string>> {
  const only = new Map<string, Set<string>>();
  for (const status of statuses) {
    const ids = new Set<string>();
    for (const migration of status.migrations) {
      if (migration.state === 'applied' || migration.state === 'missing') ids.add(migration.id);
      if (migration.state === 'modified') {
        ids.add(migration.id);
        warnings.push(`${status.name} ${migration.id} was edited after it was applied: the shadow ran the file as it is now, so a difference may come from the edit.`);
      }
      if (migration.state === 'failed') {
        warnings.push(
          `${status.name} ${migration.id} failed part-way: the shadow leaves it out, so whatever it changed before failing shows as unexpected. Resolve it first (polymigrate resolve).`,
        );
      }
    }
    only.set(status.name, ids);
  }
  return only;
}
