import { describe, expect, it } from 'vitest';
import { clock, progressLine, truncate, type ProgressState } from '../../src/cli/output/progress-line.js';
import { leavesRecord, LIVE_PROGRESS_MIN_STEPS, wantsLiveProgress, type ProgressEnvironment } from '../../src/cli/output/progress-policy.js';
import { makeStyle } from '../../src/cli/output/style.js';
import type { StepResult } from '../../src/run/step-result.js';
import { registerSecret } from '../../src/secrets/secret-registry.js';

const plain = makeStyle(false);
const T0 = 1_000_000;

function state(overrides: Partial<ProgressState> = {}): ProgressState {
  return { total: 800, done: 312, current: { engine: 'prisma', id: '20260101000000_add_users' }, startedAt: T0, currentSince: T0 + 11_900, ...overrides };
}

describe('progressLine', () => {
  it('shows done/total, the bar from 100 columns, percent, elapsed, the estimate and the current migration', () => {
    expect(progressLine(state(), T0 + 12_000, 120, plain)).toBe('  312/800 [=======>            ]  39%  12s elapsed, ~18s left  prisma 20260101000000_add_users');
    expect(progressLine(state(), T0 + 12_000, 80, plain)).toBe('  312/800  39%  12s elapsed, ~18s left  prisma 20260101000000_add_users');
  });

  it('estimates nothing from the first steps, and says when a step has run for a second or more', () => {
    expect(progressLine(state({ done: 2 }), T0 + 400, 80, plain)).toContain('0s elapsed, estimating  prisma');
    expect(progressLine(state({ currentSince: T0 + 9_500 }), T0 + 12_000, 120, plain)).toMatch(/add_users {2}running 2s$/);
    expect(progressLine(state({ done: 799 }), T0 + 12_000, 80, plain)).toContain('under 1s left');
  });

  it('never reaches the last column, at any width, cutting the migration name first', () => {
    const long = state({ current: { engine: 'payload', id: `20260101000000_${'x'.repeat(200)}` }, currentSince: T0 });
    for (let columns = 1; columns <= 160; columns += 1) {
      const line = progressLine(long, T0 + 3_723_000, columns, plain);
      expect(line.length, `${columns} columns: ${line}`).toBeLessThan(columns);
      if (columns >= 80) expect(line).toMatch(/ payload \d\w*\.\.\. {2}running 1h 02m$/);
    }
  });

  it('counts characters beyond ASCII as two cells, so a wide name cannot wrap the line', () => {
    expect(truncate('迁移迁移迁移', 8)).toBe('迁移...');
    const line = progressLine(state({ current: { engine: 'app', id: '迁移'.repeat(40) } }), T0 + 12_000, 80, plain);
    const cells = [...line].reduce((n, c) => n + (c.charCodeAt(0) < 0x80 ? 1 : 2), 0);
    expect(cells).toBeLessThan(80);
  });

  it('masks a secret in the migration name like every other output', () => {
    registerSecret('pm-progress-s3cret');
    const line = progressLine(state({ current: { engine: 'app', id: '0001_pm-progress-s3cret' } }), T0 + 12_000, 120, plain);
    expect(line).not.toContain('pm-progress-s3cret');
    expect(line).toContain('app 0001_****');
  });

  it('colours only what the style colours', () => {
    const line = progressLine(state(), T0 + 12_000, 120, makeStyle(true));
    expect(line).toContain('\u001b[1m312/800\u001b[22m');
    expect(line.replace(/\u001b\[[0-9;]*m/g, '')).toBe(progressLine(state(), T0 + 12_000, 120, plain));
  });

  it('clock: whole seconds, then minutes, then hours', () => {
    expect([clock(999), clock(59_999), clock(65_000), clock(3_723_000)]).toEqual(['0s', '59s', '1m 05s', '1h 02m']);
  });
});

describe('wantsLiveProgress', () => {
  const terminal: ProgressEnvironment = { isTTY: true, env: { TERM: 'xterm-256color' }, json: false, logFormat: 'pretty' };
  const many = LIVE_PROGRESS_MIN_STEPS + 1;

  it('on a terminal, for more than 20 steps only', () => {
    expect(wantsLiveProgress(many, terminal)).toBe(true);
    expect(wantsLiveProgress(LIVE_PROGRESS_MIN_STEPS, terminal)).toBe(false);
  });

  it('never off a terminal, for JSON, with NO_COLOR, TERM=dumb or in CI', () => {
    expect(wantsLiveProgress(many, { ...terminal, isTTY: false })).toBe(false);
    expect(wantsLiveProgress(many, { ...terminal, json: true })).toBe(false);
    expect(wantsLiveProgress(many, { ...terminal, logFormat: 'json' })).toBe(false);
    expect(wantsLiveProgress(many, { ...terminal, env: { NO_COLOR: '1' } })).toBe(false);
    expect(wantsLiveProgress(many, { ...terminal, env: { TERM: 'dumb' } })).toBe(false);
    expect(wantsLiveProgress(many, { ...terminal, env: { CI: 'true' } })).toBe(false);
    // An empty NO_COLOR is no request (no-color.org), and CI=false is not CI.
    expect(wantsLiveProgress(many, { ...terminal, env: { NO_COLOR: '', CI: 'false' } })).toBe(true);
  });
});

describe('leavesRecord', () => {
  const result = (status: StepResult['status'], durationMs: number): StepResult => ({ engine: 'app', kind: 'sql', id: '0001_a', direction: 'up', status, durationMs });

  it('failed, interrupted and slow (1 s or more) steps stay; quick ones and steps not run do not', () => {
    expect(leavesRecord(result('failed', 3))).toBe(true);
    expect(leavesRecord(result('interrupted', 3))).toBe(true);
    expect(leavesRecord(result('applied', 1000))).toBe(true);
    expect(leavesRecord(result('reverted', 999))).toBe(false);
    expect(leavesRecord(result('not-run', 5000))).toBe(false);
  });
});
