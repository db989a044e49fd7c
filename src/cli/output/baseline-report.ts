import type { BaselineReport } from '../../operations/reports.js';
import { formatSchemaSummary, type SchemaSummary } from '../../schema/summary.js';
import { formatDuration, type Style } from './style.js';
import { differenceLine } from './verify-report.js';

/**
 * `baseline`'s human output: what is to be recorded, each difference that refuses it (with its
 * owning migration), the unexpected objects it leaves alone, then the verdict.
 */
export function renderBaseline(report: BaselineReport, style: Style): string {
  const { engine } = report;
  if (report.outcome === 'up-to-date') {
    return `${style.green('✓')} ${engine}: nothing to record — ${report.alreadyApplied.length} migration(s) already recorded as applied.`;
  }
  const lines = [
    style.dim(
      `${engine}: ${report.recorded.length} migration(s) not recorded yet, compared in a shadow (${report.shadow?.migrations ?? 0} migration(s) replayed or cached), ${formatDuration(report.durationMs)}`,
    ),
  ];
  for (const difference of report.differences) lines.push(differenceLine(difference, style));
  if (report.unexpected.length > 0) {
    lines.push(style.dim(`  ${report.unexpected.length} object(s) in the database that no migration makes (not ${engine}'s business, left as they are):`));
    for (const difference of report.unexpected) lines.push(style.dim(`  ${differenceLine(difference, style)}`));
  }
  if (report.outcome === 'differences') {
    lines.push(style.red(`✗ ${engine}: ${report.differences.length} object(s) of its migrations differ in the database; nothing was recorded.`));
    lines.push(`  Make the database match (or fix the migrations), then run baseline again; --to ID baselines only up to a migration.`);
    return lines.join('\n');
  }
  const verb = report.outcome === 'planned' ? 'would record' : 'recorded';
  lines.push(`${style.green('✓')} ${engine}'s objects match (${summaryText(report.summary)}); ${verb} as applied:`);
  for (const id of report.recorded) lines.push(`  ${id}`);
  if (report.outcome === 'planned') lines.push(style.dim('  --dry-run: nothing was written.'));
  return lines.join('\n');
}

function summaryText(summary: BaselineReport['summary']): string {
  return formatSchemaSummary(summary as SchemaSummary);
}
