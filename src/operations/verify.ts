/**
 * `polymigrate verify`: does the live database hold exactly what its applied migrations produce?
 *
 * 1. Each engine's own history says which migrations the live database has applied (pending ones
 *    are left out: they have not produced anything yet).
 * 2. The shadow replays exactly those, in config order, as `up` runs them, with attribution
 *    (src/verify/shadow-comparison.ts, src/verify/attributed-replay.ts): every object knows the migration that created it and the
 *    one that last changed it.
 * 3. Both databases are introspected (src/schema/introspect.ts) with the engines' history tables
 *    and polymigrate's journal left out, `verify.ignore` patterns removed from both, and diffed.
 * Nothing is written to the live database: it is only read, with catalog queries.
 */
import { diffSchemas } from '../schema/diff.js';
import type { SchemaModel } from '../schema/schema-model.js';
import { summarizeObjects, type SchemaSummary } from '../schema/summary.js';
import type { AttributionTracker } from '../schema/attribution.js';
import type { Session } from '../session.js';
import { compareWithShadow } from '../verify/shadow-comparison.js';
import { appliedMigrations, sharesDatabase } from '../verify/applied-migrations.js';
import { ownedBy, withOwner } from '../verify/owned-differences.js';
import { selectEngines } from '../plan/plan-up.js';
import { collectStatus } from './status.js';
import type { VerifyDifference, VerifyOptions, VerifyReport } from './reports.js';

export type { VerifyDifference, VerifyOptions, VerifyReport } from './reports.js';

export async function verify(session: Session, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const warnings: string[] = [];
  const engines = selectEngines(session.engineNames(), options.engines);
  const statuses = await collectStatus(session);
  const replayed = statuses.filter((status) => sharesDatabase(session, status.name, warnings));
  const comparison = await compareWithShadow(session, {
    only: appliedMigrations(replayed, warnings),
    // --engine keeps objects by owner, so owners are needed even when nothing differs.
    owners: options.engines ? 'always' : 'on-difference',
    ...(options.shadowUrl ? { shadowUrl: options.shadowUrl } : {}),
    ...(options.cache !== undefined ? { cache: options.cache } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  warnings.push(...comparison.warnings);
  const compared = compare(comparison.expected, comparison.actual, comparison.tracker, engines, options.engines !== undefined);
  return {
    matches: compared.differences.length === 0,
    differences: compared.differences,
    summary: compared.summary,
    engines,
    warnings,
    shadow: comparison.shadow,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * The differences, each with the migration that owns the object (from the shadow: what the
 * migrations made; an unexpected object has no owner), restricted to the selected engines when
 * `--engine` was given; the summary counts what was compared.
 */
function compare(
  expected: SchemaModel,
  actual: SchemaModel,
  tracker: AttributionTracker | undefined,
  engines: string[],
  restricted: boolean,
): { differences: VerifyDifference[]; summary: SchemaSummary } {
  const owned = (key: string) => !restricted || ownedBy(tracker, key, engines);
  const differences = diffSchemas(expected, actual)
    .filter((d) => owned(d.key))
    .map((d) => withOwner(d, tracker));
  const summary = summarizeObjects([...expected.objects.values()].filter((object) => owned(object.key)));
  return { differences, summary };
}
