import { ConfigError } from '../errors.js';
import type { MigrationStatus } from '../adapter/contract.js';
import type { EngineStatus } from '../status/engine-status.js';
import type { Plan, PlannedStep, Refusal } from './plan-types.js';

export interface UpOptions {
  /** Only these engines (config order is kept). */
  engines?: string[];
  /** Stop after this migration: every engine before it fully, this engine up to and including the id. */
  to?: { engine: string; id: string };
  allowModified?: boolean;
}

/** What the planner takes beyond `up`'s public options. */
export interface PlanUpOptions extends UpOptions {
  /**
   * Plan exactly these migrations per engine (the shadow replay: the ids the live database has
   * applied), still in config and apply order. An engine missing from the map gets no step; an id
   * that is not pending here is simply not planned. A migration outside the set refuses nothing and
   * warns of nothing (an unapplied file that cannot run never stops the replay of the others);
   * engine-wide problems still refuse.
   */
  only?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Parse `--to ENGINE:ID`. */
export function parseTarget(value: string): { engine: string; id: string } {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) {
    throw new ConfigError(`--to expects ENGINE:ID (e.g. auth:20260101120000_users), got "${value}".`);
  }
  return { engine: value.slice(0, colon), id: value.slice(colon + 1) };
}

export function selectEngines(all: string[], wanted: string[] | undefined): string[] {
  if (!wanted || wanted.length === 0) return all;
  for (const name of wanted) {
    if (!all.includes(name)) {
      throw new ConfigError(`Unknown engine "${name}" in --engine; the config has ${all.map((n) => `"${n}"`).join(', ')}.`);
    }
  }
  return all.filter((name) => wanted.includes(name));
}

/** The engines `up` may touch: the --engine selection, and with --to none after the target's engine. */
function enginesToPlan(engines: EngineStatus[], options: UpOptions): string[] {
  const selected = selectEngines(
    engines.map((e) => e.name),
    options.engines,
  );
  const target = options.to;
  if (!target) return selected;
  const index = engines.findIndex((e) => e.name === target.engine);
  if (index < 0) throw new ConfigError(`--to names unknown engine "${target.engine}".`);
  const engine = engines[index]!;
  if (!engine.migrations.some((m) => m.id === target.id && m.migration)) {
    throw new ConfigError(`--to: engine "${target.engine}" has no migration "${target.id}" on disk.`, `Run polymigrate status --engine ${target.engine} to see its migration ids.`);
  }
  const allowed = new Set(engines.slice(0, index + 1).map((e) => e.name));
  return selected.filter((name) => allowed.has(name));
}

/** What the plan collects while it walks the engines. */
interface PlanParts {
  steps: PlannedStep[];
  refusals: Refusal[];
  warnings: string[];
}

/**
 * Plan `up`: every pending migration of the selected engines, engines in config order.
 * Refuses (before anything runs) when an engine has a failed, modified or unreachable migration,
 * an engine-wide problem, or a pending file that cannot be applied as written.
 */
export function planUp(engines: EngineStatus[], options: PlanUpOptions = {}): Plan {
  const selected = enginesToPlan(engines, options);
  const parts: PlanParts = { steps: [], refusals: [], warnings: [] };
  for (const engine of engines) {
    if (selected.includes(engine.name)) planEngineUp(engine, options, parts);
  }
  return { direction: 'up', ...parts };
}

/** One engine's share of the plan: its problems, then its migrations in order up to --to. */
function planEngineUp(engine: EngineStatus, options: PlanUpOptions, parts: PlanParts): void {
  // The shadow replay's `only`: a problem about a file left out refuses nothing.
  const wanted = options.only ? (options.only.get(engine.name) ?? new Set<string>()) : undefined;
  for (const problem of engine.problems) {
    if (wanted && problem.migrationId !== undefined && !wanted.has(problem.migrationId)) continue;
    if (problem.severity === 'warning') parts.warnings.push(problem.message);
    else parts.refusals.push({ engine: engine.name, message: problem.message, fix: problem.fix });
  }
  // A pending migration sorted before an applied one runs out of order (a merged branch, usually).
  const lastAppliedIndex = engine.migrations.reduce((last, m, i) => (m.state === 'applied' || m.state === 'modified' ? i : last), -1);
  const target = options.to;
  for (const [index, status] of engine.migrations.entries()) {
    if (wanted && !wanted.has(status.id)) continue;
    if (status.state === 'pending' || status.state === 'rolled-back') {
      const outOfOrder = index < lastAppliedIndex ? engine.migrations[lastAppliedIndex]!.id : undefined;
      planPending(engine, status, outOfOrder, parts);
    } else {
      checkRecorded(engine, status, options, parts);
    }
    if (target?.engine === engine.name && target.id === status.id) break;
  }
}

/** A migration to apply; `outOfOrder` names the applied migration it sorts before. */
function planPending(engine: EngineStatus, status: MigrationStatus, outOfOrder: string | undefined, parts: PlanParts): void {
  const migration = status.migration;
  if (!migration) return;
  if (migration.invalid) return; // reported through engine.problems
  const notes: string[] = [];
  if (!migration.transactional) notes.push('outside a transaction');
  if (outOfOrder !== undefined) {
    parts.warnings.push(`${engine.name}: ${status.id} sorts before the applied ${outOfOrder}; it will be applied out of order.`);
  }
  parts.steps.push({
    engine: engine.name,
    kind: engine.kind,
    id: status.id,
    direction: 'up',
    migration,
    ...(notes.length ? { note: notes.join(', ') } : {}),
  });
}

/** A migration the history knows of: refuse what `up` must not run past, warn of what it may. */
function checkRecorded(engine: EngineStatus, status: MigrationStatus, options: UpOptions, parts: PlanParts): void {
  const { refusals, warnings } = parts;
  switch (status.state) {
    case 'failed':
      refusals.push({
        engine: engine.name,
        id: status.id,
        message: `${engine.name}: ${status.id} failed earlier (${status.reason ?? 'started, never finished'}).`,
        fix: `Check what it left behind, then run polymigrate resolve ${engine.name} ${status.id} --rolled-back (to retry it) or --applied (if you completed it by hand).`,
      });
      break;
    case 'modified':
      if (options.allowModified) {
        warnings.push(`${engine.name}: ${status.id} was edited after it was applied; continuing because of --allow-modified.`);
      } else {
        refusals.push({
          engine: engine.name,
          id: status.id,
          message: `${engine.name}: ${status.id} was edited after it was applied (${status.reason ?? 'checksum differs'}).`,
          fix: status.fix ?? 'Restore the applied version (e.g. git checkout the file) and put the change in a new migration, or rerun with --allow-modified if the edit is harmless.',
        });
      }
      break;
    case 'unreachable':
      refusals.push({
        engine: engine.name,
        id: status.id,
        message: `${engine.name}: ${status.id} can never be applied by the engine (${status.reason ?? 'unreachable'}).`,
        fix: status.fix ?? 'See polymigrate status for details.',
      });
      break;
    case 'missing':
      warnings.push(`${engine.name}: ${status.id} is recorded as applied but its file is missing.`);
      break;
    case 'applied':
    case 'pending':
    case 'rolled-back':
      break;
  }
}
