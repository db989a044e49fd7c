import { describe, expect, it } from 'vitest';
import type { MigrationState, MigrationStatus } from '../../src/adapter/contract.js';
import { renderStatus } from '../../src/cli/output/human-report.js';
import { makeStyle } from '../../src/cli/output/style.js';
import type { StatusReport } from '../../src/operations/status.js';
import type { EngineStatus } from '../../src/status/engine-status.js';

const plain = makeStyle(false);

function migration(i: number, state: MigrationState): MigrationStatus {
  const id = `${String(i).padStart(4, '0')}_m`;
  return {
    id,
    state,
    ...(state === 'pending' ? {} : { history: { id, state: state === 'failed' ? 'failed' : 'applied', appliedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) } }),
    ...(state === 'modified' ? { reason: 'the file changed after it was applied' } : {}),
  };
}

/** `count` migrations, applied unless `states` says otherwise for an index. */
function engine(name: string, count: number, states: Record<number, MigrationState> = {}): EngineStatus {
  const migrations = Array.from({ length: count }, (_, i) => migration(i + 1, states[i + 1] ?? 'applied'));
  return { name, kind: 'sql', rollback: 'down-file', location: `/project/${name}`, migrations, problems: [] };
}

function report(...engines: EngineStatus[]): StatusReport {
  return { upToDate: false, pending: 0, problems: 0, engines };
}

/** The listed migration lines: state and id, or the hidden-count line. */
function listed(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('  '))
    .map((line) => line.trim().split(/\s+/).slice(0, 2).join(' '));
}

describe('human status output', () => {
  it('lists every migration of an engine with 20 applied or fewer', () => {
    const text = renderStatus(report(engine('app', 20)), plain);
    expect(listed(text)).toHaveLength(20);
    expect(text).not.toContain('earlier migrations applied');
  });

  it('beyond 20 applied, lists the newest 10 applied after one line counting the rest', () => {
    const text = renderStatus(report(engine('app', 10_000)), plain);
    const lines = listed(text);
    expect(lines).toHaveLength(11);
    expect(text).toContain('  … 9,990 earlier migrations applied (status --all lists every one)');
    expect(lines[0]).toBe('… 9,990');
    expect(lines.slice(1)).toEqual(Array.from({ length: 10 }, (_, i) => `applied ${String(9_991 + i).padStart(4, '0')}_m`));
  });

  it('always lists every migration that is not applied, where it sits', () => {
    const states: Record<number, MigrationState> = {
      3: 'failed',
      12: 'modified',
      20: 'rolled-back',
      28: 'missing',
      29: 'pending',
      30: 'unreachable',
    };
    const lines = listed(renderStatus(report(engine('app', 40, states)), plain));
    // 34 applied: 24 hidden, counted where the first hidden one was (before 0003).
    expect(lines).toEqual([
      '… 24',
      'failed 0003_m',
      'modified 0012_m',
      'rolled-back 0020_m',
      'missing 0028_m',
      'pending 0029_m',
      'unreachable 0030_m',
      ...Array.from({ length: 10 }, (_, i) => `applied ${String(31 + i).padStart(4, '0')}_m`),
    ]);
  });

  it('shortens each engine on its own', () => {
    const lines = listed(renderStatus(report(engine('big', 25), engine('small', 5)), plain));
    expect(lines).toHaveLength(11 + 5);
    expect(lines[0]).toBe('… 15');
  });

  it('--all lists everything', () => {
    const text = renderStatus(report(engine('app', 10_000, { 500: 'modified' })), plain, { all: true });
    expect(listed(text)).toHaveLength(10_000);
    expect(text).not.toContain('earlier migrations applied');
  });

  it('keeps the columns aligned around the hidden-count line', () => {
    const text = renderStatus(report(engine('app', 30, { 25: 'rolled-back' })), plain);
    const rows = text.split('\n').filter((line) => /^\s+(applied|rolled-back)/.test(line));
    const idColumn = new Set(rows.map((line) => line.indexOf('_m') - 4));
    expect(rows).toHaveLength(11);
    expect(idColumn.size).toBe(1);
  });
});
