import type { DiscoveredMigration, MigrationState } from '../adapter/contract.js';
import { ConfigError, RefusedError } from '../errors.js';
import type { EngineStatus } from '../status/engine-status.js';

/** What `baseline ENGINE [--to ID]` records and leaves alone, decided from files and history alone. */
export interface BaselineSelection {
  /** Not in the engine's history yet: recorded as applied when the schema matches, in apply order. */
  record: DiscoveredMigration[];
  /** Up to --to and recorded already: left as they are. */
  alreadyApplied: string[];
}

/**
 * States of a migration the history does not hold as applied: pending, a drizzle entry older than
 * the newest applied one (drizzle would skip it forever; recording it is what the database needs),
 * a Prisma migration rolled back and not applied since.
 */
const UNRECORDED = new Set<MigrationState>(['pending', 'unreachable', 'rolled-back']);
const RECORDED = new Set<MigrationState>(['applied', 'modified', 'missing']);

/**
 * The engine's migrations on disk up to `to` (default: all), split into those to record and those
 * recorded already. A migration that failed part-way is refused: what it left cannot be told from
 * what push made, and the engine's own resolve is the way out. An unknown `to` is a usage error.
 */
export function selectBaseline(status: EngineStatus, to?: string): BaselineSelection {
  const onDisk = status.migrations.filter((m) => m.migration !== undefined);
  const end = to === undefined ? onDisk.length : onDisk.findIndex((m) => m.id === to) + 1;
  if (end === 0) {
    throw new ConfigError(`${status.name}: there is no migration "${to}" on disk in ${status.location}.`, `Pass a migration id as polymigrate status --engine ${status.name} lists it.`);
  }
  const failed = status.migrations.find((m) => m.state === 'failed');
  if (failed) {
    throw new RefusedError(
      `${status.name}: ${failed.id} is recorded as failed part-way, so baseline cannot record the migrations as applied.`,
      `Resolve it first (polymigrate resolve ${status.name} ${failed.id} --rolled-back, or --applied if you finished it by hand), then run baseline again.`,
    );
  }
  const upTo = onDisk.slice(0, end);
  return {
    record: upTo.filter((m) => UNRECORDED.has(m.state)).map((m) => m.migration!),
    alreadyApplied: upTo.filter((m) => RECORDED.has(m.state)).map((m) => m.id),
  };
}
