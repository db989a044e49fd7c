import { describe, expect, it } from 'vitest';
import type { MigrationAdapter, Queryable } from '../../src/adapter/contract.js';
import { Journal } from '../../src/journal/journal.js';
import { planUp } from '../../src/plan/plan-up.js';
import { executePlan } from '../../src/run/execute-plan.js';
import { readEngineStatus } from '../../src/status/engine-status.js';
import { memoryAdapter, memoryStatement } from '../helpers/memory-adapter.js';
import { StepTransaction } from '../../src/run/step-transaction.js';

/** Records every statement; pretends every query succeeds (lock always granted). */
function recordingDb(): Queryable & { queries: string[]; texts: string[] } {
  const queries: string[] = [];
  const texts: string[] = [];
  return {
    queries,
    texts,
    async query<R>(text: string) {
      texts.push(text);
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

  it('sends an enveloped step as one query (BEGIN, the engine\'s SQL, the journal row), then COMMIT', async () => {
    const a = memoryAdapter('a', [{ id: '1' }, { id: '2' }], { useEnvelope: true });
    const { db, results } = await run([a]);
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied']);
    const steps = db.texts.filter((t) => t.includes("SELECT 'apply "));
    expect(steps).toHaveLength(2);
    for (const [i, text] of steps.entries()) {
      expect(text).toMatch(new RegExp(`^BEGIN;\\n${memoryStatement('apply', String(i + 1))}\\n;\\nINSERT INTO "polymigrate"\\."steps" [^]*, 'a', '${i + 1}', 'up', 'applied', [^]*\\)$`));
      // COMMIT follows on its own: a process that dies mid-script never commits it.
      expect(db.texts[db.texts.indexOf(text) + 1]).toBe('COMMIT');
    }
    // Nothing else opens or closes a transaction, and no other journal write happens.
    expect(db.texts.filter((t) => !steps.includes(t) && /BEGIN|INSERT INTO/.test(t))).toEqual([]);
    expect(db.texts.filter((t) => t === 'COMMIT')).toHaveLength(2);
  });
});

/**
 * Like PostgreSQL on one connection: queries are answered in the order sent, each a moment later;
 * a failing statement leaves the transaction aborted, and every later query fails until ROLLBACK.
 * `log` gets "sent X" for each step query as it is sent (X: the memory migration's id).
 */
function serverLikeDb(failing: RegExp | undefined, log: string[]) {
  const db = recordingDb();
  const recordQuery = db.query.bind(db);
  let aborted = false;
  let chain = Promise.resolve();
  const query = async <R extends Record<string, unknown> = Record<string, unknown>>(text: string) => {
    const id = /SELECT 'apply (\w+)'/.exec(text)?.[1];
    if (id) log.push(`sent ${id}`);
    const answer = chain.then(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (text === 'ROLLBACK') aborted = false;
      else if (aborted) throw new Error('current transaction is aborted, commands ignored until end of transaction block');
      else if (failing?.test(text)) {
        aborted = true;
        throw new Error(`step ${id} failed`);
      }
      return recordQuery<R>(text);
    });
    chain = answer.then(() => undefined, () => undefined);
    return answer;
  };
  return Object.assign(db, { query });
}

async function runOn(db: Queryable & { queries: string[]; texts: string[] }, adapters: MigrationAdapter[], log: string[]) {
  const results = await executePlan(planUp(await Promise.all(adapters.map((a) => readEngineStatus(a, db)))).steps, {
    adapters: new Map(adapters.map((a) => [a.name, a])),
    engineDb: async () => db, engineUrl: () => 'postgres://x', lockDb: db, lockTimeoutSeconds: 1,
    journal: new Journal('polymigrate'), journalDb: db, journalDbGuarded: true, runId: 1,
    events: { stepStarted: (s) => log.push(`start ${s.id}`), stepFinished: (r) => log.push(`${r.status} ${r.id}`) },
  });
  return results;
}

describe('executePlan when the step session holds the step guard', () => {
  it('sends each enveloped step as one query that ends with its COMMIT, the next one queued behind it', async () => {
    const log: string[] = [];
    const a = memoryAdapter('a', [{ id: '1' }, { id: '2' }, { id: '3' }], { useEnvelope: true });
    const db = serverLikeDb(undefined, log);
    const results = await runOn(db, [a], log);
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    // Step 2 goes out before step 1 is recorded; it is reported as started once step 1 is done.
    expect(log).toEqual(['start 1', 'sent 1', 'sent 2', 'applied 1', 'start 2', 'sent 3', 'applied 2', 'start 3', 'applied 3']);
    const steps = db.texts.filter((t) => t.includes("SELECT 'apply "));
    expect(steps[0]).toMatch(new RegExp(`^BEGIN;\\n${memoryStatement('apply', '1')}\\n;\\nINSERT INTO "polymigrate"\\."steps" [^]*VALUES \\(1, 1, 'a', '1', 'up', 'applied', now\\(\\), [^]*\\)\\n;\\nCOMMIT$`));
    // A queued step first checks that the one before it committed.
    for (const i of [1, 2]) {
      expect(steps[i]).toMatch(new RegExp(`^BEGIN;\\nSELECT 1 / \\(SELECT count\\(\\*\\)::integer FROM "polymigrate"\\."steps" WHERE run_id = 1 AND seq = ${i}\\) AS previous_step_committed;\\n${memoryStatement('apply', String(i + 1))}\\n;[^]*COMMIT$`));
    }
    expect(db.texts.filter((t) => t === 'COMMIT' || t === 'ROLLBACK')).toEqual([]);
  });

  it('after a failed step, the query queued behind it runs nothing and the step is not run', async () => {
    const log: string[] = [];
    const a = memoryAdapter('a', [{ id: '1' }, { id: '2' }, { id: '3' }, { id: '4' }], { useEnvelope: true });
    const db = serverLikeDb(/SELECT 'apply 2'/, log);
    const results = await runOn(db, [a], log);
    expect(results.map((r) => `${r.id}:${r.status}`)).toEqual(['1:applied', '2:failed', '3:not-run', '4:not-run']);
    expect(results[1]!.error?.message).toBe('step 2 failed');
    // Step 3 had been sent behind step 2; step 4 never was.
    expect(log.filter((l) => l.startsWith('sent'))).toEqual(['sent 1', 'sent 2', 'sent 3']);
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start 1', 'start 2']);
    // Step 2's transaction rolled back, then its failure journaled on its own; nothing of step 3.
    expect(db.queries.filter((q) => q === 'ROLLBACK').length).toBeGreaterThanOrEqual(1);
    expect(db.texts.filter((t) => t.startsWith('INSERT INTO "polymigrate"."steps"'))).toHaveLength(1);
  });

  it('a step that does not go out as one query is waited for before the next one is sent', async () => {
    const log: string[] = [];
    const a = memoryAdapter('a', [{ id: '1' }, { id: '2' }]);
    const db = serverLikeDb(undefined, log);
    await runOn(db, [a], log);
    expect(log).toEqual(['start 1', 'sent 1', 'applied 1', 'start 2', 'sent 2', 'applied 2']);
    expect(db.queries.filter((q) => q === 'BEGIN' || q === 'COMMIT')).toEqual(['BEGIN', 'COMMIT', 'BEGIN', 'COMMIT']);
  });
});

describe('StepTransaction', () => {
  function failingDb(position?: string) {
    const texts: string[] = [];
    const db: Queryable = {
      async query(text: string) {
        texts.push(text);
        if (text.includes('SELEC ')) throw Object.assign(new Error('syntax error at or near "SELEC"'), position ? { position } : {});
        return { rows: [], rowCount: 0 };
      },
    };
    return { db, texts };
  }

  it('makes an error position relative to the engine\'s SQL and rolls the step back', async () => {
    const { db, texts } = failingDb('8'); // 'BEGIN;\n' is 7 characters, so the SQL's first character is 8
    const tx = new StepTransaction(db, { closing: 'INSERT INTO journal VALUES (1)' });
    const error = await tx.envelope.send('SELEC 1').then(() => undefined, (e: unknown) => e as { position?: string });
    expect(error?.position).toBe('1');
    await tx.rollback();
    expect(texts).toEqual(['BEGIN;\nSELEC 1\n;\nINSERT INTO journal VALUES (1)', 'ROLLBACK']);
  });

  it('opens before the first plain query, and then sends no second BEGIN in the envelope', async () => {
    const { db, texts } = failingDb();
    const tx = new StepTransaction(db, { closing: '' });
    await tx.connection.query('SET LOCAL x = 1');
    await tx.envelope.send('SELECT 1');
    await tx.commit();
    expect(texts).toEqual(['BEGIN', 'SET LOCAL x = 1', 'SELECT 1', 'COMMIT']);
    await expect(tx.connection.query('SELECT 2')).rejects.toThrow(/after the step committed/);
  });

  it('ends the envelope\'s query with COMMIT when told the session holds the step guard', async () => {
    const { db, texts } = failingDb();
    const tx = new StepTransaction(db, { closing: 'INSERT INTO journal VALUES (1)', commitInQuery: true });
    await tx.envelope.send('SELECT 1');
    await tx.commit();
    await tx.rollback();
    expect(texts).toEqual(['BEGIN;\nSELECT 1\n;\nINSERT INTO journal VALUES (1)\n;\nCOMMIT']);
  });

  it('commits the closing statements alone when the engine sent nothing', async () => {
    const { db, texts } = failingDb();
    const tx = new StepTransaction(db, { closing: 'INSERT INTO journal VALUES (1)' });
    await tx.commit();
    await tx.rollback();
    expect(texts).toEqual(['INSERT INTO journal VALUES (1)']);
  });
});
