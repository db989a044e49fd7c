/**
 * `polymigrate baseline ENGINE [--to ID] [--dry-run]`: adopt migrations on a database whose schema
 * was made another way (`drizzle-kit push`, `prisma db push`, Payload's dev push, by hand).
 *
 * 1. The engine's history and files say which of its migrations (up to --to) are not recorded yet.
 * 2. The shadow replays, in config order, every other engine's applied migrations (as `verify`
 *    does) and the engine's applied ones plus those to record (src/verify/shadow-comparison.ts).
 * 3. The live database is compared with it on the objects the engine's migrations create or
 *    change: any missing or changed one refuses the baseline (exit 4), nothing is written.
 *    Objects no migration makes are not the engine's business: reported, never refusing.
 * 4. Otherwise the migrations are recorded as applied exactly as the engine records them (the
 *    adapter's `history.recordApplied`), in one transaction with the journal's run, under
 *    polymigrate's lock and the engine's own lock keys — the same locks `resolve` takes.
 * A recording baseline holds the locks from the history read to the commit, so no `up` can apply
 * one of these migrations in between. --dry-run takes no lock and writes nothing.
 */
import type { MigrationAdapter } from '../adapter/contract.js';
import { recordBaseline } from '../baseline/record-baseline.js';
import { selectBaseline, type BaselineSelection } from '../baseline/baseline-selection.js';
import { ConfigError } from '../errors.js';
import { POLYMIGRATE_LOCK_KEY } from '../lock/advisory-lock.js';
import { withAdvisoryLocks } from '../lock/held-locks.js';
import { refuseKnownTransactionPooler, refuseTransactionPooler } from '../pooler/pooler-check.js';
import { diffSchemas } from '../schema/diff.js';
import { summarizeObjects } from '../schema/summary.js';
import type { Session } from '../session.js';
import { appliedMigrations, sharesDatabase } from '../verify/applied-migrations.js';
import { holdsHistory, type HistoryTable } from '../verify/history-exclusions.js';
import { ownedBy, withOwner } from '../verify/owned-differences.js';
import { compareWithShadow, type ShadowComparison } from '../verify/shadow-comparison.js';
import type { BaselineOptions, BaselineReport } from './reports.js';
import { collectStatus } from './status.js';

export type { BaselineOptions, BaselineReport } from './reports.js';

export async function baseline(given: Session, engine: string, options: BaselineOptions = {}): Promise<BaselineReport> {
  const started = performance.now();
  const session = options.dryRun ? given : given.forRun();
  const adapter = await baselineAdapter(session, engine);
  const finish = (report: Omit<BaselineReport, 'durationMs'>): BaselineReport => ({ ...report, durationMs: Math.round(performance.now() - started) });
  if (options.dryRun) return finish((await compareAndSelect(session, adapter, options)).report);
  refuseKnownTransactionPooler(session.databaseUrl);
  const db = await session.db();
  const lockDb = await session.lockDb();
  await refuseTransactionPooler(session.databaseUrl, { name: 'the lock connection', db: lockDb }, { name: 'the run connection', db });
  const keys = [POLYMIGRATE_LOCK_KEY, ...(adapter.capabilities.lockKeys ?? [])];
  return withAdvisoryLocks(lockDb, session.databaseUrl, keys, { timeoutSeconds: session.lockTimeoutSeconds, journal: session.journal }, async () => {
    const { report, selection } = await compareAndSelect(session, adapter, options);
    if (report.outcome !== 'planned') return finish(report);
    const runId = await recordBaseline(session, adapter, selection.record, options);
    return finish({ ...report, outcome: 'recorded', runId });
  });
}

/** The engine, if it can be baselined here: its adapter records rows, and it lives in the main database. */
async function baselineAdapter(session: Session, engine: string): Promise<MigrationAdapter> {
  const adapter = await session.adapter(engine);
  if (!adapter.history.recordApplied) {
    throw new ConfigError(
      `The ${adapter.kind} engine "${engine}" cannot record migrations without running them (its adapter has no history.recordApplied), so it cannot be baselined.`,
      `Record them with the engine's own tool, or implement history.recordApplied in its adapter (polymigrate/testing's adapter suite checks it).`,
    );
  }
  if (session.engineUrl(engine) !== session.databaseUrl) {
    throw new ConfigError(
      `${engine} uses a database of its own (its "url"): baseline compares the main database only.`,
      `Run baseline with --url set to ${engine}'s database and a config in which it has no "url".`,
    );
  }
  return adapter;
}

/** Read every history, pick what to record, and compare the engine's objects with the shadow. */
async function compareAndSelect(
  session: Session,
  adapter: MigrationAdapter,
  options: BaselineOptions,
): Promise<{ report: Omit<BaselineReport, 'durationMs'>; selection: BaselineSelection }> {
  const engine = adapter.name;
  const warnings: string[] = [];
  const statuses = await collectStatus(session);
  const selection = selectBaseline(
    statuses.find((s) => s.name === engine)!,
    options.to,
  );
  const base = { engine, recorded: selection.record.map((m) => m.id), alreadyApplied: selection.alreadyApplied, warnings };
  if (selection.record.length === 0) {
    return { selection, report: { ...base, outcome: 'up-to-date', differences: [], unexpected: [], summary: [] } };
  }
  const only = appliedMigrations(
    statuses.filter((s) => sharesDatabase(session, s.name, warnings, 'baseline')),
    warnings,
  );
  for (const migration of selection.record) only.get(engine)!.add(migration.id);
  const comparison = await compareWithShadow(session, {
    only,
    owners: 'always',
    ...(options.shadowUrl ? { shadowUrl: options.shadowUrl } : {}),
    ...(options.cache !== undefined ? { cache: options.cache } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  warnings.push(...comparison.warnings);
  const compared = engineDifferences(comparison, engine, (await adapter.history.tables?.()) ?? [], warnings);
  return {
    selection,
    report: { ...base, ...compared, outcome: compared.differences.length > 0 ? 'differences' : 'planned', shadow: comparison.shadow },
  };
}

/**
 * The engine's business: missing or changed objects its migrations create or change. Unexpected
 * objects belong to no migration (reported apart); other engines' differences are `verify`'s.
 */
function engineDifferences(comparison: ShadowComparison, engine: string, historyTables: HistoryTable[], warnings: string[]): Pick<BaselineReport, 'differences' | 'unexpected' | 'summary'> {
  const { expected, actual, tracker } = comparison;
  // The schema the engine keeps its history in (drizzle's `drizzle`) exists in the shadow because
  // the replay recorded its migrations there; recording them here creates it too.
  const all = diffSchemas(expected, actual).filter((d) => !(d.kind === 'missing' && d.objectKind === 'schema' && holdsHistory(historyTables, d.object)));
  const owned = all.filter((d) => d.kind !== 'unexpected' && ownedBy(tracker, d.key, [engine]));
  const others = all.filter((d) => d.kind !== 'unexpected').length - owned.length;
  if (others > 0)
    warnings.push(`${others} difference(s) in objects of other engines' migrations were not compared (baseline ${engine} looks at ${engine}'s objects only; polymigrate verify shows them).`);
  return {
    differences: owned.map((d) => withOwner(d, tracker)),
    unexpected: all.filter((d) => d.kind === 'unexpected').map((d) => withOwner(d, tracker)),
    summary: summarizeObjects([...expected.objects.values()].filter((object) => ownedBy(tracker, object.key, [engine]))),
  };
}
