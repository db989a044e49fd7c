import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DiscoveredMigration, MigrationAdapter } from '../adapter/contract.js';
import type { ResolvedConfig, ResolvedEngine } from '../config/config-types.js';
import { planUp } from '../plan/plan-up.js';
import type { PlannedStep, Refusal } from '../plan/plan-types.js';
import { engineStatusOf } from '../status/engine-status.js';

/** One migration of a replay, and its link in the cache's chain. */
export interface ReplayStep {
  engine: string;
  id: string;
  planned: PlannedStep;
  /** The engine's own checksum, else a hash of the migration's file (or folder) bytes. */
  checksum: string;
  /** The chain hash of this step and every step before it (the cache key of the prefix ending here). */
  key: string;
  /** The engine runs batches (checkpoints.ts keeps templates out of their runs). */
  batch: boolean;
}

export interface ReplayPlan {
  steps: ReplayStep[];
  /** Ids asked for (`only`) that have no file on disk: they cannot be replayed. */
  missing: Array<{ engine: string; id: string }>;
  refusals: Refusal[];
  warnings: string[];
}

/**
 * What a replay into an empty database runs, decided before anything runs: the plan `up` makes
 * against an empty history (the same planner, restricted by `only`), each step's checksum, and
 * the chain of keys that names every prefix.
 */
export function planReplay(
  config: ResolvedConfig,
  adapters: Map<string, MigrationAdapter>,
  discovered: Map<string, DiscoveredMigration[]>,
  only: ReadonlyMap<string, ReadonlySet<string>> | undefined,
  cacheSalt = '',
): ReplayPlan {
  const names = config.engines.map((e) => e.name);
  const statuses = names.map((name) => engineStatusOf(adapters.get(name)!, discovered.get(name)!, []));
  const plan = planUp(statuses, only ? { only } : {});
  const missing: ReplayPlan['missing'] = [];
  for (const [engine, ids] of only ?? []) {
    const onDisk = new Set((discovered.get(engine) ?? []).map((m) => m.id));
    for (const id of ids) if (!onDisk.has(id)) missing.push({ engine, id });
  }
  const fingerprints = new Map(config.engines.map((engine) => [engine.name, engineFingerprint(config, engine)]));
  let chain = createHash('sha256').update(`polymigrate-shadow-v1\0${config.journalSchema}\0${cacheSalt}`).digest('hex');
  const steps = plan.steps.map((planned): ReplayStep => {
    const checksum = migrationChecksum(planned.migration);
    chain = createHash('sha256')
      .update([chain, fingerprints.get(planned.engine), planned.engine, planned.id, checksum].join('\0'))
      .digest('hex');
    return {
      engine: planned.engine,
      id: planned.id,
      planned,
      checksum,
      key: chain,
      batch: adapters.get(planned.engine)!.runner.granularity === 'batch',
    };
  });
  return { steps, missing, refusals: plan.refusals, warnings: plan.warnings };
}

/**
 * What else decides what an engine's migrations build: its kind and options (a Prisma schema sets
 * the search_path, a Payload schemaName…). Paths are taken relative to the config, so a checkout
 * in another folder (another CI job) shares the cache. A custom adapter contributes its name and kind.
 */
function engineFingerprint(config: ResolvedConfig, engine: ResolvedEngine): string {
  const options = JSON.stringify(engine.options ?? {}, (_key, value: unknown) => (typeof value === 'string' && path.isAbsolute(value) ? path.relative(config.dir, value) : value));
  return createHash('sha256').update(`${engine.kind}\0${options}`).digest('hex');
}

function migrationChecksum(migration: DiscoveredMigration): string {
  if (migration.checksum) return `engine:${migration.checksum}`;
  return `bytes:${bytesHash(migration.path)}`;
}

/** A file's bytes, or a folder's files (names and bytes, in name order). */
function bytesHash(target: string): string {
  const hash = createHash('sha256');
  const add = (file: string, relative: string) => {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file).sort()) add(path.join(file, entry), path.join(relative, entry));
    } else {
      hash.update(`${relative}\0`).update(fs.readFileSync(file)).update('\0');
    }
  };
  add(target, '');
  return hash.digest('hex');
}
