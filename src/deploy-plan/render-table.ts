import { modeLabel, strength } from './lock-modes.js';
import type { DeployPlanDocument, Finding, MigrationPlan } from './types.js';

/**
 * `plan`'s human output: the deploy's risk, then per engine one row per pending migration and,
 * under it, its findings (worst first, ignored ones with their reason). Plain text: the CLI adds
 * colour if it wants to; the library never imports from the CLI.
 */
export function renderPlanTable(plan: DeployPlanDocument): string {
  const lines = [`Deploy risk: ${plan.risk.level.toUpperCase()} — ${plan.risk.summary}`];
  if (plan.migrations.length === 0) return `${lines[0]}\n`;
  for (const [engine, migrations] of byEngine(plan.migrations)) {
    lines.push('', engine);
    const rows = migrations.map((m) => [m.id, m.transactional ? 'yes' : 'no', m.risk.level, String(m.statements.length), String(m.findingCount), longestLock(m)]);
    const widths = columnWidths([HEADER, ...rows]);
    for (const [k, row] of [HEADER, ...rows].entries()) {
      lines.push(`  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd());
      if (k > 0) lines.push(...migrations[k - 1]!.statements.flatMap((s) => s.findings).map(findingLine));
    }
  }
  return `${lines.join('\n')}\n`;
}

const HEADER = ['MIGRATION', 'TX', 'RISK', 'STMTS', 'FINDINGS', 'LONGEST BLOCKING LOCK'];

function byEngine(migrations: MigrationPlan[]): Map<string, MigrationPlan[]> {
  const map = new Map<string, MigrationPlan[]>();
  for (const m of migrations) map.set(m.engine, [...(map.get(m.engine) ?? []), m]);
  return map;
}

function columnWidths(rows: string[][]): number[] {
  return rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
}

/** "ACCESS EXCLUSIVE on app.events, statements 1–3": the window that stops the most traffic for the most statements. */
function longestLock(migration: MigrationPlan): string {
  const [worst] = [...migration.lockWindows].sort((a, b) => strength(b.mode) - strength(a.mode) || b.to - b.from - (a.to - a.from));
  if (!worst) return '—';
  const span = worst.from === worst.to ? `statement ${worst.from}` : `statements ${worst.from}–${worst.to}`;
  return `${modeLabel(worst.mode)} on ${worst.relation.schema}.${worst.relation.name}, ${span}`;
}

function findingLine(finding: Finding): string {
  const where = finding.file ? `${finding.file}${finding.line ? `:${finding.line}` : ''}` : `statement ${finding.statement + 1}`;
  const text = finding.risk ?? finding.message;
  if (finding.ignored) return `      ignored   ${finding.code}  ${where}  ${finding.message} — ignored: ${finding.ignored.reason}`;
  return `      ${finding.level.padEnd(8)}  ${finding.code}  ${where}  ${text}`;
}
