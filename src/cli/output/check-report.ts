import type { CheckDifference, CheckedMigration, CheckReport } from '../../operations/check-report.js';
import { formatDuration, shadowServerName, type Style } from './style.js';

/**
 * `check`'s human output: where the shadow ran, one line per problem (each object a down does not
 * put back, a down that fails, a migration that fails on the fresh replay), then the verdict.
 */
export function renderCheck(report: CheckReport, style: Style): string {
  const lines = [style.dim(shadowLine(report))];
  for (const refusal of report.refusals) {
    lines.push(`${style.red('✗')} ${refusal.engine}${refusal.id ? ` ${refusal.id}` : ''}: ${refusal.message}`, `  ${refusal.fix}`);
  }
  for (const migration of report.migrations) lines.push(...problemLines(migration, style));
  if (report.failed) {
    const { engine, id, error } = report.failed;
    lines.push(`${style.red('✗')} ${engine} ${id} fails on a fresh replay: ${error.message}`);
    if (error.hint) lines.push(`  ${error.hint}`);
  }
  lines.push(verdict(report, style));
  return lines.join('\n');
}

/** One line per thing wrong with a migration's down (none when it restores the schema). */
export function problemLines(m: CheckedMigration, style: Style): string[] {
  const mark = style.red('✗');
  const down = `down of ${m.engine} ${m.id}`;
  switch (m.result) {
    case 'forgets':
      return [
        ...m.differences.map((d) => `${mark} ${down} ${differenceText(d)}`),
        ...(m.error ? [`  and ${m.engine} ${m.id} fails when applied again after its down: ${m.error.message}`] : []),
      ];
    case 'down-failed':
      return [`${mark} ${down} fails: ${m.error?.message ?? 'unknown error'}`];
    case 'reapply-failed':
      return [
        `${mark} ${m.engine} ${m.id} fails when applied again after its down (the down leaves something behind that the schema does not show, such as rows): ${m.error?.message ?? 'unknown error'}`,
      ];
    default:
      return [];
  }
}

/** `forgets index public.users_email_idx (CREATE INDEX …)`, from the schema before the migration. */
function differenceText(d: CheckDifference): string {
  const what = `${d.objectKind} ${d.object}`;
  switch (d.kind) {
    case 'unexpected':
      return `forgets ${what}${inParentheses(d.actual)}: the down leaves it in place`;
    case 'missing':
      return `removes ${what}${inParentheses(d.expected)}, which was there before the migration`;
    case 'changed':
      return `forgets to restore ${what}: ${d.field ?? 'definition'} is ${d.actual ?? '(none)'}, before the migration ${d.expected ?? '(none)'}`;
  }
}

/** ` (text NOT NULL)`; an enum's labels come in parentheses already. */
function inParentheses(text: string | undefined): string {
  if (!text) return '';
  return text.startsWith('(') ? ` ${text}` : ` (${text})`;
}

function shadowLine(report: CheckReport): string {
  const { shadow, summary } = report;
  const server = shadowServerName(shadow);
  const rebuilt = shadow.rebuilds > 0 ? `, rebuilt ${shadow.rebuilds}×` : '';
  return `shadow: ${summary.replayed} of ${summary.migrations} migration(s) replayed on ${server}${rebuilt}, ${formatDuration(report.durationMs)}`;
}

function verdict(report: CheckReport, style: Style): string {
  const { summary } = report;
  const problems = summary.forgets + summary.downFailed + summary.reapplyFailed;
  const extra = [summary.noDown > 0 ? `${summary.noDown} without a down` : '', summary.notSelected > 0 ? `${summary.notSelected} of other engines not checked` : '']
    .filter(Boolean)
    .join(', ');
  const tail = extra ? ` (${extra})` : '';
  const downs = `${summary.downs} down${summary.downs === 1 ? '' : 's'}`;
  if (report.refusals.length > 0) return style.red(`✗ the migrations cannot be replayed: ${report.refusals.length} refusal(s), nothing was checked.`);
  if (report.failed) {
    const checked = problems > 0 ? `; ${problems} of ${downs} checked before it do not restore the schema` : `; ${downs} checked before it`;
    return style.red(`✗ the check stopped at ${report.failed.engine} ${report.failed.id} (${summary.replayed} of ${summary.migrations} migrations replayed)${checked}.`);
  }
  if (problems > 0) return style.red(`✗ ${problems} of ${downs} do not restore the schema${tail}.`);
  return `${style.green('✓')} checked ${downs}: all restore the schema; ${summary.migrations} migration(s) replay on an empty database${tail}.`;
}
