import type { DiscoveredMigration, EngineProblem, HistoryEntry, MigrationAdapter, MigrationStatus, Queryable, RollbackSupport } from '../adapter/contract.js';
import { reconcileById } from './reconcile.js';
import { redactSecrets } from '../secrets/secret-registry.js';

/** Everything the planner and `status` need to know about one engine, read in one go. */
export interface EngineStatus {
  name: string;
  kind: string;
  rollback: RollbackSupport;
  location: string;
  migrations: MigrationStatus[];
  /** Engine-wide problems (Payload's dev-push marker…) and files that cannot be applied. */
  problems: EngineProblem[];
}

export const PROBLEM_STATES = new Set(['failed', 'modified', 'missing', 'unreachable']);

/**
 * `discovered` may be passed in when the caller listed files first (so a file problem is
 * reported before any connection is attempted).
 */
export async function readEngineStatus(adapter: MigrationAdapter, db: Queryable, discovered?: DiscoveredMigration[]): Promise<EngineStatus> {
  const [files, history] = await Promise.all([discovered ?? adapter.source.discover(), adapter.history.read(db)]);
  return engineStatusOf(adapter, files, history);
}

/** Files + history → the engine's status (no I/O): an empty history is a fresh database (the shadow's plan). */
export function engineStatusOf(adapter: MigrationAdapter, files: DiscoveredMigration[], history: HistoryEntry[]): EngineStatus {
  const migrations = adapter.history.reconcile ? adapter.history.reconcile(files, history) : reconcileById(files, history);
  const problems = adapter.history.problems ? adapter.history.problems(history, files) : [];
  for (let i = 0; i < migrations.length; i += 1) {
    const status = migrations[i]!;
    // A reason may quote the engine's history (Prisma's logs hold PostgreSQL's error text): status,
    // plans, health and library callers all read it from here.
    if (status.reason) status.reason = redactSecrets(status.reason);
    if ((status.state === 'pending' || status.state === 'rolled-back') && status.migration?.invalid) {
      problems.push({ message: `${status.id} cannot be applied: ${status.migration.invalid}`, fix: 'Fix the file, then run up again.', migrationId: status.id });
    }
  }
  return {
    name: adapter.name,
    kind: adapter.kind,
    rollback: adapter.capabilities.rollback,
    location: adapter.location,
    migrations,
    problems,
  };
}

/** Problems that count (warnings do not). */
export function countProblems(problems: EngineProblem[]): number {
  let count = 0;
  for (const problem of problems) if (problem.severity !== 'warning') count += 1;
  return count;
}

export interface StatusSummary {
  upToDate: boolean;
  pending: number;
  problems: number;
}

export function summarize(engines: EngineStatus[]): StatusSummary {
  let pending = 0;
  let problems = 0;
  for (const engine of engines) {
    problems += countProblems(engine.problems);
    const { migrations } = engine;
    for (let i = 0; i < migrations.length; i += 1) {
      const m = migrations[i]!;
      if (m.state === 'pending' || m.state === 'rolled-back') pending += 1;
      else if (PROBLEM_STATES.has(m.state)) problems += 1;
    }
  }
  return { upToDate: pending === 0 && problems === 0, pending, problems };
}
