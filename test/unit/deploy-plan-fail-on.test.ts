import { describe, expect, it } from 'vitest';
import { failOn, parseFailOnLevel } from '../../src/deploy-plan/fail-on.js';
import type { DeployPlanDocument, Finding, MigrationPlan } from '../../src/deploy-plan/types.js';

/** `--fail-on LEVEL` is a pure function of the plan document. */
const finding = (code: string, level: Finding['level'], ignored = false): Finding => ({
  code,
  name: code,
  level,
  baseLevel: level,
  statement: 0,
  message: code,
  safer: 's',
  basis: 'observed',
  ...(ignored ? { ignored: { reason: 'lookup table', scope: 'statement' as const } } : {}),
});
const migration = (id: string, findings: Finding[], outcome: 'ok' | 'failed' = 'ok'): MigrationPlan => ({
  engine: 'sql',
  id,
  transactional: true,
  hasDown: false,
  rollback: { strategy: 'none' },
  objects: { created: [], altered: [], dropped: [] },
  risk: { level: outcome === 'failed' ? 'critical' : 'low', summary: outcome === 'failed' ? 'fails at statement 1: boom' : '' },
  trace: { outcome, committed: false, notes: [], ms: 1 },
  lockWindows: [],
  findingCount: findings.length,
  statements: [{ number: 1, sql: 'x', outcome: 'ran', locks: [], rewrites: [], findings }],
});
const plan = (...migrations: MigrationPlan[]): DeployPlanDocument => ({
  version: 1,
  command: 'plan',
  risk: { level: 'low', summary: '' },
  findings: { total: 0, ignored: 0, byLevel: { info: 0, low: 0, medium: 0, high: 0, critical: 0 } },
  migrations,
});

describe('failOn', () => {
  it('fails (exit 4) when a counted finding reaches the level, listing the reasons worst first', () => {
    const verdict = failOn(plan(migration('a', [finding('PM101', 'medium'), finding('PM501', 'high'), finding('PM805', 'info')])), 'medium');
    expect(verdict).toMatchObject({ fail: true, exitCode: 4 });
    expect(verdict.reasons.map((r) => [r.code, r.migration])).toEqual([
      ['PM501', 'a'],
      ['PM101', 'a'],
    ]);
  });

  it('passes when every finding is below the level', () => {
    expect(failOn(plan(migration('a', [finding('PM101', 'medium')])), 'high')).toMatchObject({ fail: false, exitCode: 0, reasons: [] });
  });

  it('never counts an ignored finding, even a critical one', () => {
    expect(failOn(plan(migration('a', [finding('PM402', 'critical', true)])), 'low').fail).toBe(false);
  });

  it('fails on a migration that fails in the trace, whatever its findings', () => {
    expect(failOn(plan(migration('a', [], 'failed')), 'critical')).toMatchObject({
      fail: true,
      exitCode: 4,
      failedMigrations: [{ engine: 'sql', id: 'a', summary: 'fails at statement 1: boom' }],
    });
  });

  it('parses the option and refuses anything else', () => {
    expect(parseFailOnLevel(' High ')).toBe('high');
    expect(() => parseFailOnLevel('info')).toThrow(/low, medium, high or critical/);
  });
});
