import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { testBudget } from '../helpers/time-budget.js';
import { prismaOracle, prismaOracleAvailable } from './prisma-oracle.js';
import type { PrismaMigrationRow as Row } from '../../adapters/prisma/prisma-history.js';

/**
 * polymigrate and the real Prisma CLI on the same database, on a copy of the example project:
 * whichever of the two writes _prisma_migrations, the other must agree with it.
 */
const EXAMPLE = path.join(REPO_ROOT, 'prisma');
const INIT = '20260101120000_init_users_accounts';
const SESSIONS = '20260108120000_sessions_verification_tokens';
const AUDIT = '20260115120000_audit_log';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.skipIf(!prismaOracleAvailable)('Prisma compatibility (the Prisma CLI as oracle)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A copy of the example project (optionally without some migrations) on a fresh database. */
  async function setup(options: { without?: string[] } = {}) {
    const db = await createTestDatabase('compat_prisma');
    const project = new TempProject('pm-compat-prisma-');
    cleanups.push(
      () => db.drop(),
      () => project.cleanup(),
    );
    fs.cpSync(EXAMPLE, project.path('prisma'), { recursive: true });
    for (const id of options.without ?? []) project.remove(`prisma/migrations/${id}`);
    project.config({ engines: [{ kind: 'prisma', migrations: 'prisma/migrations' }] });
    const schema = project.path('prisma/schema.prisma');
    return {
      db,
      project,
      pm: (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url } }),
      prisma: (...args: string[]) => prismaOracle(args, { schema, databaseUrl: db.url }),
      rows: () => query<Row & Record<string, unknown>>(db.url, 'SELECT * FROM _prisma_migrations ORDER BY started_at, migration_name'),
    };
  }

  it(
    'after polymigrate up, Prisma says up to date, deploys nothing, and the rows look like its own',
    async () => {
      const ours = await setup();
      expect((await ours.pm('up')).code).toBe(0);
      const status = await ours.prisma('migrate', 'status');
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain('Database schema is up to date!');
      const before = await ours.rows();
      const deploy = await ours.prisma('migrate', 'deploy');
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(deploy.stdout).toContain('No pending migrations to apply.');
      expect(await ours.rows()).toEqual(before);

      // The same project deployed by Prisma itself, on another database.
      const theirs = await setup();
      expect((await theirs.prisma('migrate', 'deploy')).code).toBe(0);
      const shape = (r: Row) => ({
        migration_name: r.migration_name,
        checksum: r.checksum,
        idIsUuidV4: UUID_V4.test(r.id),
        finished: r.finished_at !== null,
        finishedNotBeforeStart: r.finished_at !== null && r.finished_at >= r.started_at,
        logs: r.logs,
        rolled_back_at: r.rolled_back_at,
        applied_steps_count: r.applied_steps_count,
      });
      const theirRows = (await theirs.rows()).map(shape);
      expect(theirRows.map((r) => r.migration_name)).toEqual([INIT, SESSIONS, AUDIT]);
      expect((await ours.rows()).map(shape)).toEqual(theirRows);

      // And the table itself: same columns, types, defaults, nullness and primary key.
      const tableShape = (url: string) =>
        Promise.all([
          query(
            url,
            `SELECT ordinal_position, column_name, data_type, character_maximum_length, is_nullable, column_default
                    FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
          ),
          query(url, `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = '_prisma_migrations'::regclass ORDER BY 1`),
          query(url, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = '_prisma_migrations' ORDER BY 1`),
        ]);
      expect(await tableShape(ours.db.url)).toEqual(await tableShape(theirs.db.url));
    },
    testBudget({ prisma: 3, cli: 1, query: 2 }),
  );

  it(
    'after Prisma deploys some migrations, polymigrate status agrees and up applies only the rest',
    async () => {
      const t = await setup({ without: [AUDIT] });
      expect((await t.prisma('migrate', 'deploy')).code).toBe(0);
      const agreed = await t.pm('status', '--json');
      expect(agreed.code, agreed.stderr).toBe(0);
      expect(agreed.json().engines[0].migrations.map((m: { id: string; state: string }) => [m.id, m.state])).toEqual([
        [INIT, 'applied'],
        [SESSIONS, 'applied'],
      ]);

      fs.cpSync(path.join(EXAMPLE, 'migrations', AUDIT), t.project.path('prisma/migrations', AUDIT), { recursive: true });
      const pending = await t.pm('status', '--json');
      expect(pending.code).toBe(3);
      expect(pending.json().engines[0].migrations.map((m: { state: string }) => m.state)).toEqual(['applied', 'applied', 'pending']);
      const prismaPending = await t.prisma('migrate', 'status');
      expect(prismaPending.code).toBe(1);
      expect(prismaPending.stdout).toContain(AUDIT);

      const up = await t.pm('up', '--json');
      expect(up.code, up.stderr).toBe(0);
      expect(up.json().results.map((r: { id: string }) => r.id)).toEqual([AUDIT]);
      const status = await t.prisma('migrate', 'status');
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain('Database schema is up to date!');
    },
    testBudget({ prisma: 3, cli: 3, query: 1 }),
  );

  it(
    'after polymigrate down of the migration with down.sql, Prisma sees it pending and re-applies it',
    async () => {
      const t = await setup();
      expect((await t.pm('up')).code).toBe(0);
      const down = await t.pm('down', '--engine', 'prisma', '--json');
      expect(down.code, down.stderr).toBe(0);
      expect(down.json().results.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([[AUDIT, 'reverted']]);
      expect((await t.rows()).map((r) => r.migration_name)).toEqual([INIT, SESSIONS]);

      const status = await t.prisma('migrate', 'status');
      expect(status.code).toBe(1);
      expect(status.stdout).toContain('Following migration have not yet been applied:');
      expect(status.stdout).toContain(AUDIT);

      const deploy = await t.prisma('migrate', 'deploy');
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(deploy.stdout).toContain(AUDIT);
      const again = await t.pm('status');
      expect(again.code, again.stdout + again.stderr).toBe(0);
    },
    testBudget({ prisma: 2, cli: 3, query: 1 }),
  );

  it(
    'a migration that failed under Prisma is failed for polymigrate, blocks up, and resolve --rolled-back satisfies Prisma',
    async () => {
      const t = await setup();
      const broken = '20260120000000_broken';
      t.project.write(`prisma/migrations/${broken}/migration.sql`, 'CREATE TABLE "Broken" ("id" INTEGER);\nSELECT * FROM "does_not_exist";\n');
      const deploy = await t.prisma('migrate', 'deploy');
      expect(deploy.code).toBe(1);
      const failedRow = (await t.rows()).find((r) => r.migration_name === broken)!;
      expect(failedRow).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });

      const status = await t.pm('status', '--json');
      expect(status.code).toBe(4);
      const states = status.json().engines[0].migrations.map((m: { id: string; state: string }) => [m.id, m.state]);
      expect(states).toEqual([
        [INIT, 'applied'],
        [SESSIONS, 'applied'],
        [AUDIT, 'applied'],
        [broken, 'failed'],
      ]);

      const up = await t.pm('up');
      expect(up.code).toBe(5);
      expect(up.stderr + up.stdout).toContain(`polymigrate resolve prisma ${broken}`);

      const resolved = await t.pm('resolve', 'prisma', broken, '--rolled-back');
      expect(resolved.code, resolved.stderr).toBe(0);
      const row = (await t.rows()).find((r) => r.migration_name === broken)!;
      expect(row.rolled_back_at).not.toBeNull();
      expect(row.id).toBe(failedRow.id);
      const prismaStatus = await t.prisma('migrate', 'status');
      expect(prismaStatus.stderr).not.toContain('have failed');
      expect(prismaStatus.code).toBe(0);

      // Fixed, Prisma itself applies it again on top of the rolled-back row (its WASM engine already
      // committed the CREATE TABLE statement before failing, hence IF NOT EXISTS).
      t.project.write(`prisma/migrations/${broken}/migration.sql`, 'CREATE TABLE IF NOT EXISTS "Broken" ("id" INTEGER);\n');
      const redeploy = await t.prisma('migrate', 'deploy');
      expect(redeploy.code, redeploy.stderr).toBe(0);
      expect(redeploy.stdout).toContain(broken);
      const final = await t.pm('status', '--json');
      expect(final.code, final.stdout).toBe(0);
    },
    testBudget({ prisma: 3, cli: 4, query: 1 }),
  );
});
