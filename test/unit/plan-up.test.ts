import { describe, expect, it } from 'vitest';
import type { MigrationStatus } from '../../src/adapter/contract.js';
import { planUp, parseTarget } from '../../src/plan/plan-up.js';
import type { EngineStatus } from '../../src/status/engine-status.js';
import { readEngineStatus } from '../../src/status/engine-status.js';
import { memoryAdapter } from '../helpers/memory-adapter.js';

const noDb = { query: async () => ({ rows: [], rowCount: 0 }) };

async function statusOf(...adapters: ReturnType<typeof memoryAdapter>[]): Promise<EngineStatus[]> {
  return Promise.all(adapters.map((a) => readEngineStatus(a, noDb)));
}

describe('planUp', () => {
  it('plans pending migrations engine by engine in config order', async () => {
    const auth = memoryAdapter('auth', [{ id: '1_a' }, { id: '2_b' }], { applied: ['1_a'] });
    const cms = memoryAdapter('cms', [{ id: '10_x' }, { id: '20_y' }]);
    const plan = planUp(await statusOf(auth, cms));
    expect(plan.steps.map((s) => `${s.engine}:${s.id}`)).toEqual(['auth:2_b', 'cms:10_x', 'cms:20_y']);
    expect(plan.refusals).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });

  it('refuses on a failed migration and names the resolve command', async () => {
    const auth = memoryAdapter('auth', [{ id: '1_a' }, { id: '2_b' }], {
      history: [{ id: '1_a', state: 'failed', checksum: 'sum-1_a' }],
    });
    const plan = planUp(await statusOf(auth));
    expect(plan.refusals).toHaveLength(1);
    expect(plan.refusals[0]!.fix).toContain('polymigrate resolve auth 1_a');
  });

  it('refuses on a modified migration unless --allow-modified', async () => {
    const auth = memoryAdapter('auth', [{ id: '1_a', checksum: 'new' }, { id: '2_b' }], {
      history: [{ id: '1_a', state: 'applied', checksum: 'old' }],
    });
    const statuses = await statusOf(auth);
    expect(statuses[0]!.migrations[0]!.state).toBe('modified');
    expect(planUp(statuses).refusals[0]!.message).toContain('edited after it was applied');
    const allowed = planUp(statuses, { allowModified: true });
    expect(allowed.refusals).toEqual([]);
    expect(allowed.warnings[0]).toContain('--allow-modified');
    expect(allowed.steps.map((s) => s.id)).toEqual(['2_b']);
  });

  it("refuses an unreachable migration with the engine's reason as the fix", () => {
    const migration = { id: '5_old', path: '/x', hasDown: false, transactional: true };
    const engine: EngineStatus = {
      name: 'drizzle',
      kind: 'drizzle',
      rollback: 'none',
      location: '/x',
      problems: [],
      migrations: [{ id: '5_old', state: 'unreachable', migration, reason: 'older than applied', fix: 'give it a newer when' } satisfies MigrationStatus],
    };
    const plan = planUp([engine]);
    expect(plan.refusals[0]!.fix).toBe('give it a newer when');
  });

  it('only refuses for engines it would run', async () => {
    const auth = memoryAdapter('auth', [{ id: '1_a' }], { history: [{ id: '1_a', state: 'failed' }] });
    const cms = memoryAdapter('cms', [{ id: '1_x' }]);
    const plan = planUp(await statusOf(auth, cms), { engines: ['cms'] });
    expect(plan.refusals).toEqual([]);
    expect(plan.steps.map((s) => s.id)).toEqual(['1_x']);
  });

  it('--to stops after the target and skips later engines', async () => {
    const auth = memoryAdapter('auth', [{ id: '1_a' }, { id: '2_b' }, { id: '3_c' }]);
    const cms = memoryAdapter('cms', [{ id: '1_x' }]);
    const plan = planUp(await statusOf(auth, cms), { to: parseTarget('auth:2_b') });
    expect(plan.steps.map((s) => s.id)).toEqual(['1_a', '2_b']);
  });

  it('--to with an unknown id or malformed target is a usage error', async () => {
    const auth = memoryAdapter('auth', [{ id: '1_a' }]);
    expect(() => planUp([], { to: { engine: 'nope', id: '1' } })).toThrow(/unknown engine "nope"/);
    await expect(statusOf(auth).then((s) => planUp(s, { to: { engine: 'auth', id: '9' } }))).rejects.toThrow(/no migration "9"/);
    expect(() => parseTarget('auth')).toThrow(/ENGINE:ID/);
  });

  it('warns about a pending migration older than an applied one, and about missing files', async () => {
    const auth = memoryAdapter('auth', [{ id: '1_a' }, { id: '2_b' }], {
      history: [
        { id: '2_b', state: 'applied', checksum: 'sum-2_b' },
        { id: '0_gone', state: 'applied' },
      ],
    });
    const plan = planUp(await statusOf(auth));
    expect(plan.steps.map((s) => s.id)).toEqual(['1_a']);
    expect(plan.warnings.join('\n')).toContain('missing');
    expect(plan.warnings.join('\n')).toContain('1_a sorts before the applied 2_b');
    expect(plan.refusals).toEqual([]);
  });

  it('treats a rolled-back migration as pending and notes non-transactional steps', async () => {
    const auth = memoryAdapter('auth', [{ id: '1_a', transactional: false }], {
      history: [{ id: '1_a', state: 'rolled-back' }],
    });
    const plan = planUp(await statusOf(auth));
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]!.note).toBe('outside a transaction');
  });

  it('unknown --engine is a usage error naming the configured engines', async () => {
    const auth = memoryAdapter('auth', [{ id: '1_a' }]);
    expect(() => planUp([], { engines: ['x'] })).toThrow(/Unknown engine "x"/);
    await expect(statusOf(auth).then((s) => planUp(s, { engines: ['cms'] }))).rejects.toThrow(/"auth"/);
  });
  describe('only (the shadow replay: exactly the ids a live database has applied)', () => {
    it('plans exactly the given ids per engine, in config and apply order, whatever order the sets list them in', async () => {
      const auth = memoryAdapter('auth', [{ id: '1_a' }, { id: '2_b' }, { id: '3_c' }]);
      const cms = memoryAdapter('cms', [{ id: '10_x' }, { id: '20_y' }]);
      const only = new Map([
        ['cms', new Set(['20_y', '10_x'])],
        ['auth', new Set(['3_c', '1_a'])],
      ]);
      const plan = planUp(await statusOf(auth, cms), { only });
      expect(plan.steps.map((s) => `${s.engine}:${s.id}`)).toEqual(['auth:1_a', 'auth:3_c', 'cms:10_x', 'cms:20_y']);
      expect(plan.refusals).toEqual([]);
    });

    it('gives an engine missing from the map no step, and skips ids that are not pending or not on disk', async () => {
      const auth = memoryAdapter('auth', [{ id: '1_a' }, { id: '2_b' }], { applied: ['1_a'] });
      const cms = memoryAdapter('cms', [{ id: '10_x' }]);
      const plan = planUp(await statusOf(auth, cms), { only: new Map([['auth', new Set(['1_a', '2_b', '9_gone'])]]) });
      expect(plan.steps.map((s) => `${s.engine}:${s.id}`)).toEqual(['auth:2_b']);
    });

    it('a file outside the set that cannot run refuses nothing; inside the set it still refuses', async () => {
      const auth = memoryAdapter('auth', [{ id: '1_a' }, { id: '2_bad' }]);
      const statuses = await statusOf(auth);
      statuses[0]!.migrations[1]!.migration!.invalid = 'CREATE INDEX CONCURRENTLY in a transaction';
      statuses[0]!.problems.push({ message: '2_bad cannot be applied', fix: 'fix it', migrationId: '2_bad' });
      const without = planUp(statuses, { only: new Map([['auth', new Set(['1_a'])]]) });
      expect(without.refusals).toEqual([]);
      expect(without.steps.map((s) => s.id)).toEqual(['1_a']);
      const withBad = planUp(statuses, { only: new Map([['auth', new Set(['1_a', '2_bad'])]]) });
      expect(withBad.refusals.map((r) => r.message)).toEqual(['2_bad cannot be applied']);
    });

    it('still refuses on an engine-wide problem and on a failed migration in the set, not on one outside it', async () => {
      const auth = memoryAdapter('auth', [{ id: '1_a' }, { id: '2_b' }], { history: [{ id: '2_b', state: 'failed' }] });
      const statuses = await statusOf(auth);
      expect(planUp(statuses, { only: new Map([['auth', new Set(['1_a'])]]) }).refusals).toEqual([]);
      expect(planUp(statuses, { only: new Map([['auth', new Set(['1_a', '2_b'])]]) }).refusals).toHaveLength(1);
      statuses[0]!.problems.push({ message: 'dev-push marker', fix: 'see docs' });
      expect(planUp(statuses, { only: new Map([['auth', new Set(['1_a'])]]) }).refusals.map((r) => r.message)).toEqual(['dev-push marker']);
    });
  });
});
