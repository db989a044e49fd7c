import { planUp, selectEngines } from '../plan/plan-up.js';
import type { PlannedStep } from '../plan/plan-types.js';
import type { Session } from '../session.js';
import { runCommand, type RunReport } from './run-command.js';

export type { UpCommandOptions } from './reports.js';
import type { UpCommandOptions } from './reports.js';

/**
 * What the shadow replay (src/shadow/) adds to `up`, kept out of the public options: the same
 * run, restricted to exactly these migrations, with a hook between steps.
 */
export interface ReplayControls {
  /** Exactly these ids per engine (planUp's `only`). */
  only?: ReadonlyMap<string, ReadonlySet<string>>;
  /** After each committed step, before the next starts (ExecuteContext.afterStep). */
  afterStep?: (step: PlannedStep) => Promise<void>;
}

export async function up(session: Session, options: UpCommandOptions = {}, replay: ReplayControls = {}): Promise<RunReport> {
  const engines = selectEngines(session.engineNames(), options.engines);
  return runCommand(session, {
    command: 'up',
    dryRun: options.dryRun ?? false,
    options: { engines: options.engines ?? [], to: options.to ?? null, allowModified: options.allowModified ?? false },
    // --to may name an engine outside --engine; planUp reports that, so read every engine it may need.
    engines: options.to ? session.engineNames() : engines,
    makePlan: async (statuses) => planUp(statuses, { ...options, ...(replay.only ? { only: replay.only } : {}) }),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(replay.afterStep ? { afterStep: replay.afterStep } : {}),
  });
}
