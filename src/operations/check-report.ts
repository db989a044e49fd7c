import type { Refusal } from '../plan/plan-types.js';
import type { StepErrorInfo } from '../run/step-result.js';
import type { ShadowServerInfo } from './reports.js';

/**
 * What `check` takes and returns, as types only (like reports.ts: the public declarations reach
 * them without the session and its driver).
 */
export interface CheckOptions {
  /** Check only these engines' downs (every engine is still replayed, in config order): --engine. */
  engines?: string[];
  /** A PostgreSQL server for the shadow (--shadow-url); default: the config's shadowUrl, else embedded. */
  shadowUrl?: string;
  signal?: AbortSignal;
}

/**
 * What became of one migration's down: `restores` (the schema after up → down is the schema
 * before the up), `forgets` (it differs: `differences`), `down-failed` (the down itself failed:
 * `error`), `reapply-failed` (the schema came back, yet the up failed when run again after its down —
 * the down leaves something behind that the schema does not show, such as rows: `error`).
 * `no-down`: the migration has none (Prisma or Drizzle without a down file, a SQL file without
 * .down.sql, Supabase); `not-selected`: it has one, but its engine is not among --engine.
 */
export type DownCheckResult = 'restores' | 'forgets' | 'down-failed' | 'reapply-failed' | 'no-down' | 'not-selected';

/**
 * One object the down does not put back as it was, compared with the state right before the
 * migration: `unexpected` — the down leaves it behind (it forgets to drop it); `missing` — the
 * down removes what was there before the migration; `changed` — `field` differs. `expected` is the
 * object before the migration, `actual` after its down.
 */
export interface CheckDifference {
  kind: 'missing' | 'unexpected' | 'changed';
  objectKind: string;
  /** Display name, quoted where PostgreSQL would need it. */
  object: string;
  field?: string;
  expected?: string;
  actual?: string;
}

export interface CheckedMigration {
  engine: string;
  id: string;
  hasDown: boolean;
  result: DownCheckResult;
  /** For `forgets`: what differs from the state before the migration. */
  differences: CheckDifference[];
  /** For `down-failed` and `reapply-failed`: PostgreSQL's or the engine's error (file:line where known). */
  error?: StepErrorInfo;
}

export interface CheckReport {
  /** No problem: every migration replayed, every checked down restores the schema. */
  sound: boolean;
  /** Every replayed migration in replay order, with what its down check found. */
  migrations: CheckedMigration[];
  /** The migration that failed on the fresh replay: the check stopped there. */
  failed?: { engine: string; id: string; error: StepErrorInfo };
  /** The replay was refused before anything ran (a file that cannot run as written, an engine-wide problem). */
  refusals: Refusal[];
  summary: {
    /** Migrations on disk, and how many of them the replay applied. */
    migrations: number;
    replayed: number;
    /** Downs checked, and how each came out. */
    downs: number;
    restores: number;
    forgets: number;
    downFailed: number;
    reapplyFailed: number;
    noDown: number;
    notSelected: number;
  };
  /** The engines whose downs were checked. */
  engines: string[];
  warnings: string[];
  shadow: ShadowServerInfo & {
    /** Times the shadow database was rebuilt from scratch after a down left it unusable. */
    rebuilds: number;
  };
  durationMs: number;
}
