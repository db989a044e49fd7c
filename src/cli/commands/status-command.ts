import { ExitCode } from '../../errors.js';
import { status } from '../../operations/status.js';
import type { Cli } from '../cli-context.js';
import { renderStatus } from '../output/human-report.js';
import { printJson, statusJson } from '../output/json-report.js';

/** Exit 0 when up to date, 3 when something is pending, 4 when there are problems. */
export async function statusCommand(cli: Cli, options: { engine?: string[]; all?: boolean }): Promise<number> {
  const session = await cli.session();
  const report = await status(session, options.engine?.length ? { engines: options.engine } : {});
  if (cli.global.json) printJson(statusJson(report));
  else cli.say(renderStatus(report, cli.style, { all: options.all === true }));
  cli.log('info', report.upToDate ? 'up to date' : `${report.pending} pending, ${report.problems} problem(s)`, { pending: report.pending, problems: report.problems });
  if (report.problems > 0) return ExitCode.problems;
  if (report.pending > 0) return ExitCode.pending;
  return ExitCode.ok;
}
