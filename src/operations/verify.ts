/**
 * `polymigrate verify`: does the live database hold exactly what its applied migrations produce?
 *
 * 1. Each engine's own history says which migrations the live database has applied (pending ones
 *    are left out: they have not produced anything yet).
 * 2. The shadow replays exactly those, in config order, as `up` runs them, with attribution
 *    (src/verify/attributed-replay.ts): every object knows the migration that created it and the
 *    one that last changed it.
 * 3. Both databases are introspected (src/schema/introspect.ts) with the engines' history tables
 *    and polymigrate's journal left out, `verify.ignore` patterns removed from both, and diffed.
 * Nothing is written to the live database: it is only read, with catalog queries.
 */
import type { ResolvedConfig } from '../config/config-types.js';
import { connect } from '../db/connect.js';
import type { SchemaExclusions } from '../schema/exclusions.js';
import { introspectSchema } from '../schema/introspect.js';
import { diffSchemas, type SchemaDifference } from '../schema/diff.js';
import { matchesIgnore, parseIgnorePattern, type IgnorePattern } from '../schema/ignore-patterns.js';
import { schemaModel, type SchemaModel } from '../schema/schema-model.js';
import { summarizeObjects, type SchemaSummary } from '../schema/summary.js';
import type { AttributionTracker, MigrationRef } from '../schema/attribution.js';
import { openShadow } from '../shadow/shadow.js';
import type { Session } from '../session.js';
import type { EngineStatus } from '../status/engine-status.js';
import { replayWithAttribution } from '../verify/attributed-replay.js';
import { historyExclusions } from '../verify/history-exclusions.js';
import { selectEngines } from '../plan/plan-up.js';
import { collectStatus } from './status.js';
import type { VerifyDifference, VerifyOptions, VerifyReport } from './reports.js';

export type { VerifyDifference, VerifyOptions, VerifyReport } from './reports.js';

export async function verify(session: Session, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const config = session.config;
  const warnings: string[] = [];
  const engines = selectEngines(session.engineNames(), options.engines);
  const statuses = await collectStatus(session);
  const replayed = statuses.filter((status) => sharesDatabase(session, status.name, warnings));
  const only = appliedMigrations(replayed, warnings);
  const adapters = await session.adapters();
  const exclude = await historyExclusions(config.journalSchema, adapters.values());
  const { versionNum, model: liveModel } = await readLive(session.databaseUrl, exclude);
  const shadow = await openShadow({
    config: onlyEngines(config, replayed.map((s) => s.name)),
    ...(options.shadowUrl ? { shadowUrl: options.shadowUrl } : {}),
    cache: options.cache !== false,
    targetVersionNum: versionNum,
  });
  try {
    const { replay, tracker } = await replayWithAttribution(shadow, { only, exclude, ...(options.signal ? { signal: options.signal } : {}) });
    try {
      const { model: expected } = await readLive(replay.databaseUrl, exclude);
      warnings.push(...shadow.warnings, ...replay.warnings, ...missingWarnings(replay.missing));
      const ignore = ignorePatterns(config);
      const compared = compare(withoutIgnored(expected, ignore), withoutIgnored(liveModel, ignore), tracker, engines, options.engines !== undefined);
      return {
        matches: compared.differences.length === 0,
        differences: compared.differences,
        summary: compared.summary,
        engines,
        warnings,
        shadow: {
          kind: shadow.kind,
          serverVersion: shadow.serverVersion,
          ...(shadow.packageVersion ? { packageVersion: shadow.packageVersion } : {}),
          attribution: tracker.mode,
          migrations: replay.steps.length,
          cache: replay.cache,
          replayMs: replay.durationMs,
          startupMs: shadow.startup.ms,
        },
        durationMs: Math.round(performance.now() - started),
      };
    } finally {
      await replay.drop().catch(() => undefined);
    }
  } finally {
    await shadow.close();
  }
}

/**
 * Engines on a database of their own (an engine `url`) cannot be compared with the main database's
 * shadow: they are left out, and the report says so.
 */
function sharesDatabase(session: Session, engine: string, warnings: string[]): boolean {
  if (session.engineUrl(engine) === session.databaseUrl) return true;
  warnings.push(`${engine} uses a database of its own (its "url"): verify compares the main database only, so ${engine} was not verified.`);
  return false;
}

/** The live database's applied migrations per engine, as each engine's history records them. */
function appliedMigrations(statuses: EngineStatus[], warnings: string[]): Map<string, Set<string>> {
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
        warnings.push(`${status.name} ${migration.id} failed part-way: the shadow leaves it out, so whatever it changed before failing shows as unexpected. Resolve it first (polymigrate resolve).`);
      }
    }
    only.set(status.name, ids);
  }
  return only;
}

function missingWarnings(missing: Array<{ engine: string; id: string }>): string[] {
  return missing.map(({ engine, id }) =>
    `${engine} ${id} is recorded as applied but has no file: the shadow could not replay it, so what it created shows as unexpected.`);
}

function onlyEngines(config: ResolvedConfig, names: string[]): ResolvedConfig {
  return { ...config, engines: config.engines.filter((engine) => names.includes(engine.name)) };
}

/**
 * A database's schema and server version, on a connection of its own: introspection sends its
 * queries as one multi-statement text, which the run's pipelined connection does not take.
 */
async function readLive(url: string, exclude: SchemaExclusions): Promise<{ versionNum: number; model: SchemaModel }> {
  const db = await connect(url, { purpose: 'verify' });
  try {
    const { rows } = await db.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    return { versionNum: Number(rows[0]!.v), model: await introspectSchema(db, { exclude }) };
  } finally {
    await db.end().catch(() => undefined);
  }
}

function ignorePatterns(config: ResolvedConfig): IgnorePattern[] {
  return (config.verify?.ignore ?? []).map(parseIgnorePattern);
}

function withoutIgnored(model: SchemaModel, patterns: IgnorePattern[]): SchemaModel {
  if (patterns.length === 0) return model;
  return schemaModel([...model.objects.values()].filter((object) => !matchesIgnore(object, patterns)));
}

/**
 * The differences, each with the migration that owns the object (from the shadow: what the
 * migrations made; an unexpected object has no owner), restricted to the selected engines when
 * `--engine` was given; the summary counts what was compared.
 */
function compare(
  expected: SchemaModel, actual: SchemaModel, tracker: AttributionTracker, engines: string[], restricted: boolean,
): { differences: VerifyDifference[]; summary: SchemaSummary } {
  const owned = (key: string) => {
    const owner = tracker.ownerOf(key);
    return !restricted || (owner !== undefined && [owner.createdBy, owner.changedBy].some((m) => m !== undefined && engines.includes(m.engine)));
  };
  const differences = diffSchemas(expected, actual).filter((d) => owned(d.key)).map((d) => withOwner(d, tracker));
  const summary = summarizeObjects([...expected.objects.values()].filter((object) => owned(object.key)));
  return { differences, summary };
}

function withOwner(difference: SchemaDifference, tracker: AttributionTracker): VerifyDifference {
  const owner = difference.kind === 'unexpected' ? undefined : tracker.ownerOf(difference.key);
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
