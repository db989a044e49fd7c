import type { MigrationStatus } from '../../adapter/contract.js';
import type { RunReport } from '../../operations/run-command.js';
import type { StatusReport } from '../../operations/status.js';
import type { EngineStatus } from '../../status/engine-status.js';
import { redactedJson } from '../../secrets/secret-registry.js';

/**
 * The `--json` documents. Stable, versioned (`"version": 1`), documented in the README.
 * Adapter-private data (meta, file contents) never appears here.
 */
function migrationJson(engine: EngineStatus, m: MigrationStatus) {
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

export function statusJson(report: StatusReport) {
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
      migrations: engine.migrations.map((m) => migrationJson(engine, m)),
    })),
  };
}

export function runJson(report: RunReport) {
  const { plan } = report;
  return {
    version: 1,
    command: report.command,
    dryRun: report.dryRun,
    outcome: report.outcome,
    ...(report.runId !== undefined ? { runId: report.runId } : {}),
    plan: {
      steps: plan.steps.map((s) => ({ engine: s.engine, kind: s.kind, id: s.id, direction: s.direction, ...(s.note ? { note: s.note } : {}) })),
      refusals: plan.refusals,
      warnings: plan.warnings,
      ...(plan.stop ? { stop: plan.stop } : {}),
    },
    results: report.results,
  };
}

export function errorJson(command: string, error: { message: string; hint?: string; exitCode: number }) {
  return {
    version: 1,
    command,
    error: { message: error.message, ...(error.hint ? { hint: error.hint } : {}), exitCode: error.exitCode },
  };
}

/** The one way a document reaches stdout: redacted (a failed step's message may quote PostgreSQL, which may quote a secret). */
export function printJson(document: unknown, indent = 2): void {
  process.stdout.write(`${redactedJson(document, indent)}\n`);
}
