import { describe, expect, it } from 'vitest';
import type { MigrationState, MigrationStatus } from '../../src/adapter/contract.js';
import { selectBaseline } from '../../src/baseline/baseline-selection.js';
import { ConfigError, RefusedError } from '../../src/errors.js';
import type { EngineStatus } from '../../src/status/engine-status.js';

function engine(states: Array<[string, MigrationState, boolean?]>): EngineStatus {
  const migrations: MigrationStatus[] = states.map(([id, state, onDisk = true]) => ({
    id,
    state,
    ...(onDisk ? { migration: { id, path: `/db/${id}.sql`, hasDown: false, transactional: true } } : {}),
  }));
  return { name: 'app', kind: 'sql', rollback: 'none', location: '/db', migrations, problems: [] };
}

describe('selectBaseline', () => {
  it('records what the history does not hold as applied, in order, and leaves recorded ones alone', () => {
    const status = engine([
      ['1', 'applied'],
      ['2', 'unreachable'],
      ['3', 'modified'],
      ['4', 'rolled-back'],
      ['5', 'pending'],
      ['0', 'missing', false],
    ]);
    const selection = selectBaseline(status);
    expect(selection.record.map((m) => m.id)).toEqual(['2', '4', '5']);
    expect(selection.alreadyApplied).toEqual(['1', '3']);
  });

  it('--to stops at that migration, inclusive', () => {
    const selection = selectBaseline(
      engine([
        ['1', 'pending'],
        ['2', 'pending'],
        ['3', 'pending'],
      ]),
      '2',
    );
    expect(selection.record.map((m) => m.id)).toEqual(['1', '2']);
  });

  it('a --to id that is not on disk is a usage error; a recorded-only (missing) id too', () => {
    expect(() => selectBaseline(engine([['1', 'pending']]), '9')).toThrow(ConfigError);
    expect(() =>
      selectBaseline(
        engine([
          ['1', 'pending'],
          ['0', 'missing', false],
        ]),
        '0',
      ),
    ).toThrow(/no migration "0" on disk/);
  });

  it('a failed migration refuses, naming resolve', () => {
    expect(() =>
      selectBaseline(
        engine([
          ['1', 'failed'],
          ['2', 'pending'],
        ]),
      ),
    ).toThrow(RefusedError);
    expect(() => selectBaseline(engine([['1', 'failed']]))).toThrow(/recorded as failed part-way/);
  });
});
