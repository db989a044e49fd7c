import type { SchemaDifference } from '../schema/diff.js';
import type { AttributionTracker, MigrationRef } from '../schema/attribution.js';
import type { VerifyDifference } from '../operations/reports.js';

/**
 * Whether one of `engines`' migrations created or last changed the shadow object `key` (without a
 * tracker — a comparison that did not need owners — nothing is known to be owned).
 */
export function ownedBy(tracker: AttributionTracker | undefined, key: string, engines: readonly string[]): boolean {
  const owner = tracker?.ownerOf(key);
  return owner !== undefined && [owner.createdBy, owner.changedBy].some((m) => m !== undefined && engines.includes(m.engine));
}

/** A difference with the migration that owns the object (an unexpected object has no owner). */
export function withOwner(difference: SchemaDifference, tracker: AttributionTracker | undefined): VerifyDifference {
  const owner = difference.kind === 'unexpected' ? undefined : tracker?.ownerOf(difference.key);
  const createdBy: MigrationRef | undefined = owner?.createdBy;
  return {
    ...difference,
    ...(createdBy ? { createdBy: { ...createdBy } } : {}),
    ...(owner?.changedBy && !sameMigration(owner.changedBy, createdBy) ? { changedBy: { ...owner.changedBy } } : {}),
  };
}

function sameMigration(a: MigrationRef, b: MigrationRef | undefined): boolean {
  return b !== undefined && a.engine === b.engine && a.id === b.id;
}
