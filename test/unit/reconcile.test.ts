import { describe, expect, it } from 'vitest';
import type { DiscoveredMigration } from '../../src/adapter/contract.js';
import { reconcileById } from '../../src/status/reconcile.js';

const file = (id: string, checksum = `c-${id}`): DiscoveredMigration => ({ id, path: `/m/${id}`, checksum, hasDown: false, transactional: true });

describe('reconcileById', () => {
  it('gives every state of the status model', () => {
    const statuses = reconcileById(
      [file('1'), file('2', 'changed'), file('3'), file('4'), file('5')],
      [
        { id: '1', state: 'applied', checksum: 'c-1' },
        { id: '2', state: 'applied', checksum: 'c-2' },
        { id: '3', state: 'failed' },
        { id: '4', state: 'rolled-back' },
        { id: '9', state: 'applied' },
      ],
    );
    expect(statuses.map((s) => [s.id, s.state])).toEqual([
      ['1', 'applied'],
      ['2', 'modified'],
      ['3', 'failed'],
      ['4', 'rolled-back'],
      ['5', 'pending'],
      ['9', 'missing'],
    ]);
  });

  it('a failed row wins over an older applied row of the same id; a newer applied row after rollback wins', () => {
    const failedLater = reconcileById(
      [file('1')],
      [
        { id: '1', state: 'applied' },
        { id: '1', state: 'failed' },
      ],
    );
    expect(failedLater[0]!.state).toBe('failed');
    const reapplied = reconcileById(
      [file('1')],
      [
        { id: '1', state: 'rolled-back' },
        { id: '1', state: 'applied' },
      ],
    );
    expect(reapplied[0]!.state).toBe('applied');
  });
});
