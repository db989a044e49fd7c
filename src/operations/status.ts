import type { DiscoveredMigration, MigrationAdapter } from '../adapter/contract.js';
import { readEngineStatus, summarize, type EngineStatus } from '../status/engine-status.js';
import { planUp, selectEngines } from '../plan/plan-up.js';
import type { Session } from '../session.js';
import { UnreadablePathError } from '../errors.js';

export type { StatusOptions, StatusReport } from './reports.js';
import type { StatusOptions, StatusReport } from './reports.js';

/** The selected engines' migration files, read before any history. */
export interface DiscoveredFiles {
  selected: string[];
  adapters: Map<string, MigrationAdapter>;
  discovered: DiscoveredMigration[][];
}

export async function discoverFiles(session: Session, names?: string[]): Promise<DiscoveredFiles> {
  const selected = selectEngines(session.engineNames(), names);
  const adapters = await session.adapters(selected);
  const discovered = await Promise.all(selected.map((name) => discoverEngine(adapters.get(name)!)));
  return { selected, adapters, discovered };
}

/** An engine's files; a path it cannot read is named with the engine (its reader may not know the engine). */
async function discoverEngine(adapter: MigrationAdapter): Promise<DiscoveredMigration[]> {
  try {
    return await adapter.source.discover();
  } catch (error) {
    throw error instanceof UnreadablePathError ? error.forEngine(adapter.name) : error;
  }
}

/** Match the files with each engine's history (one history query per engine). */
export async function readStatuses(session: Session, files: DiscoveredFiles): Promise<EngineStatus[]> {
  // History reads share one connection, so they go one after another (one query each; a client
  // runs one query at a time anyway, and pg 9 will refuse to queue them).
  const statuses: EngineStatus[] = [];
  for (const [i, name] of files.selected.entries()) {
    statuses.push(await readEngineStatus(files.adapters.get(name)!, await session.engineDb(name), files.discovered[i]));
  }
  return statuses;
}

/** Read every selected engine's files and history. */
export async function collectStatus(session: Session, names?: string[]): Promise<EngineStatus[]> {
  // Files first: a missing folder or a bad file name is a usage error, whether or not the database
  // is up. Without --wait the connections are opened meanwhile (a file error still wins).
  if (!session.waitsForServer) {
    for (const name of selectEngines(session.engineNames(), names)) session.engineDb(name).catch(() => undefined);
  }
  return readStatuses(session, await discoverFiles(session, names));
}

export async function status(session: Session, options: StatusOptions = {}): Promise<StatusReport> {
  const engines = await collectStatus(session, options.engines);
  await addScriptRefusals(session, engines);
  return { ...summarize(engines), engines };
}

/**
 * What `up` would refuse to run as written — transaction control it cannot honour, COPY FROM
 * stdin, SQL PostgreSQL's parser rejects — is a problem `status` names now, not at deploy time.
 * Only pending SQL steps are read (the same check `up` makes before anything runs: the parser is
 * loaded only for a script that may take control of transactions), so a database with nothing
 * pending costs nothing more.
 */
async function addScriptRefusals(session: Session, engines: EngineStatus[]): Promise<void> {
  const { steps } = planUp(engines);
  if (steps.length === 0) return;
  const { prepareSqlSteps } = await import('../run/step-pipeline.js');
  const { refusals } = await prepareSqlSteps(steps, await session.adapters(engines.map((e) => e.name)));
  for (const refusal of refusals) {
    engines.find((e) => e.name === refusal.engine)?.problems.push({ message: refusal.message, fix: refusal.fix, ...(refusal.id ? { migrationId: refusal.id } : {}) });
  }
}
