import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { forbidInOutput, REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

const SECRET = 'full-example-payload-secret-4821';

/**
 * The repository's own example (polymigrate.config.ts: Prisma → Drizzle → Payload → SQL on one
 * database) through the built CLI: up, the unified down, and up again. An up or down here loads
 * Payload and runs the other engines too; status loads none.
 */
describe('the full example project', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const cli = (...args: string[]) => runCli(args, { cwd: REPO_ROOT, env: { DATABASE_URL: db.url, PAYLOAD_SECRET: SECRET }, timeoutMs: budget(STEP_MS.payload + STEP_MS.cli) });
  const tables = async () =>
    (await query<{ t: string }>(db.url, "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('public','reporting') ORDER BY 1")).map(
      (r) => r.t,
    );

  beforeAll(async () => {
    forbidInOutput(SECRET);
    db = await createTestDatabase('full');
  });
  afterAll(async () => {
    await db.drop();
  });

  it(
    'up applies every engine in config order',
    async () => {
      const up = await cli('up', '--json');
      expect(up.code).toBe(0);
      const engines = [...new Set(up.json().results.map((r: any) => r.engine))];
      expect(engines).toEqual(['prisma', 'drizzle', 'payload', 'reporting']);
      expect(up.json().results.every((r: any) => r.status === 'applied')).toBe(true);
      const all = await tables();
      for (const t of ['public.User', 'public.events', 'public.daily_rollups', 'public.herbs', 'public.payload_migrations', 'reporting.kpi_snapshots']) {
        expect(all).toContain(t);
      }
      expect((await cli('status')).code).toBe(0);
    },
    testBudget({ payload: 1, cli: 2, query: 1 }),
  );

  it(
    "down reverts SQL, Payload and Drizzle's migration with a down file, then stops at Drizzle's first without one",
    async () => {
      const down = await cli('down', '--json');
      expect(down.code).toBe(0);
      const doc = down.json();
      expect(doc.results.map((r: any) => `${r.engine}:${r.status}`)).toEqual([
        'reporting:reverted',
        'reporting:reverted',
        'reporting:reverted',
        'reporting:reverted',
        'payload:reverted',
        'payload:reverted',
        'drizzle:reverted',
      ]);
      expect(doc.plan.stop).toMatchObject({ engine: 'drizzle', id: '0001_page_views', reason: 'it has no down file' });
      expect(doc.plan.stop.leftInPlace.map((l: any) => l.engine)).toEqual(['drizzle', 'drizzle', 'prisma', 'prisma', 'prisma']);
      const all = await tables();
      expect(all.filter((t) => t.startsWith('reporting.'))).toEqual([]);
      expect(all).not.toContain('public.herbs');
      expect(all).not.toContain('public.daily_rollups');
      expect(all).toContain('public.events');
      expect(all).toContain('public.User');
    },
    testBudget({ payload: 1, cli: 1, query: 1 }),
  );

  it(
    'up brings everything back',
    async () => {
      const up = await cli('up', '--json');
      expect(up.code).toBe(0);
      expect(up.json().results).toHaveLength(7);
      const status = await cli('status', '--json');
      expect(status.code).toBe(0);
      expect(status.json().engines.map((e: any) => e.migrations.every((m: any) => m.state === 'applied'))).toEqual([true, true, true, true]);
    },
    testBudget({ payload: 1, cli: 2 }),
  );
});
