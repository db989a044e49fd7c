import type { EngineProblem, MigrationState, MigrationStatus, RollbackSupport } from '../adapter/contract.js';
import type { BaselineReport, RunReport, StatusReport, VerifyReport } from '../operations/reports.js';
import type { CheckReport } from '../operations/check-report.js';
import type { DownStop, Refusal } from '../plan/plan-types.js';
import type { StepResult } from '../run/step-result.js';
import type { EngineStatus } from '../status/engine-status.js';

/**
 * The documents `--json` prints and the library returns: stable, versioned (`"version": 1`),
 * documented in the README. Declared here, once, for the CLI and the library alike; adapter-private
 * data (meta, file contents) never appears in them.
 */
export interface MigrationDocument {
  id: string;
  state: MigrationState;
  path?: string;
  appliedAt?: string;
  batch?: number;
  reason?: string;
  fix?: string;
  /** Why a pending migration cannot be applied as written. */
  invalid?: string;
  revertible: boolean;
}

export interface EngineDocument {
  name: string;
  kind: string;
  rollback: RollbackSupport;
  location: string;
  /** Engine-wide problems; `severity: 'warning'` ones change no exit code. */
  problems: EngineProblem[];
  migrations: MigrationDocument[];
}

export interface StatusDocument {
  version: 1;
  command: 'status';
  upToDate: boolean;
  pending: number;
  problems: number;
  engines: EngineDocument[];
}

export interface PlanDocument {
  steps: Array<{ engine: string; kind: string; id: string; direction: 'up' | 'down'; note?: string }>;
  refusals: Refusal[];
  warnings: string[];
  stop?: DownStop;
}

export interface RunDocument {
  version: 1;
  command: 'up' | 'down';
  dryRun: boolean;
  outcome: RunReport['outcome'];
  /** The journal's run id (polymigrate.runs.id). */
  runId?: number;
  /** The signal that interrupted the run (outcome 'interrupted'). */
  interruptedBy?: string;
  plan: PlanDocument;
  results: StepResult[];
}

/** `up` with a skip switch set (POLYMIGRATE_SKIP…): nothing was done. */
export interface SkippedDocument {
  version: 1;
  command: 'up';
  outcome: 'skipped';
  reason: string;
}

export interface ErrorDocument {
  version: 1;
  command: string;
  error: { message: string; hint?: string; exitCode: number };
}

function migrationDocument(engine: EngineStatus, m: MigrationStatus): MigrationDocument {
  const revertible = engine.rollback === 'native' || (engine.rollback === 'down-file' && Boolean(m.migration?.hasDown));
  return {
    id: m.id,
    state: m.state,
    ...(m.migration ? { path: m.migration.path } : {}),
    ...(m.history?.appliedAt ? { appliedAt: m.history.appliedAt.toISOString() } : {}),
    ...(m.history?.batch !== undefined ? { batch: m.history.batch } : {}),
    ...(m.reason ? { reason: m.reason } : {}),
    ...(m.fix ? { fix: m.fix } : {}),
    ...(m.migration?.invalid ? { invalid: m.migration.invalid } : {}),
    revertible,
  };
}

export function statusDocument(report: StatusReport): StatusDocument {
  return {
    version: 1,
    command: 'status',
    upToDate: report.upToDate,
    pending: report.pending,
    problems: report.problems,
    engines: report.engines.map((engine) => ({
      name: engine.name,
      kind: engine.kind,
      rollback: engine.rollback,
      location: engine.location,
      problems: engine.problems,
      migrations: engine.migrations.map((m) => migrationDocument(engine, m)),
    })),
  };
}

export function runDocument(report: RunReport): RunDocument {
  const { plan } = report;
  return {
    version: 1,
    command: report.command,
    dryRun: report.dryRun,
    outcome: report.outcome,
    ...(report.runId !== undefined ? { runId: report.runId } : {}),
    ...(report.interruptedBy ? { interruptedBy: report.interruptedBy } : {}),
    plan: {
      steps: plan.steps.map((s) => ({ engine: s.engine, kind: s.kind, id: s.id, direction: s.direction, ...(s.note ? { note: s.note } : {}) })),
      refusals: plan.refusals,
      warnings: plan.warnings,
      ...(plan.stop ? { stop: plan.stop } : {}),
    },
    results: report.results,
  };
}

export function errorDocument(command: string, error: { message: string; hint?: string; exitCode: number }): ErrorDocument {
  return {
    version: 1,
    command,
    error: { message: error.message, ...(error.hint ? { hint: error.hint } : {}), exitCode: error.exitCode },
  };
}

/** `verify --json`: whether the live schema matches what its applied migrations produce. */
export interface VerifyDocument extends VerifyReport {
  version: 1;
  command: 'verify';
}

export function verifyDocument(report: VerifyReport): VerifyDocument {
  return { version: 1, command: 'verify', ...report };
}

/**
 * `baseline --json`: whether ENGINE's migrations were recorded as applied (`outcome`), which ones
 * (`recorded`), and the differences that refused it.
 */
export interface BaselineDocument extends BaselineReport {
  version: 1;
  command: 'baseline';
}

export function baselineDocument(report: BaselineReport): BaselineDocument {
  return { version: 1, command: 'baseline', ...report };
}

/**
 * `check --json`: whether the migrations are sound — every migration replays on an empty database
 * and every checked down restores the schema it started from. `migrations` lists every replayed
 * migration with `hasDown` and `result`; `failed` the migration the replay stopped at.
 */
export interface CheckDocument extends CheckReport {
  version: 1;
  command: 'check';
}

export function checkDocument(report: CheckReport): CheckDocument {
  return { version: 1, command: 'check', ...report };
}
