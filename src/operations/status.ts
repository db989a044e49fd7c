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
  return Promise.all(selected.map(async (name) => readEngineStatus(adapters.get(name)!, await session.engineDb(name))));
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
