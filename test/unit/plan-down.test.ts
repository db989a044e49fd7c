import { describe, expect, it } from 'vitest';
import { planDown, type JournalStep } from '../../src/plan/plan-down.js';
import { readEngineStatus, type EngineStatus } from '../../src/status/engine-status.js';
import { memoryAdapter } from '../helpers/memory-adapter.js';

const noDb = { query: async () => ({ rows: [], rowCount: 0 }) };
const hints = { rollbackHint: (engine: string, status: { id: string }) => `recipe for ${engine} ${status.id}` };

async function fixture(): Promise<EngineStatus[]> {
  const auth = memoryAdapter('auth', [{ id: '1_users' }, { id: '2_sessions', down: true }], { applied: ['1_users', '2_sessions'] });
  const cms = memoryAdapter(
    'cms',
    [
      { id: '10_posts', down: true },
      { id: '20_tags', down: true },
    ],
    { applied: ['10_posts', '20_tags'] },
  );
  return Promise.all([auth, cms].map((a) => readEngineStatus(a, noDb)));
}

// Run 1 applied auth:1_users; run 2 applied the rest across both engines.
const journal: JournalStep[] = [
  { runId: 2, engine: 'auth', id: '2_sessions' },
  { runId: 2, engine: 'cms', id: '10_posts' },
  { runId: 2, engine: 'cms', id: '20_tags' },
  { runId: 1, engine: 'auth', id: '1_users' },
];

describe('planDown', () => {
  it('undoes the last up run across engines, newest step first', async () => {
    const plan = planDown(await fixture(), journal, {}, hints);
    expect(plan.steps.map((s) => `${s.engine}:${s.id}`)).toEqual(['cms:20_tags', 'cms:10_posts', 'auth:2_sessions']);
    expect(plan.stop).toBeUndefined();
  });

  it('stops at the first irreversible step, lists what stays and gives the recipe', async () => {
    const j: JournalStep[] = [
      { runId: 1, engine: 'auth', id: '1_users' },
      { runId: 1, engine: 'auth', id: '2_sessions' },
      { runId: 1, engine: 'cms', id: '10_posts' },
    ];
    const statuses = await fixture();
    const plan = planDown(statuses, j, {}, hints);
    expect(plan.steps.map((s) => s.id)).toEqual(['10_posts', '2_sessions']);
    expect(plan.stop).toMatchObject({ engine: 'auth', id: '1_users', reason: 'it has no down file', hint: 'recipe for auth 1_users' });
    expect(plan.stop!.leftInPlace).toEqual([{ engine: 'auth', id: '1_users' }]);
    expect(plan.refusals).toEqual([]);
  });

  it('--strict refuses the whole down when any step is irreversible', async () => {
    const j: JournalStep[] = [
      { runId: 1, engine: 'auth', id: '1_users' },
      { runId: 1, engine: 'cms', id: '10_posts' },
    ];
    const plan = planDown(await fixture(), j, { strict: true }, hints);
    expect(plan.refusals).toHaveLength(1);
    expect(plan.refusals[0]!.message).toContain('--strict');
  });

  it('skips runs whose steps were all reverted already and takes the previous run', async () => {
    const statuses = await fixture();
    // Pretend run 2 was already rolled back: its migrations are pending now.
    for (const engine of statuses) {
      for (const m of engine.migrations) if (['2_sessions', '10_posts', '20_tags'].includes(m.id)) m.state = 'pending';
    }
    const plan = planDown(statuses, journal, {}, hints);
    expect(plan.steps).toEqual([]);
    expect(plan.stop?.id).toBe('1_users');
  });

  it('an engine without down migrations stops at once with its hint', async () => {
    const prismaLike = memoryAdapter('prisma', [{ id: 'a' }], { applied: ['a'], capabilities: { rollback: 'none' } });
    const statuses = [await readEngineStatus(prismaLike, noDb)];
    const plan = planDown(statuses, [{ runId: 1, engine: 'prisma', id: 'a' }], {}, hints);
    expect(plan.steps).toEqual([]);
    expect(plan.stop?.reason).toContain('has no down migrations');
  });

  it('--engine --steps rolls back within one engine', async () => {
    const plan = planDown(await fixture(), [], { engine: 'cms', steps: 2 }, hints);
    expect(plan.steps.map((s) => s.id)).toEqual(['20_tags', '10_posts']);
    const one = planDown(await fixture(), [], { engine: 'auth' }, hints);
    expect(one.steps.map((s) => s.id)).toEqual(['2_sessions']);
  });

  it('rejects --steps without --engine, bad step counts and unknown engines', async () => {
    const statuses = await fixture();
    expect(() => planDown(statuses, [], { steps: 2 }, hints)).toThrow(/--steps needs --engine/);
    expect(() => planDown(statuses, [], { engine: 'cms', steps: 0 }, hints)).toThrow(/at least 1/);
    expect(() => planDown(statuses, [], { engine: 'zzz' }, hints)).toThrow(/Unknown engine "zzz"/);
  });

  it('with no journal there is nothing to undo', async () => {
    const plan = planDown(await fixture(), [], {}, hints);
    expect(plan.steps).toEqual([]);
    expect(plan.stop).toBeUndefined();
    expect(plan.warnings.join(' ')).toContain('down --engine NAME --steps N');
  });
});
