import { ConfigError } from '../errors.js';
import type { EngineStatus } from '../status/engine-status.js';
import type { MigrationStatus } from '../adapter/contract.js';
import type { Plan, PlannedStep, Refusal } from './plan-types.js';

/** A step of an earlier `up` run, from the journal. */
export interface JournalStep {
  runId: number;
  engine: string;
  id: string;
}

export interface DownOptions {
  /** Roll back within one engine instead of undoing the last run. */
  engine?: string;
  /** With `engine`: how many applied migrations to revert (default 1). */
  steps?: number;
  /** Refuse the whole down if any step cannot be reverted. */
  strict?: boolean;
}

export interface DownHints {
  /** The engine's manual recipe for a migration that cannot be reverted. */
  rollbackHint(engine: string, status: MigrationStatus): string;
}

const STILL_APPLIED = new Set(['applied', 'modified']);

function isRevertible(engine: EngineStatus, status: MigrationStatus): string | undefined {
  if (engine.rollback === 'none') return `the ${engine.kind} engine has no down migrations`;
  if (!status.migration) return 'its file is missing from disk';
  if (engine.rollback === 'down-file' && !status.migration.hasDown) return 'it has no down file';
  return undefined;
}

type Candidate = { engine: EngineStatus; status: MigrationStatus };

/**
 * Plan `down`. Without `engine`: undo the most recent `up` run that still has applied steps,
 * newest step first, across engines. With `engine`: the newest `steps` applied migrations of it.
 * Either way, stop at the first step that cannot be reverted: everything from there on is left
 * in place and reported, with the engine's recipe. `strict` turns that stop into a refusal.
 */
export function planDown(engines: EngineStatus[], journal: JournalStep[], options: DownOptions, hints: DownHints): Plan {
  const warnings: string[] = [];
  const candidates = options.engine ? engineCandidates(engines, options.engine, options.steps, warnings) : lastRunCandidates(engines, journal, options, warnings);

  const steps: PlannedStep[] = [];
  const refusals: Refusal[] = [];
  let stop: Plan['stop'];
  for (let i = 0; i < candidates.length; i += 1) {
    const { engine, status } = candidates[i]!;
    const reason = isRevertible(engine, status);
    if (reason) {
      stop = {
        engine: engine.name,
        id: status.id,
        reason,
        hint: hints.rollbackHint(engine.name, status),
        leftInPlace: candidates.slice(i).map((c) => ({ engine: c.engine.name, id: c.status.id })),
      };
      break;
    }
    steps.push({ engine: engine.name, kind: engine.kind, id: status.id, direction: 'down', migration: status.migration! });
  }
  if (stop && options.strict) {
    refusals.push({
      engine: stop.engine,
      id: stop.id,
      message: `--strict: ${stop.engine}: ${stop.id} cannot be reverted (${stop.reason}), so nothing is rolled back.`,
      fix: stop.hint,
    });
  }
  return { direction: 'down', steps, refusals, warnings, ...(stop ? { stop } : {}) };
}

/** `--engine NAME --steps N`: the engine's newest N applied migrations (missing files included), newest first. */
function engineCandidates(engines: EngineStatus[], name: string, count: number | undefined, warnings: string[]): Candidate[] {
  const engine = new Map(engines.map((e) => [e.name, e])).get(name);
  if (!engine) {
    throw new ConfigError(`Unknown engine "${name}" in --engine; the config has ${engines.map((e) => `"${e.name}"`).join(', ')}.`);
  }
  const steps = count ?? 1;
  if (!Number.isInteger(steps) || steps < 1) throw new ConfigError(`--steps must be a whole number of at least 1, got ${steps}.`);
  const applied = engine.migrations.filter((m) => STILL_APPLIED.has(m.state) || m.state === 'missing');
  if (applied.length < steps) warnings.push(`${engine.name} has only ${applied.length} applied migration(s).`);
  return applied
    .slice(-steps)
    .reverse()
    .map((status) => ({ engine, status }));
}

/** Without --engine: the steps of the newest journal run that still has any applied, newest first. */
function lastRunCandidates(engines: EngineStatus[], journal: JournalStep[], options: DownOptions, warnings: string[]): Candidate[] {
  if (options.steps !== undefined) throw new ConfigError('--steps needs --engine NAME.');
  const byName = new Map(engines.map((e) => [e.name, e]));
  const lookup = (engine: string, id: string) => byName.get(engine)?.migrations.find((m) => m.id === id);
  const runs = new Map<number, JournalStep[]>();
  for (const step of journal) runs.set(step.runId, [...(runs.get(step.runId) ?? []), step]);
  for (const runId of [...runs.keys()].sort((a, b) => b - a)) {
    const live = runs
      .get(runId)!
      .map((step) => ({ engine: byName.get(step.engine), status: lookup(step.engine, step.id) }))
      .filter((c): c is Candidate => c.engine !== undefined && c.status !== undefined && STILL_APPLIED.has(c.status.state));
    if (live.length > 0) return live.reverse();
  }
  warnings.push('No polymigrate up run has steps that are still applied. To roll back migrations applied by another tool, use polymigrate down --engine NAME --steps N.');
  return [];
}
