import { ExitCode, exitCodeForSignal } from '../../errors.js';
import { down } from '../../operations/down.js';
import type { RunReport } from '../../operations/run-command.js';
import { up } from '../../operations/up.js';
import { parseTarget } from '../../plan/plan-up.js';
import { skipReason } from '../../operations/skip-switch.js';
import type { Cli } from '../cli-context.js';
import { stopOnSignals } from '../stop-on-signals.js';
import { renderPlan, renderRunSummary, stepWidths } from '../output/human-report.js';
import { printJson, runJson } from '../output/json-report.js';
import { RunProgress } from '../output/run-progress.js';

function finish(cli: Cli, report: RunReport): number {
  if (cli.global.json) {
    printJson(runJson(report));
  } else if (report.outcome !== 'planned' && report.outcome !== 'refused') {
    const summary = renderRunSummary(report, cli.style);
    if (report.outcome === 'failed' || report.outcome === 'interrupted') cli.warn(summary);
    else cli.say(summary);
  }
  for (const refusal of report.plan.refusals) cli.log('error', `refused: ${refusal.message}`, { engine: refusal.engine, ...(refusal.id ? { migration: refusal.id } : {}) });
  if (report.plan.stop)
    cli.log('warn', `down stopped at ${report.plan.stop.engine} ${report.plan.stop.id}: ${report.plan.stop.reason}`, { engine: report.plan.stop.engine, migration: report.plan.stop.id });
  switch (report.outcome) {
    case 'failed':
      return ExitCode.failure;
    case 'refused':
      return ExitCode.refused;
    case 'interrupted':
      return exitCodeForSignal(report.interruptedBy ?? 'SIGINT');
    default:
      return ExitCode.ok;
  }
}

/**
 * Print the plan before anything runs; refusals go to stderr. A long run on a terminal then
 * shows one live progress line instead of a line per step (output/run-progress.ts).
 */
function announcePlans(cli: Cli): RunProgress {
  const progress = new RunProgress(cli);
  cli.events.planReady = (plan, dryRun) => {
    cli.stepWidths = stepWidths(plan);
    if (cli.global.json) return;
    const text = renderPlan(plan, cli.style, dryRun);
    if (plan.refusals.length > 0) cli.warn(text);
    else cli.say(text);
    progress.planned(plan, dryRun);
  };
  return progress;
}

export async function upCommand(cli: Cli, options: { dryRun?: boolean; engine?: string[]; to?: string; allowModified?: boolean; verify?: boolean }): Promise<number> {
  const skip = skipReason();
  if (skip) {
    if (cli.global.json) printJson({ version: 1, command: 'up', outcome: 'skipped', reason: skip }, 0);
    else cli.say(`Skipping migrations: ${skip}.`);
    cli.log('info', `skipped: ${skip}`);
    return ExitCode.ok;
  }
  const progress = announcePlans(cli);
  const session = await cli.session();
  const stop = stopOnSignals(cli, 'ending what runs on the server, nothing more will commit');
  try {
    const report = await up(session, {
      dryRun: options.dryRun ?? false,
      ...(options.engine?.length ? { engines: options.engine } : {}),
      ...(options.to ? { to: parseTarget(options.to) } : {}),
      allowModified: options.allowModified ?? false,
      signal: stop.signal,
    });
    progress.stop();
    const code = finish(cli, report);
    if (code !== ExitCode.ok || !options.verify || report.dryRun) return code;
    stop.dispose();
    // After a successful run: the schema must now be what the applied migrations make (exit 4 if not).
    return (await import('./verify-command.js')).verifyCommand(cli, { inRun: true });
  } finally {
    progress.stop();
    stop.dispose();
  }
}

export async function downCommand(cli: Cli, options: { dryRun?: boolean; engine?: string; steps?: number; strict?: boolean }): Promise<number> {
  const progress = announcePlans(cli);
  const session = await cli.session();
  const stop = stopOnSignals(cli, 'ending what runs on the server, nothing more will commit');
  try {
    const report = await down(session, {
      dryRun: options.dryRun ?? false,
      ...(options.engine ? { engine: options.engine } : {}),
      ...(options.steps !== undefined ? { steps: options.steps } : {}),
      strict: options.strict ?? false,
      signal: stop.signal,
    });
    progress.stop();
    return finish(cli, report);
  } finally {
    progress.stop();
    stop.dispose();
  }
}
