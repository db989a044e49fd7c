import type { VerifyDifference, VerifyReport } from '../../operations/reports.js';
import { formatDuration, shadowServerName, type Style } from './style.js';

/**
 * `verify`'s human output: where the shadow came from, one line per difference naming the
 * migration that owns the object, then the verdict — the summary of what matched, or the count.
 */
export function renderVerify(report: VerifyReport, style: Style): string {
  const lines = [style.dim(shadowLine(report))];
  for (const difference of report.differences) lines.push(differenceLine(difference, style));
  if (report.matches) {
    lines.push(`${style.green('✓')} schema matches: ${summaryText(report)}`);
  } else {
    lines.push(style.red(`✗ schema drift: ${countsText(report.differences)}.`));
    lines.push('  The database differs from what its applied migrations produce. Fix the database (or write a migration that makes the change),');
    lines.push('  or, for objects that are not the migrations\' business, add patterns to "verify.ignore" in the config.');
  }
  return lines.join('\n');
}

function shadowLine(report: VerifyReport): string {
  const { shadow } = report;
  const server = shadowServerName(shadow);
  const cache = !shadow.cache.enabled
    ? 'no cache'
    : shadow.cache.hit > 0
      ? `${shadow.cache.hit} from the cache, ${shadow.cache.replayed} replayed`
      : `${shadow.cache.replayed} replayed, nothing cached yet`;
  return `shadow: ${shadow.migrations} applied migration(s) on ${server} — ${cache}, ${formatDuration(report.durationMs)}`;
}

/** `missing column public.t."projectId" (text NOT NULL), added by prisma 20251014_add_avatar`. */
export function differenceLine(d: VerifyDifference, style: Style): string {
  const what = `${d.kind} ${d.objectKind} ${d.object}`;
  return `${style.red('✗')} ${what}${detail(d)}${ownerText(d)}`;
}

function detail(d: VerifyDifference): string {
  if (d.kind === 'changed') return `: ${d.field ?? 'definition'} is ${d.actual ?? '(none)'}, the migrations make ${d.expected ?? '(none)'}`;
  const text = d.kind === 'missing' ? d.expected : d.actual;
  if (!text) return '';
  // An enum's labels come in their own parentheses: `('a', 'b')`, not `(('a', 'b'))`.
  return text.startsWith('(') && text.endsWith(')') ? ` ${text}` : ` (${text})`;
}

function ownerText(d: VerifyDifference): string {
  if (d.kind === 'unexpected') return ', made by no migration';
  const parts: string[] = [];
  if (d.createdBy) parts.push(`${d.kind === 'missing' ? 'added' : 'created'} by ${d.createdBy.engine} ${d.createdBy.id}`);
  if (d.changedBy) parts.push(`last changed by ${d.changedBy.engine} ${d.changedBy.id}`);
  if (parts.length === 0) return ', there before the first migration';
  return `, ${parts.join(', ')}`;
}

function countsText(differences: VerifyDifference[]): string {
  const count = (kind: VerifyDifference['kind']) => differences.filter((d) => d.kind === kind).length;
  const parts = (['missing', 'changed', 'unexpected'] as const).filter((k) => count(k) > 0).map((k) => `${count(k)} ${k}`);
  return `${differences.length} difference${differences.length === 1 ? '' : 's'} (${parts.join(', ')})`;
}

const PLURALS: Record<string, string> = { index: 'indexes', policy: 'policies' };

function summaryText(report: VerifyReport): string {
  if (report.summary.length === 0) return 'no objects';
  return report.summary.map(({ kind, count }) => `${count} ${count === 1 ? kind : (PLURALS[kind] ?? `${kind}s`)}`).join(', ');
}
