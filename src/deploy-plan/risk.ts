import { blockedTraffic, modeLabel } from './lock-modes.js';
import { formatSize } from './plan-format.js';
import type { Finding, FindingLevel, Impact, MigrationTrace, RelationSize, RiskLevel } from './types.js';

/**
 * Findings × live sizes → levels a person can act on. Pure: the sizes come from sizes.ts.
 *
 * Only work that grows with the table (a rewrite, a validation scan, an index build, an UPDATE of
 * every row) is sized: the time a lock is held is the time that work takes, so the level follows
 * the table — a rewrite of 100 rows is low, of millions critical. Everything else keeps its rule's
 * level: a rename breaks the running application whatever the size.
 *
 * Tiers (rows, or bytes when that says more — wide rows, TOAST): under ACCESS EXCLUSIVE (every
 * read and write waits) 10 k rows / 8 MB is where a person starts to notice, 100 k / 100 MB is a
 * visible stall of seconds, 1 M / 1 GB an outage. A lock that only stops writes shifts each tier up
 * tenfold; a lock that stops neither stays low whatever the size.
 */
export const LEVELS: readonly FindingLevel[] = ['info', 'low', 'medium', 'high', 'critical'];

const TIERS: Array<{ rows: number; bytes: number }> = [
  { rows: 10_000, bytes: 8 * 2 ** 20 },
  { rows: 100_000, bytes: 100 * 2 ** 20 },
  { rows: 1_000_000, bytes: 2 ** 30 },
];

export function levelRank(level: FindingLevel): number {
  return LEVELS.indexOf(level);
}

/** Sizes by `schema.name`, as findings name their relations. */
export type SizeLookup = (relation: { schema: string; name: string }) => RelationSize | undefined;

export function sizeLookup(sizes: readonly RelationSize[]): SizeLookup {
  const byName = new Map(sizes.map((s) => [`${s.schema}.${s.name}`, s]));
  return (relation) => byName.get(`${relation.schema}.${relation.name}`);
}

/** A finding with its level set from the size of its relation, and the sentence that says why. */
export function assessFinding(finding: Finding, sizeOf: SizeLookup): Finding {
  const size = finding.relation ? sizeOf(finding.relation) : undefined;
  const level = sizedLevel(finding.baseLevel, finding.impact, size);
  const risk = riskSentence(finding, size);
  return { ...finding, level, ...(risk ? { risk } : {}) };
}

function sizedLevel(base: FindingLevel, impact: Impact | undefined, size: RelationSize | undefined): FindingLevel {
  if (base === 'info' || !impact || !size) return base;
  if (impact.failsWithRows) {
    if (!size.exists || size.rows === 0) return 'low';
    return size.rows !== undefined && size.rows > 0 ? 'critical' : base;
  }
  if (!impact.work) return base;
  if (!size.exists) return 'low';
  if (size.rows === undefined && size.totalBytes === undefined) return base;
  const shift = impact.blocks.reads ? 0 : impact.blocks.writes ? 1 : undefined;
  if (shift === undefined) return 'low';
  const tier = TIERS.filter((t) => (size.rows ?? 0) >= t.rows * 10 ** shift || (size.totalBytes ?? 0) >= t.bytes * 10 ** shift).length;
  return (['low', 'medium', 'high', 'critical'] as const)[tier]!;
}

const WORK_VERB: Record<NonNullable<Impact['work']>, string> = {
  rewrite: 'rewrites',
  'validation scan': 'scans every row of',
  'index build': 'builds an index on',
  'update of every row': 'updates every row of',
  'delete of every row': 'deletes every row of',
};

/** "rewrites public.events (≈48 M rows, 12 GB) under ACCESS EXCLUSIVE: blocks every read and write for the whole rewrite". */
function riskSentence(finding: Finding, size: RelationSize | undefined): string | undefined {
  const { impact, relation } = finding;
  if (!impact || !relation) return undefined;
  const name = `${relation.schema}.${relation.name}`;
  const sized = formatSize(size);
  const at = sized ? `${name} (${sized})` : name;
  if (impact.failsWithRows) {
    if (!size?.exists || size.rows === 0) return `adds a required column to ${at}: succeeds only because the table is empty`;
    return `adds a required column without default to ${at}: fails on the live database, which has rows there`;
  }
  const mode = impact.mode ? ` under ${modeLabel(impact.mode)}` : '';
  const blocks = impact.blocks.reads || impact.blocks.writes ? `blocks ${blockedTraffic(impact.blocks)}` : 'reads and writes go on';
  if (impact.work) return `${WORK_VERB[impact.work]} ${at}${mode}: ${blocks} for the whole ${impact.work}`;
  // No work that scales: the rule's own message says it best; the size is context.
  return sized ? `${finding.message} (${name}: ${sized})` : undefined;
}

/** One migration's level and the sentence that explains it: its worst finding, or the failure. */
export function migrationRisk(trace: MigrationTrace, findings: readonly Finding[]): { level: RiskLevel; summary: string } {
  const failed = trace.statements.find((s) => s.outcome === 'failed');
  if (failed) {
    return { level: 'critical', summary: `fails at statement ${failed.index + 1}${failed.statement.line ? ` (line ${failed.statement.line})` : ''}: ${failed.error?.message ?? 'error'}` };
  }
  const counted = findings.filter((f) => !f.ignored && f.level !== 'info');
  if (counted.length === 0) return { level: 'low', summary: 'no finding: nothing here blocks traffic for long or destroys data' };
  const worst = [...counted].sort((a, b) => levelRank(b.level) - levelRank(a.level))[0]!;
  const more = counted.length > 1 ? ` (and ${counted.length - 1} more finding${counted.length > 2 ? 's' : ''})` : '';
  return { level: worst.level as RiskLevel, summary: `${worst.code} ${worst.risk ?? worst.message}${more}` };
}

/** The whole deploy: its worst migration. */
export function overallRisk(migrations: ReadonlyArray<{ engine: string; id: string; risk: { level: RiskLevel; summary: string } }>): { level: RiskLevel; summary: string } {
  if (migrations.length === 0) return { level: 'low', summary: 'nothing to deploy: no pending migration' };
  const worst = [...migrations].sort((a, b) => levelRank(b.risk.level) - levelRank(a.risk.level))[0]!;
  if (worst.risk.level === 'low') return { level: 'low', summary: `${migrations.length} pending migration${migrations.length > 1 ? 's' : ''}, none with a finding above low` };
  return { level: worst.risk.level, summary: `${worst.engine} ${worst.id}: ${worst.risk.summary}` };
}
