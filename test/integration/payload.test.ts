import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { PAYLOAD_EXAMPLE_MIGRATIONS, PAYLOAD_TEST_SECRET, payloadProject } from '../helpers/payload-project.js';
import type { TempProject } from '../helpers/project.js';
import { forbidInOutput, REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

forbidInOutput(PAYLOAD_TEST_SECRET);

const BROKEN = '20261122_050000_broken';
const ROWS = 'SELECT name, batch::int AS batch FROM payload_migrations ORDER BY id';

/**
 * Payload driven through the built CLI: failures, the dev-push marker, what loads when, and
 * secrets. Each Payload child process costs seconds, so the databases are shared within a block.
 */
// Each test loads Payload at most once (up or down; status never does), besides a status run.
describe('payload engine through the CLI', { timeout: testBudget({ payload: 1, cli: 1, query: 2 }) }, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let project: TempProject;
  const env = () => ({ DATABASE_URL: db.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET });
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: env(), timeoutMs: budget(STEP_MS.payload) });

  beforeAll(async () => {
    db = await createTestDatabase('payload');
    project = payloadProject('pm-payload-');
    // Adds a column, then fails: Payload must roll this migration back and keep the two before it.
    // It also prints the secrets it can see, which polymigrate must mask.
    project.write(
      `payload/migrations/${BROKEN}.ts`,
      `import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

export async function up({ db }: MigrateUpArgs): Promise<void> {
  console.log('env seen by the migration:', process.env.PAYLOAD_SECRET, process.env.DATABASE_URL)
  await db.execute(sql\`ALTER TABLE "herbs" ADD COLUMN "broken_col" integer;\`)
  await db.execute(sql\`SELECT 1/0;\`)
}

export async function down({ db }: MigrateDownArgs): Promise<void> {
  await db.execute(sql\`ALTER TABLE "herbs" DROP COLUMN "broken_col";\`)
}
`,
    );
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it("a failing migration fails its step with Payload's error; the ones before it stay applied; exit 1", async () => {
    const result = await cli('up', '--json');
    expect(result.code, result.stderr).toBe(1);
    const doc = result.json();
    expect(doc.outcome).toBe('failed');
    expect(doc.results.map((r: any) => [r.id, r.status])).toEqual([...PAYLOAD_EXAMPLE_MIGRATIONS.map((id) => [id, 'applied']), [BROKEN, 'failed']]);
    expect(doc.results[2].error).toMatchObject({ message: 'division by zero', code: '22012' });
    // One Payload batch for the run; the failed migration left neither a row nor its column.
    expect(await query(db.url, ROWS)).toEqual(PAYLOAD_EXAMPLE_MIGRATIONS.map((name) => ({ name, batch: 1 })));
    expect(await query(db.url, `SELECT column_name FROM information_schema.columns WHERE table_name = 'herbs' AND column_name = 'broken_col'`)).toEqual([]);
  });

  it("passes Payload's output through with the secrets masked", async () => {
    const result = await cli('up');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('env seen by the migration: ****');
    expect(result.stdout).toContain('Migrating: 20261122_050000_broken');
    expect(result.stderr).toContain(`cms: up ${BROKEN} failed: division by zero`);
  });

  it('status reports the pending migration without loading Payload', async () => {
    const result = await cli('status', '--json');
    expect(result.code).toBe(3);
    expect(result.json().engines[0].migrations.map((m: any) => [m.id, m.state])).toEqual([...PAYLOAD_EXAMPLE_MIGRATIONS.map((id) => [id, 'applied']), [BROKEN, 'pending']]);
  });

  it("refuses up when Payload's dev-push marker is present (exit 5); status shows it as a problem (exit 4)", async () => {
    await query(db.url, "INSERT INTO payload_migrations (name, batch) VALUES ('dev', -1)");
    try {
      const status = await cli('status', '--json');
      expect(status.code).toBe(4);
      const engine = status.json().engines[0];
      expect(engine.problems[0].message).toContain("dev-mode marker (name 'dev', batch -1)");
      expect(engine.problems[0].fix).toContain('DELETE FROM "public"."payload_migrations" WHERE name = \'dev\' AND batch = -1');
      // The marker is not a migration: no "missing" entry for it.
      expect(engine.migrations.map((m: any) => m.id)).not.toContain('dev');

      const before = await query(db.url, ROWS);
      const up = await cli('up');
      expect(up.code).toBe(5);
      expect(up.stderr).toContain('dev-mode marker');
      expect(await query(db.url, ROWS)).toEqual(before);
    } finally {
      await query(db.url, "DELETE FROM payload_migrations WHERE name = 'dev'");
    }
  });

  it("down reverts through Payload's down() and deletes the rows", async () => {
    const result = await cli('down', '--engine', 'cms', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json().results.map((r: any) => [r.id, r.status])).toEqual([[PAYLOAD_EXAMPLE_MIGRATIONS[1], 'reverted']]);
    expect(await query(db.url, ROWS)).toEqual([{ name: PAYLOAD_EXAMPLE_MIGRATIONS[0], batch: 1 }]);
    expect(await query(db.url, `SELECT column_name FROM information_schema.columns WHERE table_name = 'herbs' AND column_name = 'nature'`)).toEqual([]);
  });
});

describe('payload engine: what loads Payload', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let project: TempProject;

  beforeAll(async () => {
    db = await createTestDatabase('payload');
    // No node_modules and no PAYLOAD_SECRET: Payload cannot be loaded at all here.
    project = payloadProject('pm-payload-bare-', { linkNodeModules: false });
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  const cli = (env: Record<string, string | undefined>, ...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url, PAYLOAD_SECRET: undefined, ...env } });

  it('status and up --dry-run never load Payload', async () => {
    const status = await cli({}, 'status', '--json');
    expect(status.code, status.stderr).toBe(3);
    expect(status.json().engines[0].migrations.map((m: any) => [m.id, m.state])).toEqual(PAYLOAD_EXAMPLE_MIGRATIONS.map((id) => [id, 'pending']));
    const dry = await cli({}, 'up', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(PAYLOAD_EXAMPLE_MIGRATIONS[1]);
  });

  it('up says clearly when PAYLOAD_SECRET is missing or payload cannot be found', async () => {
    const noSecret = await cli({}, 'up');
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toContain('PAYLOAD_SECRET is not set');

    // No user agent and no lockfile above the project: the install command is npm's.
    const noPayload = await cli({ PAYLOAD_SECRET: PAYLOAD_TEST_SECRET, npm_config_user_agent: undefined }, 'up');
    expect(noPayload.code).toBe(1);
    expect(noPayload.stderr).toContain('Cannot find the "payload" package');
    expect(noPayload.stderr).toContain('npm i payload @payloadcms/db-postgres');
    expect(await query(db.url, "SELECT to_regclass('public.payload_migrations') AS t")).toEqual([{ t: null }]);
  });

  it(
    'up names the missing @payloadcms/db-postgres when the config imports it and only payload is installed',
    async () => {
      const partial = payloadProject('pm-payload-no-adapter-', { linkNodeModules: false });
      try {
        fs.mkdirSync(partial.path('node_modules'));
        fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', 'payload'), partial.path('node_modules', 'payload'), 'dir');
        partial.write('pnpm-lock.yaml', '');
        const result = await runCli(['up'], {
          cwd: partial.dir,
          env: { DATABASE_URL: db.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET, npm_config_user_agent: undefined },
          timeoutMs: budget(STEP_MS.payload),
        });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('imports @payloadcms/db-postgres, which cannot be found; it is needed for Payload migrations on PostgreSQL.');
        expect(result.stderr).toContain('pnpm add @payloadcms/db-postgres');
        expect(await query(db.url, "SELECT to_regclass('public.payload_migrations') AS t")).toEqual([{ t: null }]);
      } finally {
        partial.cleanup();
      }
    },
    testBudget({ payload: 1, query: 1 }),
  );

  it(
    'a Payload run that exceeds timeoutSeconds is killed and reported',
    async () => {
      const timed = payloadProject('pm-payload-timeout-', { engine: { timeoutSeconds: 0.5 } });
      // The clock starts when Payload is asked to run (it may have loaded before): a migration that
      // never finishes is what must be stopped.
      timed.write(
        'payload/migrations/20261122_050000_stuck.ts',
        `export async function up(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 600_000))
}

export async function down(): Promise<void> {}
`,
      );
      try {
        const started = Date.now();
        const result = await runCli(['up'], { cwd: timed.dir, env: { DATABASE_URL: db.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET }, timeoutMs: budget(STEP_MS.payload) });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('did not finish within');
        // Loading Payload comes first, and costs seconds on a busy machine.
        expect(Date.now() - started).toBeLessThan(budget(15_000));
      } finally {
        timed.cleanup();
      }
    },
    testBudget({ payload: 1, query: 1 }),
  );
});
