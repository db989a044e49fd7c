import { readEngineStatus, summarize, type EngineStatus } from '../status/engine-status.js';
import { selectEngines } from '../plan/plan-up.js';
import type { Session } from '../session.js';

export interface StatusOptions {
  engines?: string[];
}

/** Read every selected engine's files and history (one history query per engine, in parallel). */
export async function collectStatus(session: Session, names?: string[]): Promise<EngineStatus[]> {
  const selected = selectEngines(session.engineNames(), names);
  const adapters = await session.adapters(selected);
  // Files first: a missing folder or a bad file name is a usage error, whether or not the database is up.
  const discovered = await Promise.all(selected.map((name) => adapters.get(name)!.discover()));
  // History reads share one connection, so they go one after another (one query each; a client
  // runs one query at a time anyway, and pg 9 will refuse to queue them).
  const statuses: EngineStatus[] = [];
  for (const [i, name] of selected.entries()) {
    statuses.push(await readEngineStatus(adapters.get(name)!, await session.engineDb(name), discovered[i]));
  }
  return statuses;
}

export interface StatusReport {
  upToDate: boolean;
  pending: number;
  problems: number;
  engines: EngineStatus[];
}

export async function status(session: Session, options: StatusOptions = {}): Promise<StatusReport> {
  const engines = await collectStatus(session, options.engines);
  return { ...summarize(engines), engines };
}
