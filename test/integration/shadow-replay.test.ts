import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load-config.js';
import { catalogSnapshot } from '../../src/testing/catalog-snapshot.js';
import { openShadow, SHADOW_DATA_SCHEMA, type Replay, type Shadow, type ShadowStepRef } from '../../src/shadow/shadow.js';
import { createTestDatabase, query } from '../helpers/database.js';
import { PAYLOAD_EXAMPLE_MIGRATIONS, PAYLOAD_TEST_SECRET } from '../helpers/payload-project.js';
import type { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { EXAMPLE_ENGINES, exampleProject } from '../helpers/shadow-project.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

const PRISMA = ['20260101120000_init_users_accounts', '20260108120000_sessions_verification_tokens', '20260115120000_audit_log'];
const DRIZZLE = ['0000_init', '0001_page_views', '0002_daily_rollups'];
const REPORTING = ['20260120000000_reporting_schema', '20260121000000_kpi_snapshots', '20260122000000_kpi_day_index', '20260123000000_daily_activity_view'];
const ALL = [
  ...PRISMA.map((id) => `prisma:${id}`),
  ...DRIZZLE.map((id) => `drizzle:${id}`),
  ...PAYLOAD_EXAMPLE_MIGRATIONS.map((id) => `payload:${id}`),
  ...REPORTING.map((id) => `reporting:${id}`),
];

const tablesOf = async (url: string) =>
  (await query<{ t: string }>(url, "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('public','reporting') ORDER BY 1")).map((r) => r.t);

/**
 * What an attribution tracker does with the hooks: after each migration, note it in the shadow's
 * own schema (which travels with the cache's templates).
 */
async function noteStep(step: ShadowStepRef, url: string): Promise<void> {
  await query(url, `CREATE SCHEMA IF NOT EXISTS ${SHADOW_DATA_SCHEMA}; CREATE TABLE IF NOT EXISTS ${SHADOW_DATA_SCHEMA}.noted (n serial, step text)`);
  await query(url, `INSERT INTO ${SHADOW_DATA_SCHEMA}.noted (step) VALUES ($1)`, [`${step.engine}:${step.id}`]);
}
const noted = async (url: string) => (await query<{ step: string }>(url, `SELECT step FROM ${SHADOW_DATA_SCHEMA}.noted ORDER BY n`)).map((r) => r.step);

/**
 * The example project replayed into the embedded shadow server (one per file: its first start
 * runs initdb). The live database holds the example already (applied by the CLI): every engine's
 * configured URL points at it, and it must be exactly as it was after every replay.
 */
describe('shadow replay (embedded server, the example project)', () => {
  let project: TempProject;
  let live: Awaited<ReturnType<typeof createTestDatabase>>;
  let shadow: Shadow;
  let liveBefore: string;
  const replays: Replay[] = [];
  const replay = async (...args: Parameters<Shadow['replay']>) => {
    const r = await shadow.replay(...args);
    replays.push(r);
    return r;
  };

  beforeAll(
    async () => {
      live = await createTestDatabase('shadowlive');
      project = exampleProject(
        'pm-shadow-',
        EXAMPLE_ENGINES.map((e) => (e.kind === 'prisma' ? { ...e, url: live.url } : e)),
      );
      const env = { DATABASE_URL: live.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET };
      const up = await runCli(['up'], { cwd: project.dir, env, timeoutMs: budget(STEP_MS.payload + STEP_MS.cli) });
      expect(up.code, up.stderr).toBe(0);
      liveBefore = await catalogSnapshot(live.url);
      process.env.PAYLOAD_SECRET = PAYLOAD_TEST_SECRET;
      const config = await loadConfigFile(project.path('polymigrate.config.json'));
      shadow = await openShadow({ config: { ...config, databaseUrl: live.url }, targetVersionNum: 150004 });
    },
    testBudget({ payload: 1, cli: 1, server: 1 }),
  );

  afterAll(
    async () => {
      await shadow?.close();
      await live?.drop();
      project?.cleanup();
    },
    testBudget({ server: 1, query: 2 }),
  );

  it('starts a local server under .polymigrate/shadow of the PostgreSQL the package ships, and says which', () => {
    expect(shadow.kind).toBe('embedded');
    expect(shadow.serverVersion).toMatch(/^15\.\d+$/);
    expect(shadow.startup.initialised).toBe(true);
    expect(fs.existsSync(project.path('.polymigrate', 'shadow', 'pg15', 'PG_VERSION'))).toBe(true);
    expect(shadow.warnings).toEqual([]);
  });

  it(
    'replays every engine in config order exactly as up runs it, Payload through its runtime, the hook between every two migrations',
    async () => {
      const seen: string[] = [];
      const payloadRows: number[] = [];
      const r = await replay({
        afterStep: async (step, url) => {
          seen.push(`${step.engine}:${step.id}`);
          await noteStep(step, url);
          if (step.engine === 'payload') payloadRows.push((await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM payload_migrations'))[0]!.n);
        },
      });
      expect(seen).toEqual(ALL);
      // Payload paused after each migration had committed, before the next began.
      expect(payloadRows).toEqual([1, 2]);
      expect(r.steps.map((s) => `${s.engine}:${s.id}`)).toEqual(ALL);
      expect(r.cache).toMatchObject({ enabled: true, hit: 0, replayed: ALL.length });
      expect(r.cache.saved).toBeGreaterThanOrEqual(1);
      expect(r.databaseUrl).not.toBe(live.url);
      const tables = await tablesOf(r.databaseUrl);
      for (const t of ['public.User', 'public.AuditLog', 'public.events', 'public.daily_rollups', 'public.herbs', 'public.payload_migrations', 'reporting.kpi_snapshots']) {
        expect(tables).toContain(t);
      }
      // Each engine's own history, as up writes it.
      expect((await query<{ n: number }>(r.databaseUrl, 'SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL'))[0]!.n).toBe(3);
      expect((await query<{ name: string }>(r.databaseUrl, 'SELECT name FROM payload_migrations ORDER BY name')).map((row) => row.name)).toEqual(PAYLOAD_EXAMPLE_MIGRATIONS);
      expect(await catalogSnapshot(live.url)).toBe(liveBefore);
    },
    testBudget({ payload: 1, query: 4 }),
  );

  it(
    "a replay with nothing changed comes from the cache: nothing replayed, the hooks' own data restored with it",
    async () => {
      const restored: number[] = [];
      const r = await replay({
        afterStep: async () => {
          throw new Error('no migration should run');
        },
        afterRestore: async (prefix) => {
          restored.push(prefix.length);
        },
      });
      expect(r.cache).toMatchObject({ hit: ALL.length, replayed: 0, saved: 0 });
      expect(restored).toEqual([ALL.length]);
      expect(await noted(r.databaseUrl)).toEqual(ALL);
      expect(await tablesOf(r.databaseUrl)).toContain('public.herbs');
      // A copy of its own: what one replay's database gets does not reach the next.
      await query(r.databaseUrl, 'CREATE TABLE public.scribble (id int)');
      const again = await replay();
      expect(await tablesOf(again.databaseUrl)).not.toContain('public.scribble');
      expect(await catalogSnapshot(live.url)).toBe(liveBefore);
    },
    testBudget({ server: 1, query: 6 }),
  );

  it(
    'only replays exactly the given migrations, in config order',
    async () => {
      const only = new Map([
        ['reporting', new Set([REPORTING[0]!])],
        ['prisma', new Set([PRISMA[0]!, PRISMA[1]!])],
        ['drizzle', new Set(['0000_init', '9999_not_on_disk'])],
      ]);
      const seen: string[] = [];
      const r = await replay({
        only,
        afterStep: async (step) => {
          seen.push(`${step.engine}:${step.id}`);
        },
      });
      expect(seen).toEqual([`prisma:${PRISMA[0]}`, `prisma:${PRISMA[1]}`, 'drizzle:0000_init', `reporting:${REPORTING[0]}`]);
      expect(r.missing).toEqual([{ engine: 'drizzle', id: '9999_not_on_disk' }]);
      const tables = await tablesOf(r.databaseUrl);
      expect(tables).toContain('public.User');
      expect(tables).toContain('public.events');
      expect(tables).not.toContain('public.AuditLog');
      expect(tables).not.toContain('public.herbs');
      expect((await query<{ n: string }>(r.databaseUrl, "SELECT count(*)::text AS n FROM pg_namespace WHERE nspname = 'reporting'"))[0]!.n).toBe('1');
    },
    testBudget({ query: 4 }),
  );

  it(
    'an edited file invalidates the cached prefixes from it on: only what follows the last unchanged prefix is replayed',
    async () => {
      const last = project.path('sql', 'reporting', `${REPORTING[3]}.sql`);
      fs.writeFileSync(last, fs.readFileSync(last, 'utf8').replace('-- migrate:down', 'CREATE TABLE reporting.edited_last (id int);\n\n-- migrate:down'));
      const lastEdited = await replay();
      expect(lastEdited.cache).toMatchObject({ hit: ALL.length - 1, replayed: 1 });
      expect(await tablesOf(lastEdited.databaseUrl)).toContain('reporting.edited_last');

      const prisma = project.path('prisma', 'migrations', PRISMA[1]!, 'migration.sql');
      fs.appendFileSync(prisma, '\nCREATE TABLE "EditedPrisma" (id int);\n');
      const early = await replay();
      expect(early.cache).toMatchObject({ hit: 0, replayed: ALL.length });
      const tables = await tablesOf(early.databaseUrl);
      expect(tables).toContain('public.EditedPrisma');
      expect(tables).toContain('reporting.edited_last');
      expect(await catalogSnapshot(live.url)).toBe(liveBefore);
    },
    testBudget({ payload: 1, query: 6 }),
  );

  it(
    "drops a replay's database on drop(), and no other",
    async () => {
      const names = async () =>
        (
          await query<{ d: string }>(
            replays[0]!.databaseUrl.replace(/\/[^/]*$/, '/postgres'),
            "SELECT datname AS d FROM pg_database WHERE datname LIKE 'polymigrate\\_shadow\\_run\\_%' ORDER BY 1",
          )
        ).map((r) => r.d);
      const before = await names();
      expect(before).toContain(replays[0]!.database);
      await replays[0]!.drop();
      expect(await names()).toEqual(before.filter((n) => n !== replays[0]!.database));
    },
    testBudget({ query: 3 }),
  );

  it(
    "a second shadow opened in the same process clears out leftovers, not the first one's open replays",
    async () => {
      const open = replays.at(-1)!;
      const exists = async (name: string) => (await query(open.databaseUrl.replace(/\/[^/]*$/, '/postgres'), 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1;
      expect(await exists(open.database)).toBe(true);
      const config = await loadConfigFile(project.path('polymigrate.config.json'));
      const second = await openShadow({ config: { ...config, databaseUrl: live.url } });
      try {
        expect(await exists(open.database)).toBe(true);
      } finally {
        await second.close();
      }
    },
    testBudget({ server: 1, query: 3 }),
  );
});
