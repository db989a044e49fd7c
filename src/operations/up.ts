import { planUp, selectEngines } from '../plan/plan-up.js';
import type { Session } from '../session.js';
import { runCommand, type RunReport } from './run-command.js';

export type { UpCommandOptions } from './reports.js';
import type { UpCommandOptions } from './reports.js';

export async function up(session: Session, options: UpCommandOptions = {}): Promise<RunReport> {
  const engines = selectEngines(session.engineNames(), options.engines);
  return runCommand(session, {
    command: 'up',
    dryRun: options.dryRun ?? false,
    options: { engines: options.engines ?? [], to: options.to ?? null, allowModified: options.allowModified ?? false },
    // --to may name an engine outside --engine; planUp reports that, so read every engine it may need.
    engines: options.to ? session.engineNames() : engines,
    makePlan: async (statuses) => planUp(statuses, options),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
