import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaMigrationRow as Row } from '../../adapters/prisma/prisma-history.js';
import { catalogSnapshot, createTestDatabase, query } from '../helpers/database.js';
import { PAYLOAD_EXAMPLE_MIGRATIONS, PAYLOAD_TEST_SECRET, payloadCli, payloadDevPush, payloadStatus } from '../helpers/payload-project.js';
import type { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { exampleProject } from '../helpers/shadow-project.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { prismaOracle, prismaOracleAvailable } from './prisma-oracle.js';

const IDS = ['20260101120000_init_users_accounts', '20260108120000_sessions_verification_tokens', '20260115120000_audit_log'];
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ROWS = 'SELECT * FROM _prisma_migrations ORDER BY started_at, migration_name';

/** What of a row Prisma decides (not the random id or the clock). */
const shape = (r: Row) => ({
  migration_name: r.migration_name,
  checksum: r.checksum,
  idIsUuidV4: UUID_V4.test(r.id),
  finishedWhenStarted: r.finished_at !== null && r.finished_at.getTime() === r.started_at.getTime(),
  logs: r.logs,
  rolled_back_at: r.rolled_back_at,
  applied_steps_count: r.applied_steps_count,
});

/**
 * A Prisma-shaped database built by hand (each migration.sql run as a plain query, no history),
 * adopted with `polymigrate baseline prisma`; the offline Prisma 6.19 CLI judges the result, and
 * writes its own `migrate resolve --applied` rows on a twin database to compare with ours.
 */
describe.skipIf(!prismaOracleAvailable)('baseline prisma on a database built by hand (the Prisma CLI as oracle)', () => {
  let project: TempProject;
  const databases: Array<{ drop(): Promise<void> }> = [];

  const byHand = async (prefix: string) => {
    const db = await createTestDatabase(prefix);
    databases.push(db);
    for (const id of IDS) await query(db.url, project.read(`prisma/migrations/${id}/migration.sql`));
    return db;
  };
  const prisma = (url: string, ...args: string[]) => prismaOracle(args, { schema: project.path('prisma/schema.prisma'), databaseUrl: url });
  const pm = (url: string, ...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: url }, timeoutMs: budget(STEP_MS.server + STEP_MS.cli) });

  beforeAll(() => {
    project = exampleProject('pm-baseline-prisma-', [{ kind: 'prisma', migrations: 'prisma/migrations' }]);
  });
  afterAll(
    async () => {
      for (const db of databases) await db.drop().catch(() => undefined);
      project?.cleanup();
    },
    testBudget({ query: 4 }),
  );

  it(
    'before: Prisma sees three unapplied migrations; after baseline: up to date, deploy applies nothing, rows as resolve --applied writes them',
    async () => {
      const ours = await byHand('baselineprisma');
      const before = await prisma(ours.url, 'migrate', 'status');
      expect(before.code, 'Prisma: not up to date before the baseline').not.toBe(0);

      const run = await pm(ours.url, 'baseline', 'prisma', '--json');
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(run.json()).toMatchObject({ command: 'baseline', engine: 'prisma', outcome: 'recorded', recorded: IDS, differences: [] });

      const status = await prisma(ours.url, 'migrate', 'status');
      expect(status.code, status.stdout + status.stderr).toBe(0);
      expect(status.stdout).toContain('Database schema is up to date!');
      const schemaBefore = await catalogSnapshot(ours.url);
      const deploy = await prisma(ours.url, 'migrate', 'deploy');
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(deploy.stdout).toContain('No pending migrations to apply.');
      expect(await catalogSnapshot(ours.url), 'deploy changed nothing').toBe(schemaBefore);

      // Prisma's own baselining, migration by migration, on a twin built the same way.
      const theirs = await byHand('baselineprismatwin');
      for (const id of IDS) {
        const resolved = await prisma(theirs.url, 'migrate', 'resolve', '--applied', id);
        expect(resolved.code, resolved.stdout + resolved.stderr).toBe(0);
      }
      const theirRows = (await query<Row & Record<string, unknown>>(theirs.url, ROWS)).map(shape);
      expect(theirRows.map((r) => r.migration_name)).toEqual(IDS);
      expect((await query<Row & Record<string, unknown>>(ours.url, ROWS)).map(shape)).toEqual(theirRows);
      expect(await pm(theirs.url, 'status').then((r) => r.code), "polymigrate agrees with Prisma's own baseline").toBe(0);
    },
    testBudget({ prisma: 2 + 2 + IDS.length, server: 1, cli: 2, query: 6 }),
  );

  it(
    'a column that differs refuses the baseline: nothing written, and Prisma still sees the migrations unapplied',
    async () => {
      const db = await byHand('baselineprismadiff');
      await query(db.url, 'ALTER TABLE "User" ALTER COLUMN "name" SET DEFAULT \'anonymous\'');
      const before = await catalogSnapshot(db.url);
      const run = await pm(db.url, 'baseline', 'prisma');
      expect(run.code, run.stderr + run.stdout).toBe(4);
      expect(run.stdout).toMatch(/✗ changed column public\."User"\.name: default is 'anonymous'::text, the migrations make \(none\), created by prisma 20260101120000_init_users_accounts/);
      expect(await catalogSnapshot(db.url)).toBe(before);
      expect((await prisma(db.url, 'migrate', 'status')).code).not.toBe(0);
    },
    testBudget({ prisma: 1, server: 1, cli: 1, query: 4 }),
  );
});

/**
 * A database whose schema Payload's dev mode pushed (tables from the config, the dev marker, no
 * migration rows), adopted with `polymigrate baseline cms`; Payload's own CLI judges the result.
 */
describe("baseline payload on a database pushed by Payload's dev mode (Payload's CLI as oracle)", () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const env = () => ({ DATABASE_URL: db.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET });

  beforeAll(
    async () => {
      project = exampleProject('pm-baseline-payload-', [{ kind: 'payload', name: 'cms', config: 'payload/payload.config.ts', migrations: 'payload/migrations' }]);
      db = await createTestDatabase('baselinepayload');
      const push = await payloadDevPush(project, db.url);
      expect(push.code, push.output).toBe(0);
      expect(await query(db.url, 'SELECT name, batch::int AS batch FROM payload_migrations')).toEqual([{ name: 'dev', batch: -1 }]);
    },
    testBudget({ payload: 1, query: 1 }),
  );
  afterAll(
    async () => {
      await db?.drop();
      project?.cleanup();
    },
    testBudget({ query: 2 }),
  );

  it(
    'records both migrations in one batch and removes the dev marker; payload migrate:status shows them ran, payload migrate changes nothing',
    async () => {
      const run = await runCli(['baseline', 'cms', '--json'], { cwd: project.dir, env: env(), timeoutMs: budget(STEP_MS.payload + STEP_MS.server + STEP_MS.cli) });
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(run.json()).toMatchObject({ outcome: 'recorded', recorded: PAYLOAD_EXAMPLE_MIGRATIONS, differences: [] });
      expect(await query(db.url, 'SELECT name, batch::int AS batch FROM payload_migrations ORDER BY name')).toEqual(PAYLOAD_EXAMPLE_MIGRATIONS.map((name) => ({ name, batch: 1 })));
      expect(await payloadStatus(project, db.url)).toEqual(PAYLOAD_EXAMPLE_MIGRATIONS.map((name) => [name, '1', 'Yes']));
      const before = await catalogSnapshot(db.url);
      const migrate = await payloadCli(project, db.url, 'migrate');
      expect(migrate.code, migrate.output).toBe(0);
      expect(await catalogSnapshot(db.url), 'payload migrate ran nothing and asked nothing').toBe(before);
      const status = await runCli(['status'], { cwd: project.dir, env: env() });
      expect(status.code, status.stdout + status.stderr).toBe(0);
    },
    testBudget({ payload: 4, server: 1, cli: 2, query: 3 }),
  );
});
