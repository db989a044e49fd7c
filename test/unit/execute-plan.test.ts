import { describe, expect, it } from 'vitest';
import type { MigrationAdapter, Queryable } from '../../src/adapter/contract.js';
import { Journal } from '../../src/journal/journal.js';
import { planUp } from '../../src/plan/plan-up.js';
import { executePlan, type ExecuteContext } from '../../src/run/execute-plan.js';
import { readEngineStatus } from '../../src/status/engine-status.js';
import { memoryAdapter, memoryStatement } from '../helpers/memory-adapter.js';
import { StepTransaction } from '../../src/run/step-transaction.js';
import { prepareSqlSteps, SESSION_RESET } from '../../src/run/step-pipeline.js';

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
      // The closing statements and COMMIT travel together in one query.
      if (/;\s*COMMIT\s*$/.test(text)) queries.push('COMMIT');
      return { rows: [{ locked: true } as R], rowCount: 1 };
    },
  };
}

/** Plan `up` for `adapters` on `db` and execute it, every connection being `db`; `extra` overrides the context. */
async function planAndExecute(db: Queryable, adapters: MigrationAdapter[], extra: Partial<ExecuteContext> = {}) {
  const map = new Map(adapters.map((a) => [a.name, a]));
  const plan = planUp(await Promise.all(adapters.map((a) => readEngineStatus(a, db))));
  const prepared = extra.prepared ?? (await prepareSqlSteps(plan.steps, map)).prepared;
  return executePlan(plan.steps, {
    adapters: map,
    engineDb: async () => db,
    engineUrl: () => 'postgres://x',
    lockDb: db,
    lockUrl: 'postgres://x',
    lockTimeoutSeconds: 1,
    journal: new Journal('polymigrate'),
    journalDb: db,
    runId: 1,
    prepared,
    events: {},
    ...extra,
  });
}

async function run(adapters: MigrationAdapter[]) {
  const db = recordingDb();
  const results = await planAndExecute(db, adapters, { prepared: new Map() });
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
    // Journal rows for the two steps that ran (the applied one's inside its transaction), none for the others.
    expect(db.texts.filter((t) => t.includes('INSERT INTO "polymigrate"."steps"'))).toHaveLength(2);
  });

  it("takes and releases an engine's extra lock keys around its steps", async () => {
    const a = memoryAdapter('a', [{ id: '1' }], { capabilities: { lockKeys: [72707369n] } });
    const { db } = await run([a]);
    expect(db.texts.filter((t) => t.includes('pg_try_advisory_lock') || t.includes('pg_advisory_unlock'))).toHaveLength(2);
  });

  it('commits the journal row and the session reset inside a transactional step, and resets after a bare one', async () => {
    const a = memoryAdapter('a', [{ id: '1' }, { id: '2', transactional: false }]);
    const { db } = await run([a]);
    const commit = db.texts.find((t) => t.endsWith('COMMIT'))!;
    expect(commit).toMatch(/^SET SESSION AUTHORIZATION DEFAULT;\n[^]*RESET ALL;[^]*INSERT INTO "polymigrate"\."steps" [^]*'a', '1', 'up', 'applied'[^]*;\nCOMMIT$/);
    // The bare step: its statement, then the reset on its own, then its journal row.
    const bare = db.texts.indexOf(memoryStatement('apply', '2'));
    expect(db.texts[bare + 1]).toBe(SESSION_RESET.join(';\n'));
    expect(db.texts[bare + 2]).toMatch(/^INSERT INTO "polymigrate"\."steps"/);
  });
});

describe('StepTransaction', () => {
  function recording() {
    const texts: string[] = [];
    const db: Queryable = {
      async query(text: string) {
        texts.push(text);
        return { rows: [], rowCount: 0 };
      },
    };
    return { db, texts };
  }

  it("sends BEGIN just before the engine's first query, then commits the closing statements inside it", async () => {
    const { db, texts } = recording();
    const tx = new StepTransaction(db);
    await tx.connection.query('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
    await tx.connection.query('SELECT 1');
    await tx.commit(['INSERT INTO journal VALUES (1)']);
    expect(texts).toEqual(['BEGIN', 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', 'SELECT 1', 'INSERT INTO journal VALUES (1);\nCOMMIT']);
    await expect(tx.connection.query('SELECT 2')).rejects.toThrow(/after the step's transaction ended/);
  });

  it('sends the closing statements alone when the engine sent nothing, and rolls back only an open transaction', async () => {
    const { db, texts } = recording();
    const idle = new StepTransaction(db);
    await idle.commit(['INSERT INTO journal VALUES (1)']);
    await idle.rollback();
    const open = new StepTransaction(db);
    await open.connection.query('SELECT 1');
    await open.rollback();
    expect(texts).toEqual(['INSERT INTO journal VALUES (1)', 'BEGIN', 'SELECT 1', 'ROLLBACK']);
  });
});

/**
 * Like PostgreSQL on one connection: queries are answered in the order sent, each a moment later;
 * a failing statement leaves the transaction aborted, and every later query fails until ROLLBACK.
 * `log` gets "sent X" for each step query as it is sent (X: the step's id).
 */
function serverLikeDb(failing: RegExp | undefined, log: string[]) {
  const db = recordingDb();
  const recordQuery = db.query.bind(db);
  let aborted = false;
  let chain = Promise.resolve();
  const query = async <R extends Record<string, unknown> = Record<string, unknown>>(text: string) => {
    const id = /SELECT 'script (\w+)'/.exec(text)?.[1];
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
    chain = answer.then(
      () => undefined,
      () => undefined,
    );
    return answer;
  };
  return Object.assign(db, { query });
}

/** An SQL engine of memory migrations: each step's script is `SELECT 'script <id>'`. */
function sqlMemoryAdapter(name: string, ids: string[]): MigrationAdapter {
  const base = memoryAdapter(
    name,
    ids.map((id) => ({ id })),
  );
  return {
    ...base,
    runner: {
      granularity: 'sql',
      ownTransactions: 'atomic-only',
      script: (migration) => ({ source: { file: migration.path, text: `SELECT 'script ${migration.id}'`, lineOffset: 0 } }),
      history: async (migration) => ({ done: `INSERT INTO history VALUES ('${migration.id}')` }),
    },
  };
}

function runSql(db: Queryable, adapter: MigrationAdapter, log: string[]) {
  return planAndExecute(db, [adapter], { events: { stepStarted: (s) => log.push(`start ${s.id}`), stepFinished: (r) => log.push(`${r.status} ${r.id}`) } });
}

describe('executePlan with an SQL engine (the step protocol, pipelined)', () => {
  it("sends the next step's query before the running one answers; it first checks, in a transaction of its own, that the one before committed", async () => {
    const log: string[] = [];
    const db = serverLikeDb(undefined, log);
    const results = await runSql(db, sqlMemoryAdapter('a', ['1', '2', '3']), log);
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    expect(log).toEqual(['sent 1', 'start 1', 'sent 2', 'applied 1', 'start 2', 'sent 3', 'applied 2', 'start 3', 'applied 3']);
    const steps = db.texts.filter((t) => t.includes("SELECT 'script "));
    // The first step's transaction starts with its own script: BEGIN, then nothing of polymigrate's.
    expect(steps[0]).toMatch(/^BEGIN;\nSELECT 'script 1'\n;\nSET SESSION AUTHORIZATION DEFAULT;[^]*INSERT INTO history VALUES \('1'\);\nINSERT INTO "polymigrate"\."steps" [^]*;\nCOMMIT$/);
    for (const i of [1, 2]) {
      expect(steps[i]).toMatch(
        new RegExp(
          `^BEGIN;\\nSELECT 1 / \\(SELECT count\\(\\*\\)::integer FROM "polymigrate"\\."steps" WHERE run_id = 1 AND seq = ${i}\\) AS previous_step_committed;\\nCOMMIT;\\nBEGIN;\\nSELECT 'script ${i + 1}'\\n;`,
        ),
      );
    }
  });

  it('after a failed step, the query queued behind it runs nothing, is not run, and nothing more is sent', async () => {
    const log: string[] = [];
    const db = serverLikeDb(/SELECT 'script 2'/, log);
    const results = await runSql(db, sqlMemoryAdapter('a', ['1', '2', '3', '4']), log);
    expect(results.map((r) => `${r.id}:${r.status}`)).toEqual(['1:applied', '2:failed', '3:not-run', '4:not-run']);
    expect(results[1]!.error?.message).toMatch(/^step 2 failed \(at \/memory\/a\/2\.sql\)$/);
    expect(log.filter((l) => l.startsWith('sent'))).toEqual(['sent 1', 'sent 2', 'sent 3']);
    expect(db.texts.filter((t) => t === 'ROLLBACK').length).toBeGreaterThanOrEqual(1);
    // Step 2's failure is journaled on its own; nothing of step 3.
    expect(db.texts.filter((t) => t.startsWith('INSERT INTO "polymigrate"."steps"'))).toHaveLength(1);
  });
});

/** A batch engine of memory migrations that logs each migration it runs; `pauses`: it honours ctx.afterStep. */
function batchMemoryAdapter(name: string, ids: string[], log: string[], pauses: boolean, failing?: string): MigrationAdapter {
  const base = memoryAdapter(
    name,
    ids.map((id) => ({ id })),
  );
  return {
    ...base,
    runner: {
      granularity: 'batch',
      ...(pauses ? { pausesBetweenSteps: true } : {}),
      async applyBatch(migrations, ctx) {
        log.push(`batch ${migrations.map((m) => m.id).join(',')}`);
        const results = [];
        for (const [i, migration] of migrations.entries()) {
          if (migration.id === failing) {
            results.push({ id: migration.id, ok: false, durationMs: 0, error: new Error(`${migration.id} broke`) });
            break;
          }
          log.push(`commit ${migration.id}`);
          results.push({ id: migration.id, ok: true, durationMs: 0 });
          if (i < migrations.length - 1) await ctx.afterStep?.(migration.id);
        }
        return results;
      },
    },
  };
}

function runWithHook(adapters: MigrationAdapter[], afterStep: (step: { engine: string; id: string }) => Promise<void>) {
  return planAndExecute(recordingDb(), adapters, { afterStep });
}

describe('executePlan with afterStep (the shadow replay looks at the database between steps)', () => {
  it('runs the hook after each committed step of an engine that runs its own steps, before the next one starts', async () => {
    const a = memoryAdapter('a', [{ id: '1' }, { id: '2' }]);
    const results = await runWithHook([a], async (step) => {
      a.calls.push(`hook ${step.engine}:${step.id}`);
    });
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(a.calls).toEqual(['apply 1 tx=true', 'hook a:1', 'apply 2 tx=true', 'hook a:2']);
  });

  it("does not pipeline SQL steps: each step's query is sent only after the hook of the one before", async () => {
    const log: string[] = [];
    const db = serverLikeDb(undefined, log);
    const results = await planAndExecute(db, [sqlMemoryAdapter('a', ['1', '2', '3'])], {
      afterStep: async (step) => {
        log.push(`hook ${step.id}`);
      },
    });
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    expect(log).toEqual(['sent 1', 'hook 1', 'sent 2', 'hook 2', 'sent 3', 'hook 3']);
  });

  it('gives a batch engine that cannot pause its steps one per call, with the hook between', async () => {
    const log: string[] = [];
    const b = batchMemoryAdapter('b', ['x', 'y'], log, false);
    await runWithHook([b], async (step) => {
      log.push(`hook ${step.id}`);
    });
    expect(log).toEqual(['batch x', 'commit x', 'hook x', 'batch y', 'commit y', 'hook y']);
  });

  it('gives a batch engine that pauses its steps in one call: it runs the hook between them, the core after the last', async () => {
    const log: string[] = [];
    const b = batchMemoryAdapter('b', ['x', 'y', 'z'], log, true);
    const results = await runWithHook([b], async (step) => {
      log.push(`hook ${step.id}`);
    });
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    expect(log).toEqual(['batch x,y,z', 'commit x', 'hook x', 'commit y', 'hook y', 'commit z', 'hook z']);
  });

  it('runs no hook for a failed step, and none after it', async () => {
    const log: string[] = [];
    const b = batchMemoryAdapter('b', ['x', 'y', 'z'], log, false, 'y');
    const results = await runWithHook([b], async (step) => {
      log.push(`hook ${step.id}`);
    });
    expect(results.map((r) => `${r.id}:${r.status}`)).toEqual(['x:applied', 'y:failed', 'z:not-run']);
    expect(log).toEqual(['batch x', 'commit x', 'hook x', 'batch y']);
  });

  it("ends the run with the hook's error, for every kind of runner, and starts nothing after it", async () => {
    const a = memoryAdapter('a', [{ id: '1' }, { id: '2' }]);
    await expect(
      runWithHook([a], async () => {
        throw new Error('tracker broke');
      }),
    ).rejects.toThrow('tracker broke');
    expect(a.calls).toEqual(['apply 1 tx=true']);
    const log: string[] = [];
    const b = batchMemoryAdapter('b', ['x', 'y'], log, true);
    await expect(
      runWithHook([b], async () => {
        throw new Error('tracker broke in a batch');
      }),
    ).rejects.toThrow('tracker broke in a batch');
    expect(log).toEqual(['batch x,y', 'commit x']);
  });
});
