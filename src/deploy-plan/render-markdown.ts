import { blockedTraffic, modeLabel } from './lock-modes.js';
import { formatSeconds, formatSize } from './plan-format.js';
import type { DeployPlanDocument, Finding, LockWindow, MigrationPlan } from './types.js';

/**
 * `plan --format markdown`: the deploy report, fit to paste as a pull-request comment. Sections:
 * summary and risk; pending migrations per engine with what each does; safety analysis (findings
 * with the safer way, ignored ones with their reason); expected lock windows with live sizes;
 * open transactions on the live database; rollback strategy per step; the post-deploy check.
 */
export function renderPlanMarkdown(plan: DeployPlanDocument): string {
  return [summary(plan), pending(plan), safety(plan), windows(plan), openTransactions(plan), rollback(plan), postDeploy()].filter((section) => section !== '').join('\n\n') + '\n';
}

const LEVEL_BADGE = { info: 'ℹ️ info', low: '🟢 low', medium: '🟡 medium', high: '🟠 high', critical: '🔴 critical' } as const;

function summary(plan: DeployPlanDocument): string {
  const { byLevel, total, ignored } = plan.findings;
  const counts = (['critical', 'high', 'medium', 'low', 'info'] as const).filter((l) => byLevel[l] > 0).map((l) => `${byLevel[l]} ${l}`);
  const live = plan.live
    ? `Sizes from the live database's catalog (${plan.live.queries} read-only catalog queries, no table read); ${plan.live.openTransactions.length} transaction${plan.live.openTransactions.length === 1 ? '' : 's'} open there now.`
    : "No live database was read: levels are the rules' own, without sizes.";
  return [
    '## Deploy plan',
    '',
    `**Risk: ${LEVEL_BADGE[plan.risk.level]}** — ${cell(plan.risk.summary)}`,
    '',
    `${plan.migrations.length} pending migration${plan.migrations.length === 1 ? '' : 's'}; ${total} finding${total === 1 ? '' : 's'}${counts.length ? ` (${counts.join(', ')})` : ''}${ignored ? `, ${ignored} ignored with a reason` : ''}. ${live}`,
  ].join('\n');
}

function pending(plan: DeployPlanDocument): string {
  if (plan.migrations.length === 0) return '';
  const rows = plan.migrations.map(
    (m) => `| ${cell(m.engine)} | \`${cell(m.id)}\` | ${m.transactional ? 'one transaction' : 'outside a transaction'} | ${LEVEL_BADGE[m.risk.level]} | ${cell(does(m))} |`,
  );
  return ['### Pending migrations', '', '| Engine | Migration | Runs | Risk | What it does |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** The schema diff's objects when given; otherwise the statements' kinds. */
function does(m: MigrationPlan): string {
  const { created, altered, dropped } = m.objects;
  const parts = [created.length ? `creates ${created.join(', ')}` : '', altered.length ? `alters ${altered.join(', ')}` : '', dropped.length ? `drops ${dropped.join(', ')}` : ''].filter(
    Boolean,
  );
  if (parts.length) return parts.join('; ');
  const first = m.statements.find((s) => s.outcome !== 'control');
  return first ? `${m.statements.length} statement${m.statements.length === 1 ? '' : 's'}, from \`${truncate(first.sql, 60)}\`` : 'no statement';
}

function safety(plan: DeployPlanDocument): string {
  const blocks = plan.migrations.flatMap((m) => {
    const findings = m.statements.flatMap((s) => s.findings);
    // The trace's notes are about the shadow; a reviewer needs them only when the migration failed there.
    const notes = m.trace.outcome === 'failed' ? m.trace.notes.map((n) => `> ${n}`) : [];
    if (findings.length === 0) return [`#### ${cell(m.engine)} \`${cell(m.id)}\`\n\nNo finding.${notes.length ? `\n\n${notes.join('\n')}` : ''}`];
    return [[`#### ${cell(m.engine)} \`${cell(m.id)}\` — ${LEVEL_BADGE[m.risk.level]}`, '', ...findings.map(findingItem), ...(notes.length ? ['', ...notes] : [])].join('\n')];
  });
  return blocks.length ? ['### Safety analysis', ...blocks].join('\n\n') : '';
}

function findingItem(f: Finding): string {
  const where = f.file ? `\`${f.file}${f.line ? `:${f.line}` : ''}\`` : `statement ${f.statement + 1}`;
  if (f.ignored) return `- ~~${f.code} ${f.name}~~ ${where}: ${cell(f.message)} — **ignored**: ${cell(f.ignored.reason)}`;
  return `- **${LEVEL_BADGE[f.level]}** \`${f.code}\` ${f.name} — ${where}: ${cell(f.risk ?? f.message)}\n  - Safer: ${cell(f.safer)}`;
}

function windows(plan: DeployPlanDocument): string {
  const rows = plan.migrations.flatMap((m) => m.lockWindows.map((w) => windowRow(m, w)));
  if (rows.length === 0) return '### Expected lock windows\n\nNo statement takes a lock that stops reads or writes of an existing table.';
  return ['### Expected lock windows', '', '| Migration | Table | Lock | Blocks | Statements | Held until | Work under it | Live size |', '|---|---|---|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

function windowRow(m: MigrationPlan, w: LockWindow): string {
  const span = w.from === w.to ? `${w.from}` : `${w.from}–${w.to}`;
  return `| \`${cell(m.id)}\` | ${cell(`${w.relation.schema}.${w.relation.name}`)} | ${modeLabel(w.mode)} | ${blockedTraffic(w.blocks)} | ${span} | ${w.untilCommit ? 'commit' : 'end of statement'} | ${w.work.join(', ') || '—'} | ${cell(formatSize(w.size) ?? 'not read')} |`;
}

function openTransactions(plan: DeployPlanDocument): string {
  const open = plan.live?.openTransactions ?? [];
  if (open.length === 0) return '';
  const rows = open.map(
    (t) =>
      `| ${t.pid} | ${t.visible ? cell(t.applicationName ?? '') : '(another role)'} | ${cell(t.state ?? '')} | ${t.transactionSeconds !== undefined ? formatSeconds(t.transactionSeconds) : '?'} | ${cell(t.locks.map((l) => `${modeLabel(l.mode)} on ${l.relation.schema}.${l.relation.name}${l.granted ? '' : ' (waiting)'}`).join(', ') || '—')} |`,
  );
  return [
    '### Open transactions on the live database',
    '',
    'DDL queues behind these (and CREATE INDEX CONCURRENTLY waits for every one):',
    '',
    '| pid | Application | State | Open for | Locks on touched tables |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function rollback(plan: DeployPlanDocument): string {
  if (plan.migrations.length === 0) return '';
  const strategy = { 'down-file': 'down file', native: "engine's own", none: 'none' } as const;
  const rows = plan.migrations.map(
    (m) =>
      `| ${cell(m.engine)} | \`${cell(m.id)}\` | ${strategy[m.rollback.strategy]} | ${cell(m.rollback.recipe ?? (m.rollback.strategy === 'none' ? 'restore from backup, or write a forward fix' : '—'))} |`,
  );
  return ['### Rollback strategy', '', '| Engine | Migration | Way back | Recipe |', '|---|---|---|---|', ...rows].join('\n');
}

function postDeploy(): string {
  return ['### After the deploy', '', 'Check that the live schema is what the migrations say it should be:', '', '```sh', 'polymigrate verify', '```'].join('\n');
}

/** Text safe in a Markdown table cell: no pipe, no line break. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function truncate(sql: string, length: number): string {
  const flat = sql.replace(/\s+/g, ' ').replace(/`/g, "'").trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}
