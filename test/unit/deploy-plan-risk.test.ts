import { describe, expect, it } from 'vitest';
import { assessFinding, migrationRisk, overallRisk, sizeLookup } from '../../src/deploy-plan/risk.js';
import type { Finding, MigrationTrace, RelationSize } from '../../src/deploy-plan/types.js';

/** Risk is pure: findings and catalog sizes in, levels and sentences out. */
const rewrite: Finding = {
  code: 'PM402',
  name: 'column-type-change',
  level: 'medium',
  baseLevel: 'medium',
  statement: 0,
  relation: { schema: 'public', name: 'events' },
  message: 'changes public.events.amount from integer to bigint, rewriting the table',
  safer: 'add a column',
  basis: 'observed',
  impact: { blocks: { reads: true, writes: true }, mode: 'AccessExclusiveLock', work: 'rewrite' },
};
const indexBuild: Finding = {
  ...rewrite,
  code: 'PM101',
  name: 'index-without-concurrently',
  impact: { blocks: { reads: false, writes: true }, mode: 'ShareLock', work: 'index build' },
};
const size = (rows: number, totalBytes = rows * 100): RelationSize => ({ schema: 'public', name: 'events', exists: true, kind: 'table', rows, totalBytes });
const assess = (finding: Finding, s?: RelationSize) => assessFinding(finding, sizeLookup(s ? [s] : []));

describe('assessFinding', () => {
  it('a rewrite under ACCESS EXCLUSIVE follows the table: low, medium, high, critical', () => {
    expect([100, 50_000, 300_000, 48_000_000].map((rows) => assess(rewrite, size(rows)).level)).toEqual(['low', 'medium', 'high', 'critical']);
  });

  it('bytes count too: few rows but wide ones', () => {
    expect(assess(rewrite, size(500, 5 * 2 ** 30)).level).toBe('critical');
  });

  it('a lock that stops only writes is one tier lighter than one that stops reads too', () => {
    expect(assess(indexBuild, size(300_000)).level).toBe('medium');
    expect(assess(rewrite, size(300_000)).level).toBe('high');
  });

  it('says what is blocked, for how long, with the sizes', () => {
    expect(assess(rewrite, size(48_000_000, 12 * 2 ** 30)).risk).toBe('rewrites public.events (≈48 M rows, 12 GB) under ACCESS EXCLUSIVE: blocks every read and write for the whole rewrite');
  });

  it('keeps the rule level when the size is unknown, and is low on a table the deploy creates', () => {
    expect(assess(rewrite).level).toBe('medium');
    expect(assess(rewrite, { schema: 'public', name: 'events', exists: false }).level).toBe('low');
  });

  it('a required column without default is critical on a table with rows, low on an empty one', () => {
    const required: Finding = { ...rewrite, code: 'PM404', impact: { blocks: { reads: true, writes: true }, mode: 'AccessExclusiveLock', failsWithRows: true } };
    expect(assess(required, size(10)).level).toBe('critical');
    expect(assess(required, size(10)).risk).toContain('fails on the live database');
    expect(assess(required, size(0)).level).toBe('low');
  });

  it('leaves findings without work that scales at their own level (a rename is high at any size)', () => {
    const rename: Finding = { ...rewrite, code: 'PM601', level: 'high', baseLevel: 'high' };
    delete (rename as Partial<Finding>).impact;
    expect(assess(rename, size(5)).level).toBe('high');
  });
});

describe('migrationRisk', () => {
  const trace = (failed = false): MigrationTrace => ({
    engine: 'sql',
    id: '0002',
    transactional: true,
    outcome: failed ? 'failed' : 'ok',
    committed: false,
    notes: [],
    foreignKeysWithoutIndex: [],
    traceMs: 1,
    observeMs: 1,
    observations: 2,
    statements: failed
      ? [
          {
            index: 0,
            statement: { sql: 'ALTER TABLE x', line: 3 },
            shape: { type: 'AlterTableStmt', node: {} },
            outcome: 'failed',
            error: { message: 'column "plan" contains null values' },
            locks: [],
            holding: [],
          },
        ]
      : [],
  });

  it('is the worst counted finding, with its sentence; ignored and info findings do not count', () => {
    const findings = [assess(rewrite, size(48_000_000)), { ...assess(rewrite, size(48_000_000)), ignored: { reason: 'r', scope: 'statement' as const } }];
    expect(migrationRisk(trace(), findings)).toEqual({ level: 'critical', summary: expect.stringMatching(/^PM402 rewrites public\.events/) });
    expect(migrationRisk(trace(), [findings[1]!]).level).toBe('low');
  });

  it('a migration that fails in the trace is critical, and says where', () => {
    expect(migrationRisk(trace(true), [])).toEqual({ level: 'critical', summary: 'fails at statement 1 (line 3): column "plan" contains null values' });
  });

  it('the deploy takes its worst migration', () => {
    const risk = overallRisk([
      { engine: 'prisma', id: 'a', risk: { level: 'medium', summary: 'm' } },
      { engine: 'sql', id: 'b', risk: { level: 'high', summary: 'h' } },
    ]);
    expect(risk).toEqual({ level: 'high', summary: 'sql b: h' });
  });
});
