import { describe, expect, it } from 'vitest';
import type { MigrationAdapter, Queryable } from '../../src/adapter/contract.js';
import { Journal } from '../../src/journal/journal.js';
import { planUp } from '../../src/plan/plan-up.js';
import { executePlan } from '../../src/run/execute-plan.js';
import { readEngineStatus } from '../../src/status/engine-status.js';
import { memoryAdapter } from '../helpers/memory-adapter.js';

/** Records every statement; pretends every query succeeds (lock always granted). */
function recordingDb(): Queryable & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    async query<R>(text: string) {
      queries.push(text.trim().split(/\s+/).slice(0, 2).join(' '));
      // The journal row and COMMIT travel together in one query.
      if (/;\s*COMMIT\s*$/.test(text)) queries.push('COMMIT');
      return { rows: [{ locked: true } as R], rowCount: 1 };
    },
  };
}

async function run(adapters: MigrationAdapter[]) {
  const db = recordingDb();
  const statuses = await Promise.all(adapters.map((a) => readEngineStatus(a, db)));
  const plan = planUp(statuses);
  const results = await executePlan(plan.steps, {
    adapters: new Map(adapters.map((a) => [a.name, a])),
    engineDb: async () => db,
    engineUrl: () => 'postgres://x',
    lockDb: db,
    lockTimeoutSeconds: 1,
    journal: new Journal('polymigrate'),
    journalDb: db,
    runId: 1,
    events: {},
  });
  return { db, results };
}

describe('executePlan', () => {
  it('wraps each transactional step in BEGIN/COMMIT and runs non-transactional ones bare', async () => {
    const a = memoryAdapter('a', [{ id: '1' }, { id: '2', transactional: false }]);
    const { db, results } = await run([a]);
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(a.calls).toEqual(['apply 1 tx=true', 'apply 2 tx=false']);
    expect(db.queries.filter((q) => /^(BEGIN|COMMIT|ROLLBACK)/.test(q))).toEqual(['BEGIN', 'COMMIT']);
  });

  it('stops at the first failure, rolls it back, and reports later steps as not run', async () => {
    const a = memoryAdapter('a', [{ id: '1' }, { id: '2', failUp: 'syntax error at or near "SELEC"' }, { id: '3' }]);
    const b = memoryAdapter('b', [{ id: 'x' }]);
    const { db, results } = await run([a, b]);
    expect(results.map((r) => `${r.engine}:${r.id}:${r.status}`)).toEqual(['a:1:applied', 'a:2:failed', 'a:3:not-run', 'b:x:not-run']);
    expect(results[1]!.error?.message).toContain('SELEC');
    expect(db.queries.filter((q) => /^(BEGIN|COMMIT|ROLLBACK)/.test(q))).toEqual(['BEGIN', 'COMMIT', 'BEGIN', 'ROLLBACK']);
    expect(b.calls).toEqual([]);
    // Journal rows for the two steps that ran, none for the ones that did not.
    expect(db.queries.filter((q) => q.startsWith('INSERT INTO'))).toHaveLength(2);
  });

  it('takes and releases an engine\'s extra lock keys around its steps', async () => {
    const a = memoryAdapter('a', [{ id: '1' }], { capabilities: { lockKeys: [72707369n] } });
    const { db } = await run([a]);
    expect(db.queries.filter((q) => q.includes('pg_try_advisory_lock') || q.includes('pg_advisory_unlock'))).toHaveLength(2);
  });
});
