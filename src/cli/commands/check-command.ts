import { ExitCode } from '../../errors.js';
import { check } from '../../operations/check.js';
import { checkDocument } from '../../report/documents.js';
import type { Cli } from '../cli-context.js';
import { stopOnSignals } from '../stop-on-signals.js';
import { renderCheck } from '../output/check-report.js';
import { printJson } from '../output/json-report.js';

export interface CheckCommandOptions {
  engine?: string[];
  shadowUrl?: string;
}

/**
 * Exit 0 when the migrations are sound, 4 on a problem (a down that does not restore the schema or
 * fails, a migration that fails on a fresh replay); 1 runtime, 2 usage or config. Needs no
 * database URL: only the shadow is used.
 */
export async function checkCommand(cli: Cli, options: CheckCommandOptions): Promise<number> {
  const session = await cli.session();
  const stop = stopOnSignals(cli, 'ending the shadow replay and dropping its scratch database');
  try {
    const report = await check(session, {
      ...(options.engine?.length ? { engines: options.engine } : {}),
      ...(options.shadowUrl ? { shadowUrl: options.shadowUrl } : {}),
      signal: stop.signal,
    });
    for (const warning of report.warnings) cli.warn(`${cli.style.yellow('warning')} ${warning}`);
    if (cli.global.json) printJson(checkDocument(report));
    else cli.say(renderCheck(report, cli.style));
    const { summary } = report;
    cli.log(report.sound ? 'info' : 'warn', report.sound ? 'migrations are sound' : 'migrations have problems', {
      downs: summary.downs,
      restores: summary.restores,
      forgets: summary.forgets,
      downFailed: summary.downFailed,
      reapplyFailed: summary.reapplyFailed,
      noDown: summary.noDown,
      replayed: summary.replayed,
      migrations: summary.migrations,
      ...(report.failed ? { failed: { engine: report.failed.engine, id: report.failed.id, error: report.failed.error.message } } : {}),
    });
    return report.sound ? ExitCode.ok : ExitCode.problems;
  } finally {
    stop.dispose();
  }
}
