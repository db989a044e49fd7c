import { ExitCode } from '../../errors.js';
import { verify } from '../../operations/verify.js';
import type { Cli } from '../cli-context.js';
import { stopOnSignals } from '../stop-on-signals.js';
import { printJson } from '../output/json-report.js';
import { verifyDocument } from '../../report/documents.js';
import { differenceLine, renderVerify } from '../output/verify-report.js';

export interface VerifyCommandOptions {
  engine?: string[];
  shadowUrl?: string;
  /** Commander's --no-cache. */
  cache?: boolean;
  /** After `up --verify`: the up document is printed already, so --json prints none of its own. */
  inRun?: boolean;
}

/** Exit 0 when the schema matches, 4 on drift (1: the replay or a connection failed; 2: usage or config). */
export async function verifyCommand(cli: Cli, options: VerifyCommandOptions): Promise<number> {
  const session = await cli.session();
  const stop = stopOnSignals(cli, 'ending the shadow replay and dropping its scratch database');
  try {
    const report = await verify(session, {
      ...(options.engine?.length ? { engines: options.engine } : {}),
      ...(options.shadowUrl ? { shadowUrl: options.shadowUrl } : {}),
      cache: options.cache !== false,
      signal: stop.signal,
    });
    for (const warning of report.warnings) cli.warn(`${cli.style.yellow('warning')} ${warning}`);
    if (cli.global.json) {
      if (!options.inRun) printJson(verifyDocument(report));
      else for (const d of report.differences) cli.warn(differenceLine(d, cli.style));
    } else cli.say(renderVerify(report, cli.style));
    cli.log(report.matches ? 'info' : 'warn', report.matches ? 'schema matches' : `schema drift: ${report.differences.length} difference(s)`, {
      differences: report.differences.length,
      cacheHit: report.shadow.cache.hit,
      replayed: report.shadow.cache.replayed,
    });
    return report.matches ? ExitCode.ok : ExitCode.problems;
  } finally {
    stop.dispose();
  }
}
