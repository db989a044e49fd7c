import { exitCodeForSignal } from '../errors.js';
import type { Cli } from './cli-context.js';

/**
 * SIGINT/SIGTERM stop a command: the first aborts `signal` (the command ends what runs on the
 * server and cleans up: for up/down the run is recorded as interrupted and the locks released; for
 * verify, plan and check the shadow's scratch databases are dropped), a second one exits at once.
 * `stopping` says what the first one does, in words for the user.
 */
export function stopOnSignals(cli: Cli, stopping: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(exitCodeForSignal(name));
    cli.warn(`${name}: stopping — ${stopping} (${name} again to exit at once).`);
    cli.log('warn', `${name} received: stopping`);
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
