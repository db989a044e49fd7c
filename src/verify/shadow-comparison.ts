/**
 * The comparison `verify` and `baseline` share: the live database's schema next to a shadow replay
 * of a chosen set of migrations, both introspected with the engines' history tables and
 * polymigrate's journal left out and `verify.ignore` removed, plus who made each shadow object
 * (attribution: always, or only when the schemas differ).
 * The live database is only read (catalog queries on a connection of its own).
 */
import type { ResolvedConfig } from '../config/config-types.js';
import { connect } from '../db/connect.js';
import type { AttributionTracker } from '../schema/attribution.js';
import type { SchemaExclusions } from '../schema/exclusions.js';
import { matchesIgnore, parseIgnorePattern, type IgnorePattern } from '../schema/ignore-patterns.js';
import { introspectSchema } from '../schema/introspect.js';
import { schemaModel, type SchemaModel } from '../schema/schema-model.js';
import { diffSchemas } from '../schema/diff.js';
import { openShadow, type Replay, type Shadow } from '../shadow/shadow.js';
import type { Session } from '../session.js';
import type { VerifyReport } from '../operations/reports.js';
import { replayWithAttribution } from './attributed-replay.js';
import { historyExclusions } from './history-exclusions.js';
import { shadowServerInfo } from './shadow-server-info.js';

export interface ShadowComparisonOptions {
  /** Exactly these migrations per engine are replayed; engines not in the map replay nothing. */
  only: Map<string, Set<string>>;
  /**
   * 'always': every object's owner is needed (baseline, verify --engine). 'on-difference': only
   * when the schemas differ (verify): a replay with attribution costs a catalog read after every
   * migration, so a matching database is answered by a plain replay, pipelined like `up`.
   */
  owners: 'always' | 'on-difference';
  shadowUrl?: string;
  cache?: boolean;
  signal?: AbortSignal;
}

export interface ShadowComparison {
  /** What the replayed migrations make (the shadow). */
  expected: SchemaModel;
  /** What the live database has. */
  actual: SchemaModel;
  /** Who made each shadow object; undefined when the schemas matched and owners were not asked for. */
  tracker: AttributionTracker | undefined;
  shadow: VerifyReport['shadow'];
  warnings: string[];
}

export async function compareWithShadow(session: Session, options: ShadowComparisonOptions): Promise<ShadowComparison> {
  const config = session.config;
  const adapters = await session.adapters();
  const exclude = await historyExclusions(config.journalSchema, adapters.values());
  const ignore = ignorePatterns(config);
  // The live schema is read while the shadow replays (two servers, nothing shared): only its
  // version is needed first, for the shadow's major-version warning.
  const live = await schemaOf(session.databaseUrl, exclude);
  const shadow = await openShadow({
    config: onlyEngines(config, [...options.only.keys()]),
    ...(options.shadowUrl ? { shadowUrl: options.shadowUrl } : {}),
    cache: options.cache !== false,
    targetVersionNum: live.versionNum,
  }).catch(async (error: unknown) => {
    await live.model.catch(() => undefined);
    throw error;
  });
  try {
    const replayOptions = { only: options.only, exclude, ...(options.signal ? { signal: options.signal } : {}) };
    let result = await replayed(shadow, replayOptions, options.owners === 'always', ignore).catch(async (error: unknown) => {
      await live.model.catch(() => undefined);
      throw error;
    });
    const actual = withoutIgnored(await live.model, ignore);
    if (!result.tracker && diffSchemas(result.expected, actual).length > 0) result = await replayed(shadow, replayOptions, true, ignore);
    const { replay, tracker, expected } = result;
    return {
      expected,
      actual,
      tracker,
      warnings: [...shadow.warnings, ...replay.warnings, ...missingWarnings(replay.missing)],
      shadow: {
        ...shadowServerInfo(shadow),
        attribution: tracker?.mode ?? 'none',
        migrations: replay.steps.length,
        cache: replay.cache,
        replayMs: replay.durationMs,
      },
    };
  } finally {
    await shadow.close();
  }
}

/** One replay (with attribution or not) and the schema it made; the scratch database is dropped. */
async function replayed(
  shadow: Shadow,
  options: { only: Map<string, Set<string>>; exclude: SchemaExclusions; signal?: AbortSignal },
  attributed: boolean,
  ignore: IgnorePattern[],
): Promise<{ replay: Replay; tracker: AttributionTracker | undefined; expected: SchemaModel }> {
  const { replay, tracker } = attributed
    ? await replayWithAttribution(shadow, options)
    : { replay: await shadow.replay({ only: options.only, readOnly: true, ...(options.signal ? { signal: options.signal } : {}) }), tracker: undefined };
  try {
    const expected = await (await schemaOf(replay.databaseUrl, options.exclude)).model;
    return { replay, tracker, expected: withoutIgnored(expected, ignore) };
  } finally {
    await replay.drop().catch(() => undefined);
  }
}

/**
 * A server's version now, and the database's schema when it is read: on a connection of its own,
 * since introspection sends its queries as one multi-statement text, which the run's pipelined
 * connection does not take.
 */
async function schemaOf(url: string, exclude: SchemaExclusions): Promise<{ versionNum: number; model: Promise<SchemaModel> }> {
  const db = await connect(url, { purpose: 'verify' });
  try {
    const { rows } = await db.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    const model = introspectSchema(db, { exclude }).finally(() => db.end().catch(() => undefined));
    // Awaited later; a failure meanwhile must not count as an unhandled rejection.
    model.catch(() => undefined);
    return { versionNum: Number(rows[0]!.v), model };
  } catch (error) {
    await db.end().catch(() => undefined);
    throw error;
  }
}

function onlyEngines(config: ResolvedConfig, names: string[]): ResolvedConfig {
  return { ...config, engines: config.engines.filter((engine) => names.includes(engine.name)) };
}

function missingWarnings(missing: Array<{ engine: string; id: string }>): string[] {
  return missing.map(({ engine, id }) => `${engine} ${id} is recorded as applied but has no file: the shadow could not replay it, so what it created shows as unexpected.`);
}

function ignorePatterns(config: ResolvedConfig): IgnorePattern[] {
  return (config.verify?.ignore ?? []).map(parseIgnorePattern);
}

function withoutIgnored(model: SchemaModel, patterns: IgnorePattern[]): SchemaModel {
  if (patterns.length === 0) return model;
  return schemaModel([...model.objects.values()].filter((object) => !matchesIgnore(object, patterns)));
}
