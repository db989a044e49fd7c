import { ConfigError, ExitCode } from '../../errors.js';
import { resolve } from '../../operations/resolve.js';
import type { Cli } from '../cli-context.js';
import { printJson } from '../output/json-report.js';

export async function resolveCommand(cli: Cli, engine: string, id: string, options: { applied?: boolean; rolledBack?: boolean }): Promise<number> {
  if (Boolean(options.applied) === Boolean(options.rolledBack)) {
    throw new ConfigError(
      'resolve needs exactly one of --applied or --rolled-back.',
      '--applied: you finished the migration by hand; --rolled-back: you undid what it did, so it runs again on the next up.',
    );
  }
  const session = await cli.session();
  const message = await resolve(session, engine, id, options.applied ? 'applied' : 'rolled-back');
  if (cli.global.json) printJson({ version: 1, command: 'resolve', engine, id, message });
  else cli.say(message);
  return ExitCode.ok;
}
