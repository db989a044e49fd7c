import { findingsOf } from './findings.js';
import { blocksTraffic, strength } from './lock-modes.js';
import { assessFinding, LEVELS, migrationRisk, overallRisk, sizeLookup, type SizeLookup } from './risk.js';
import { queueFindings } from './rules/live-queue.js';
import type { DeployPlanDocument, Finding, FindingLevel, LiveSnapshot, LockWindow, MigrationPlan, PlannedMigration, StatementTrace } from './types.js';

/**
 * The whole `plan` document from its parts — pure: the traces (trace.ts, run on the shadow), what
 * the caller knows about each migration (down file, rollback recipe, the schema diff's objects) and
 * the live snapshot (sizes.ts; optional: without it, levels stay the rules' own). Every renderer
 * (render-json.ts, render-table.ts, render-markdown.ts) and `--fail-on` (fail-on.ts) read this.
 */
export function buildDeployPlan(migrations: readonly PlannedMigration[], live?: LiveSnapshot): DeployPlanDocument {
  const sizeOf = sizeLookup(live?.relations ?? []);
  const plans = migrations.map((migration) => migrationPlan(migration, sizeOf, live));
  const all = plans.flatMap((p) => p.statements.flatMap((s) => s.findings));
  const counted = all.filter((f) => !f.ignored);
  const byLevel = Object.fromEntries(LEVELS.map((level) => [level, counted.filter((f) => f.level === level).length])) as Record<FindingLevel, number>;
  return {
    version: 1,
    command: 'plan',
    risk: overallRisk(plans),
    findings: { total: counted.length, ignored: all.length - counted.length, byLevel },
    ...(live ? { live: { queries: live.queries, relations: live.relations, openTransactions: live.openTransactions } } : {}),
    migrations: plans,
  };
}

function migrationPlan(migration: PlannedMigration, sizeOf: SizeLookup, live: LiveSnapshot | undefined): MigrationPlan {
  const { trace } = migration;
  const findings = [...findingsOf(trace), ...(live ? queueFindings(trace, live) : [])].map((f) => assessFinding(f, sizeOf));
  return {
    engine: migration.engine,
    ...(migration.kind ? { kind: migration.kind } : {}),
    id: trace.id,
    transactional: trace.transactional,
    hasDown: migration.hasDown,
    rollback: migration.rollback,
    objects: migration.objects ?? { created: [], altered: [], dropped: [] },
    risk: migrationRisk(trace, findings),
    trace: { outcome: trace.outcome, committed: trace.committed, notes: trace.notes, ms: Math.round(trace.traceMs) },
    statements: trace.statements.map((statement) =>
      statementPlan(
        statement,
        findings.filter((f) => f.statement === statement.index),
      ),
    ),
    lockWindows: lockWindows(trace.statements, findings, sizeOf),
    findingCount: findings.filter((f) => !f.ignored).length,
  };
}

function statementPlan(statement: StatementTrace, findings: Finding[]): MigrationPlan['statements'][number] {
  const { file, line, sql } = statement.statement;
  return {
    number: statement.index + 1,
    ...(file ? { file } : {}),
    ...(line ? { line } : {}),
    sql,
    outcome: statement.outcome,
    ...(statement.note ? { note: statement.note } : {}),
    ...(statement.durationMs !== undefined ? { durationMs: Math.round(statement.durationMs * 10) / 10 } : {}),
    locks: statement.locks.map((l) => ({ relation: `${l.relation.schema}.${l.relation.name}`, mode: l.mode, blocks: l.blocks, source: l.source })),
    rewrites: (statement.changes?.rewritten ?? []).map((r) => `${r.relation.schema}.${r.relation.name}`),
    findings: findings.sort((a, b) => LEVELS.indexOf(b.level) - LEVELS.indexOf(a.level)),
  };
}

/**
 * How long each lock that stops traffic lasts, in statements: from the one that took it to the
 * last that ran while it was held (its transaction keeps it). Index locks are left out: their
 * table's lock is the one traffic meets.
 */
export function lockWindows(statements: readonly StatementTrace[], findings: readonly Finding[], sizeOf: SizeLookup): LockWindow[] {
  const windows: LockWindow[] = [];
  for (const statement of statements) {
    for (const lock of statement.locks.filter((l) => blocksTraffic(l.mode) && !l.relation.kind.includes('index'))) {
      const later = statements.filter((s) => s.holding.some((h) => h.takenBy === statement.index && h.mode === lock.mode && sameRelation(h.relation, lock.relation)));
      const to = (later.at(-1)?.index ?? statement.index) + 1;
      const work = findings
        .filter((f) => f.impact?.work && f.relation && sameRelation(f.relation, lock.relation) && f.statement + 1 >= statement.index + 1 && f.statement + 1 <= to)
        .map((f) => f.impact!.work!);
      const size = sizeOf(lock.relation);
      windows.push({
        relation: lock.relation,
        mode: lock.mode,
        blocks: lock.blocks,
        from: statement.index + 1,
        to,
        untilCommit: statement.ranIn !== 'outside a transaction',
        work: [...new Set(work)],
        ...(size ? { size } : {}),
      });
    }
  }
  return strongestPerRelationAndStart(windows);
}

/** A statement that takes SHARE then ACCESS EXCLUSIVE on one table has one window: the stronger. */
function strongestPerRelationAndStart(windows: LockWindow[]): LockWindow[] {
  const best = new Map<string, LockWindow>();
  for (const w of windows) {
    const key = `${w.relation.schema}.${w.relation.name}#${w.from}`;
    const other = best.get(key);
    if (!other || strength(w.mode) > strength(other.mode)) best.set(key, w);
  }
  return [...best.values()];
}

function sameRelation(a: { schema: string; name: string }, b: { schema: string; name: string }): boolean {
  return a.schema === b.schema && a.name === b.name;
}
