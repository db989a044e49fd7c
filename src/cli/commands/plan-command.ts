import { ExitCode } from '../../errors.js';
import { failOn, parseFailOnLevel } from '../../deploy-plan/fail-on.js';
import { renderPlanJson } from '../../deploy-plan/render-json.js';
import { renderPlanMarkdown } from '../../deploy-plan/render-markdown.js';
import { renderPlanTable } from '../../deploy-plan/render-table.js';
import { plan } from '../../operations/plan.js';
import { redactSecrets } from '../../secrets/secret-registry.js';
import type { Cli } from '../cli-context.js';
import { stopOnSignals } from '../stop-on-signals.js';

export interface PlanCommandOptions {
  engine?: string[];
  format?: 'table' | 'markdown';
  failOn?: string;
  shadowUrl?: string;
  /** Commander's --no-cache. */
  cache?: boolean;
}

/**
 * Exit 0, or 4 with --fail-on LEVEL when a finding reaches LEVEL (or a migration fails in the
 * shadow); 1 when the shadow or a connection fails; 2 usage; 5 when `up` itself would refuse.
 */
export async function planCommand(cli: Cli, options: PlanCommandOptions): Promise<number> {
  const level = options.failOn === undefined ? undefined : parseFailOnLevel(options.failOn);
  const session = await cli.session();
  const stop = stopOnSignals(cli, 'ending the shadow replay and trace and dropping the scratch database');
  try {
    const report = await plan(session, {
      ...(options.engine?.length ? { engines: options.engine } : {}),
      ...(options.shadowUrl ? { shadowUrl: options.shadowUrl } : {}),
      cache: options.cache !== false,
      signal: stop.signal,
    });
    for (const warning of report.warnings) cli.warn(`${cli.style.yellow('warning')} ${warning}`);
    for (const step of report.untraced) cli.warn(`${cli.style.yellow('warning')} ${step.engine} ${step.id} was not traced: a migration before it failed in the shadow.`);
    const text = cli.global.json ? renderPlanJson(report.document) : options.format === 'markdown' ? renderPlanMarkdown(report.document) : renderPlanTable(report.document);
    // Migrations' SQL is printed as written; a secret inside one is masked like every output.
    process.stdout.write(redactSecrets(text.endsWith('\n') ? text : `${text}\n`));
    cli.log('info', `plan: risk ${report.document.risk.level}`, { risk: report.document.risk.level, migrations: report.document.migrations.length });
    if (level === undefined) return ExitCode.ok;
    const verdict = failOn(report.document, level);
    if (verdict.fail && !cli.global.json) {
      cli.warn(
        `${cli.style.red('✗')} --fail-on ${level}: ${verdict.reasons.length} finding(s) at ${level} or above${verdict.failedMigrations.length ? `, ${verdict.failedMigrations.length} migration(s) failing in the shadow` : ''}.`,
      );
    }
    return verdict.fail ? ExitCode.problems : ExitCode.ok;
  } finally {
    stop.dispose();
  }
}
