import { describe, expect, it } from 'vitest';
import type { DiscoveredMigration, HistoryEntry } from '../../src/adapter/contract.js';
import type { DrizzleHistoryMeta, DrizzleHistoryRow } from '../../adapters/drizzle/drizzle-history.js';
import { nullCreatedAtProblems, reconcileJournal } from '../../adapters/drizzle/drizzle-reconcile.js';
import type { DrizzleMigrationMeta } from '../../adapters/drizzle/drizzle-migration.js';

const migration = (id: string, when: number, checksum = `h-${id}`): DiscoveredMigration<DrizzleMigrationMeta> => ({
  id,
  path: `/m/${id}.sql`,
  checksum,
  hasDown: false,
  transactional: true,
  meta: { format: 'journal', when, text: '', chunks: [] },
});
const row = (id: string, created_at: number | null, hash: string, matchedBy?: DrizzleHistoryMeta['matchedBy'], expectedWhen?: number): HistoryEntry => {
  const raw: DrizzleHistoryRow = { id: 1, hash, created_at };
  return { id, state: 'applied', checksum: hash, meta: { row: raw, ...(matchedBy ? { matchedBy } : {}), ...(expectedWhen !== undefined ? { expectedWhen } : {}) } };
};

describe('drizzle reconcile (drizzle-kit 0.x journal)', () => {
  it("applies drizzle's rule and reports what it hides", () => {
    const disk = [migration('a', 100), migration('b', 200), migration('late', 150), migration('c', 300)];
    const history = [row('a', 100, 'h-a', 'created_at'), row('b', 200, 'edited', 'created_at'), row('created_at=50 (row 9)', 50, 'x')];
    const states = reconcileJournal(disk, history, 'app').map((s) => [s.id, s.state]);
    expect(states).toEqual([
      ['a', 'applied'],
      ['b', 'modified'],
      ['late', 'unreachable'],
      ['c', 'pending'],
      ['created_at=50 (row 9)', 'missing'],
    ]);
  });

  it('a row tied only by hash is applied when drizzle would skip it, modified when drizzle would run it again', () => {
    const disk = [migration('a', 100), migration('b', 500)];
    const history = [row('a', 90, 'h-a', 'hash'), row('b', 200, 'h-b', 'hash')];
    expect(reconcileJournal(disk, history, 'app').map((s) => s.state)).toEqual(['applied', 'modified']);
  });

  it('an empty history makes everything pending; NULL created_at rows are a problem with the repair', () => {
    expect(reconcileJournal([migration('a', 1)], [], 'app').map((s) => s.state)).toEqual(['pending']);
    const problems = nullCreatedAtProblems([row('a', null, 'h-a', 'hash', 100)], 'drizzle.__drizzle_migrations');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.fix).toContain('SET created_at = 100 WHERE id = 1');
  });
});
