import { ExitCode } from '../../errors.js';
import { baseline } from '../../operations/baseline.js';
import { baselineDocument } from '../../report/documents.js';
import type { Cli } from '../cli-context.js';
import { stopOnSignals } from '../stop-on-signals.js';
import { renderBaseline } from '../output/baseline-report.js';
import { printJson } from '../output/json-report.js';

export interface BaselineCommandOptions {
  to?: string;
  dryRun?: boolean;
  shadowUrl?: string;
  /** Commander's --no-cache. */
  cache?: boolean;
}

/** Exit 0 recorded (or nothing to record, or --dry-run would record), 4 differences (nothing written). */
export async function baselineCommand(cli: Cli, engine: string, options: BaselineCommandOptions): Promise<number> {
  const session = await cli.session();
  const stop = stopOnSignals(cli, 'ending the shadow replay; nothing is recorded unless the recording transaction already committed');
  try {
    const report = await baseline(session, engine, {
      ...(options.to ? { to: options.to } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.shadowUrl ? { shadowUrl: options.shadowUrl } : {}),
      cache: options.cache !== false,
      signal: stop.signal,
    });
    for (const warning of report.warnings) cli.warn(`${cli.style.yellow('warning')} ${warning}`);
    if (cli.global.json) printJson(baselineDocument(report));
    else cli.say(renderBaseline(report, cli.style));
    cli.log(report.outcome === 'differences' ? 'warn' : 'info', `baseline ${engine}: ${report.outcome}`, { recorded: report.recorded.length, differences: report.differences.length });
    return report.outcome === 'differences' ? ExitCode.problems : ExitCode.ok;
  } finally {
    stop.dispose();
  }
}
