import path from 'node:path';
import type { MigrationState, MigrationStatus } from '../../adapter/contract.js';
import type { RunReport } from '../../operations/run-command.js';
import type { StatusReport } from '../../operations/status.js';
import type { Plan } from '../../plan/plan-types.js';
import type { StepResult } from '../../run/step-result.js';
import { formatDuration, table, tableLines, type Style } from './style.js';

const STATE_COLOR: Record<MigrationState, keyof Style> = {
  applied: 'green',
  pending: 'yellow',
  'rolled-back': 'yellow',
  failed: 'red',
  modified: 'red',
  missing: 'red',
  unreachable: 'red',
};

/** An engine with more applied migrations than this shows only its newest few in human output. */
export const APPLIED_LISTED_IN_FULL = 20;
/** How many of its newest applied migrations such an engine still shows. */
export const APPLIED_TAIL = 10;

export interface StatusRenderOptions {
  /** `status --all`: every migration, however many are applied. */
  all?: boolean;
}

/**
 * Which of an engine's migrations the human status lists. A long run of applied migrations is
 * noise next to the one that needs attention, so beyond APPLIED_LISTED_IN_FULL applied ones only
 * the newest APPLIED_TAIL applied are listed; every migration in any other state is listed where
 * it sits. `hiddenBefore` is the index in `shown` where the line counting the hidden ones goes
 * (where the first hidden migration was).
 */
export function listedMigrations(
  migrations: MigrationStatus[],
  options: StatusRenderOptions = {},
): {
  shown: MigrationStatus[];
  hidden: number;
  hiddenBefore: number;
} {
  let applied = 0;
  for (let i = 0; i < migrations.length; i += 1) if (migrations[i]!.state === 'applied') applied += 1;
  if (options.all || applied <= APPLIED_LISTED_IN_FULL) return { shown: migrations, hidden: 0, hiddenBefore: 0 };
  const hidden = applied - APPLIED_TAIL;
  const shown: MigrationStatus[] = [];
  let hiddenBefore = -1;
  let skipped = 0;
  for (let i = 0; i < migrations.length; i += 1) {
    const m = migrations[i]!;
    if (m.state === 'applied' && skipped < hidden) {
      if (hiddenBefore === -1) hiddenBefore = shown.length;
      skipped += 1;
    } else {
      shown.push(m);
    }
  }
  return { shown, hidden, hiddenBefore };
}

/** 9990 → "9,990" (toLocaleString would load ICU's number formatting, ~15 ms, for one number). */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

export function renderStatus(report: StatusReport, s: Style, options: StatusRenderOptions = {}): string {
  const out: string[] = [];
  for (const engine of report.engines) {
    const where = path.relative(process.cwd(), engine.location) || '.';
    out.push(`${s.bold(engine.name)} ${s.dim(`(${engine.kind}, rollback: ${engine.rollback}) ${where.startsWith('..') ? engine.location : where}`)}`);
    if (engine.migrations.length === 0) out.push(s.dim('  no migrations'));
    const { shown, hidden, hiddenBefore } = listedMigrations(engine.migrations, options);
    const rows = shown.map((m) => [
      s[STATE_COLOR[m.state]](m.state),
      m.id,
      m.history?.appliedAt ? s.dim(m.history.appliedAt.toISOString().replace('T', ' ').slice(0, 19)) : '',
      m.reason ? s.dim(m.reason) : '',
    ]);
    const lines = tableLines(rows);
    if (hidden > 0) {
      lines.splice(hiddenBefore, 0, `  ${s.dim(`… ${thousands(hidden)} earlier migrations applied (status --all lists every one)`)}`);
    }
    for (const line of lines) out.push(line);
    for (const m of shown) if (m.fix) out.push(`  ${s.dim(`fix ${m.id}: ${m.fix}`)}`);
    for (const problem of engine.problems) {
      const label = problem.severity === 'warning' ? s.yellow('warning') : s.red('problem');
      out.push(`  ${label} ${problem.message}\n    ${s.dim(`fix: ${problem.fix}`)}`);
    }
  }
  const verdict =
    report.problems > 0
      ? s.red(`${report.problems} problem(s)`) + (report.pending ? `, ${report.pending} pending` : '')
      : report.pending > 0
        ? s.yellow(`${report.pending} pending migration(s)`)
        : s.green('up to date');
  out.push('', verdict);
  return out.join('\n');
}

export function renderPlan(plan: Plan, s: Style, dryRun: boolean): string {
  // A real run reports where down stopped after its steps (renderRunSummary); a dry run here.
  const out: string[] = [];
  const verb = plan.direction === 'up' ? 'apply' : 'revert';
  if (plan.steps.length === 0 && plan.refusals.length === 0) {
    if (plan.stop) return [...plan.warnings.map((w) => `${s.yellow('warning')} ${w}`), dryRun ? renderStop(plan, s, true) : ''].filter(Boolean).join('\n');
    out.push(plan.direction === 'up' ? 'Nothing to apply: every engine is up to date.' : 'Nothing to roll back.');
  } else if (plan.steps.length > 0) {
    const heading = plan.refusals.length > 0 ? 'Refused, nothing was changed. The plan was' : dryRun ? 'Plan (dry run, nothing will change)' : 'Plan';
    out.push(`${heading}: ${verb} ${plan.steps.length} migration(s)`);
    const shown = plan.steps.slice(0, PLAN_ROWS);
    out.push(table(shown.map((step, i) => [s.dim(`${i + 1}.`), step.engine, step.id, step.note ? s.dim(`(${step.note})`) : ''])));
    if (plan.steps.length > shown.length) out.push(s.dim(`  … and ${thousands(plan.steps.length - shown.length)} more (--json lists every step)`));
  }
  for (const warning of plan.warnings.slice(0, LISTED)) out.push(`${s.yellow('warning')} ${warning}`);
  if (plan.warnings.length > LISTED) out.push(s.dim(`… and ${thousands(plan.warnings.length - LISTED)} more warnings (--json lists every one)`));
  for (const refusal of plan.refusals.slice(0, LISTED)) out.push(`${s.red('refused')} ${refusal.message}\n  ${s.dim(`fix: ${refusal.fix}`)}`);
  if (plan.refusals.length > LISTED) out.push(s.dim(`… and ${thousands(plan.refusals.length - LISTED)} more refusals (--json lists every one)`));
  if (dryRun && plan.stop && plan.refusals.length === 0) out.push(renderStop(plan, s, true));
  return out.join('\n');
}

/** Plan steps shown in a human plan; warnings and refusals listed before "and N more". */
const PLAN_ROWS = 20;
const LISTED = 10;

/** "a, b, c, d, e and 429 more": a long list of migrations in one line a person can read; --json has all. */
export function firstFew(items: string[], count = 5): string {
  if (items.length <= count + 1) return items.join(', ');
  return `${items.slice(0, count).join(', ')} and ${thousands(items.length - count)} more (--json lists every one)`;
}

function renderStop(plan: Plan, s: Style, dryRun: boolean): string {
  const stop = plan.stop!;
  const lines = [
    `${s.yellow('warning')} ${dryRun ? 'down will stop' : 'down stopped'} at ${stop.engine} ${stop.id}: ${stop.reason}, so it cannot be reverted.`,
    `  Left in place (still applied): ${firstFew(stop.leftInPlace.map((l) => `${l.engine} ${l.id}`))}`,
    `  To undo it by hand: ${stop.hint}`,
  ];
  return lines.join('\n');
}

/** Column widths for step lines, from the plan, so results line up as they stream in. */
export interface StepWidths {
  engine: number;
  id: number;
}

export function stepWidths(plan: Plan): StepWidths {
  return {
    engine: Math.max(0, ...plan.steps.map((step) => step.engine.length)),
    id: Math.max(0, ...plan.steps.map((step) => step.id.length)),
  };
}

export function renderStep(result: StepResult, s: Style, widths: StepWidths = { engine: 0, id: 0 }): string {
  const stopped = result.status === 'failed' || result.status === 'interrupted';
  const mark = stopped ? s.red('✗') : result.status === 'not-run' ? s.dim('-') : s.green('✓');
  const state = stopped ? s.red(result.status) : result.status === 'not-run' ? s.dim('not run') : result.status;
  const engine = result.engine.padEnd(widths.engine);
  const id = result.id.padEnd(widths.id);
  return `  ${mark} ${engine}  ${id}  ${state}${result.status === 'not-run' ? '' : s.dim(` ${formatDuration(result.durationMs)}`)}`;
}

export function renderRunSummary(report: RunReport, s: Style): string {
  const done = report.results.filter((r) => r.status === 'applied' || r.status === 'reverted').length;
  const failed = report.results.find((r) => r.status === 'failed');
  const notRun = report.results.filter((r) => r.status === 'not-run').length;
  const out: string[] = [];
  if (report.outcome === 'interrupted') {
    const stopped = report.results.find((r) => r.status === 'interrupted');
    out.push(
      s.red(
        `Interrupted by ${report.interruptedBy ?? 'a signal'}: ${done} step(s) completed and stay ${report.command === 'up' ? 'applied' : 'reverted'}` +
          `${stopped ? `; ${stopped.engine} ${stopped.id} was stopped on the server before it committed` : ''}; ${notRun} step(s) not run.`,
      ),
    );
    out.push(`  Run polymigrate status to see where each engine stands, then polymigrate ${report.command} again.`);
    return out.join('\n');
  }
  if (failed) {
    const e = failed.error;
    out.push(s.red(`${failed.engine}: ${failed.direction} ${failed.id} failed: ${e?.message ?? 'unknown error'}`));
    if (e?.detail) out.push(`  detail: ${e.detail}`);
    if (e?.hint) out.push(`  hint: ${e.hint}`);
    out.push(`  ${done} step(s) completed before it and stay ${report.command === 'up' ? 'applied' : 'reverted'}; ${notRun} step(s) not run.`);
    // Non-transactional steps may leave a failed state; their error then names the resolve command.
    out.push(
      e?.message.includes('polymigrate resolve')
        ? `  Follow the resolve steps above, then run polymigrate ${report.command} again.`
        : e?.code === '55P03'
          ? `  The table was busy (see what held it above): run polymigrate ${report.command} again when it is quieter, or raise --ddl-lock-timeout / --ddl-retries.`
          : `  Fix the migration, then run polymigrate ${report.command} again.`,
    );
  } else if (report.results.length > 0) {
    out.push(s.green(`${report.command === 'up' ? 'Applied' : 'Reverted'} ${done} migration(s).`));
  }
  if (report.plan.stop && report.plan.refusals.length === 0 && !failed) {
    out.push(renderStop(report.plan, s, false));
  }
  return out.join('\n');
}
