import { planDown } from '../plan/plan-down.js';
import type { Session } from '../session.js';
import { runCommand, type RunReport } from './run-command.js';

export type { DownCommandOptions } from './reports.js';
import type { DownCommandOptions } from './reports.js';

export async function down(session: Session, options: DownCommandOptions = {}): Promise<RunReport> {
  const engines = options.engine ? [options.engine] : session.engineNames();
  if (options.engine) await session.adapter(options.engine); // unknown name → clear error before connecting
  return runCommand(session, {
    command: 'down',
    dryRun: options.dryRun ?? false,
    options: { engine: options.engine ?? null, steps: options.steps ?? null, strict: options.strict ?? false },
    engines,
    makePlan: async (statuses, adapters) => {
      const journal = options.engine ? [] : await session.journal.recentUpSteps(await session.db());
      return planDown(statuses, journal, options, {
        rollbackHint: (engine, status) => adapters.get(engine)!.rollbackHint(status.migration, status.id),
      });
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
