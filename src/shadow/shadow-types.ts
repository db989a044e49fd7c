import { RuntimeError } from '../errors.js';
import { SHADOW_SCHEMA } from '../schema/exclusions.js';
import type { Refusal } from '../plan/plan-types.js';
import type { StepErrorInfo } from '../run/step-result.js';

/**
 * The schema in a shadow database that belongs to the shadow's callers: whatever they keep about a
 * prefix (the attribution of each object to its migration) goes here, and travels with every
 * template taken of the database, so a replay restored from the cache has it as if it had
 * replayed everything. polymigrate writes nothing there; introspection leaves it out.
 */
export const SHADOW_DATA_SCHEMA = SHADOW_SCHEMA;

/** A replayed migration. */
export interface ShadowStepRef {
  engine: string;
  id: string;
}

/** A prefix of a replay: its first `length` migrations. */
export interface ShadowPrefix {
  length: number;
  steps: ShadowStepRef[];
  /** The cache key of the prefix (a chain hash over engine, id and checksum of each step). */
  key: string;
}

export interface ReplayOptions {
  /**
   * Exactly these migrations per engine (the live database's applied ones), in config and apply
   * order; an engine missing from the map replays nothing. Default: every migration on disk.
   */
  only?: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * After each migration has committed in the shadow, before the next one starts (attribution).
   * Not called for migrations that came from the cache: see `afterRestore`.
   */
  afterStep?: (step: ShadowStepRef, databaseUrl: string) => Promise<void>;
  /**
   * Right before a template is taken of the shadow database at a prefix (every session on it is
   * closed by then; open your own and close it again): write what must come back with this prefix
   * into the SHADOW_DATA_SCHEMA schema, unless `afterStep` keeps it there already.
   */
  beforeCheckpoint?(prefix: ShadowPrefix, databaseUrl: string): Promise<void>;
  /**
   * The shadow database was copied from a cached prefix, and the rest of the migrations are about
   * to be replayed: what `beforeCheckpoint` (or `afterStep`) wrote is in SHADOW_DATA_SCHEMA.
   */
  afterRestore?(prefix: ShadowPrefix, databaseUrl: string): Promise<void>;
  /**
   * Once the shadow database exists — copied from a cached prefix (`restored`, after
   * `afterRestore`) or new and empty (`restored` undefined) — before any migration runs there.
   * Attribution installs its tracker here on an empty database.
   */
  beforeReplay?(restored: ShadowPrefix | undefined, databaseUrl: string): Promise<void>;
  /**
   * The caller only reads the result: when every migration is cached, the cached template itself
   * is handed out for reading instead of a copy (its `drop()` closes it again). Never for a caller
   * that writes (plan traces on top of the replay).
   */
  readOnly?: boolean;
  /**
   * Keeps this replay's templates apart from other callers' (part of every cache key): a caller
   * whose hooks store data in the templates (attribution) must never restore one made without it.
   */
  cacheSalt?: string;
  /** Abort to stop the replay (as SIGINT stops `up`). */
  signal?: AbortSignal;
}

export interface ReplayCacheReport {
  enabled: boolean;
  /** Migrations that came from the cache (the longest cached prefix). */
  hit: number;
  /** Migrations replayed. */
  replayed: number;
  /** Templates made by this replay. */
  saved: number;
  /** Templates dropped to keep the cache within its cap. */
  evicted: number;
}

/** A shadow database at the state the migrations produce, until `drop()`. */
export interface Replay {
  /** The shadow database: read it, never point anything live at it. */
  databaseUrl: string;
  database: string;
  /** Every migration the database holds, in replay order. */
  steps: Array<ShadowStepRef & { checksum: string }>;
  /** Ids asked for (`only`) that have no file on disk: not replayed. */
  missing: ShadowStepRef[];
  warnings: string[];
  cache: ReplayCacheReport;
  durationMs: number;
  /**
   * A copy of the database as it is now, under another name (`plan` keeps the state before an
   * engine's own run to replay what it sent). No session may be on the database while it copies.
   */
  copy(): Promise<ShadowCopy>;
  drop(): Promise<void>;
}

/** A copy of a replay's database; dropped by `drop()`, or by the shadow's `close()`. */
export interface ShadowCopy {
  databaseUrl: string;
  database: string;
  drop(): Promise<void>;
}

/**
 * A replay that could not finish: a migration failed in the shadow (`failed`: which, and
 * PostgreSQL's or the engine's error), or the plan was refused before anything ran (`refusals`).
 */
export class ShadowReplayError extends RuntimeError {
  readonly failed: (ShadowStepRef & { error: StepErrorInfo }) | undefined;
  readonly refusals: Refusal[];
  constructor(message: string, details: { failed?: ShadowStepRef & { error: StepErrorInfo }; refusals?: Refusal[]; hint?: string }) {
    super(message, details.hint);
    this.failed = details.failed;
    this.refusals = details.refusals ?? [];
  }
}
