import { createHash } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLYMIGRATE_LOCK_KEY } from '../../src/lock/advisory-lock.js';
import { adminUrl, catalogSnapshot, createTestDatabase, query, urlFor, withClient } from '../helpers/database.js';
import { runDrizzleKit } from '../helpers/drizzle-project.js';
import type { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { exampleProject, sqlMigrationId, sqlProject } from '../helpers/shadow-project.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

const KIT_CONFIG = 'drizzle/drizzle.config.ts';
const TAGS = ['0000_init', '0001_page_views', '0002_daily_rollups'];
const HISTORY = 'SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id';

interface BaselineJson {
  command: string;
  engine: string;
  outcome: string;
  recorded: string[];
  alreadyApplied: string[];
  differences: Array<{ kind: string; objectKind: string; object: string; createdBy?: { engine: string; id: string } }>;
  unexpected: Array<{ kind: string; objectKind: string; object: string }>;
  shadow?: { migrations: number };
}

async function cloneDatabase(template: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Math.random().toString(16).slice(2, 10)}`;
  await withClient(adminUrl(), (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return { url: urlFor(name), drop: () => withClient(adminUrl(), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined) };
}

/**
 * The repository's drizzle example, its schema pushed by `drizzle-kit push` (no history at all),
 * then adopted with `polymigrate baseline drizzle`; drizzle-kit itself is the judge afterwards.
 * Each test works on a copy of the pushed database.
 */
describe('baseline drizzle on a database built by drizzle-kit push', () => {
  let project: TempProject;
  let pushed: Awaited<ReturnType<typeof createTestDatabase>>;
  const cleanups: Array<() => Promise<void>> = [];
  const journal = () => JSON.parse(project.read('drizzle/migrations/meta/_journal.json')) as { entries: Array<{ tag: string; when: number }> };
  const pm = (url: string, ...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: url }, timeoutMs: budget(STEP_MS.server + STEP_MS.cli) });
  const copy = async (prefix: string) => {
    const db = await cloneDatabase(pushed.name, prefix);
    cleanups.push(() => db.drop());
    return db;
  };
  const hashOf = (tag: string) =>
    createHash('sha256')
      .update(project.read(`drizzle/migrations/${tag}.sql`))
      .digest('hex');

  beforeAll(
    async () => {
      project = exampleProject('pm-baseline-drizzle-', [{ kind: 'drizzle', migrations: 'drizzle/migrations', drizzleConfig: KIT_CONFIG }]);
      pushed = await createTestDatabase('baselinepush');
      const push = await runDrizzleKit(project.dir, pushed.url, 'push', '--config', KIT_CONFIG, '--force');
      expect(push.code, push.output).toBe(0);
      const tables = await query<{ n: string }>(pushed.url, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'");
      expect(Number(tables[0]!.n), "push made the example's tables").toBeGreaterThanOrEqual(4);
      expect(await query(pushed.url, "SELECT to_regclass('drizzle.__drizzle_migrations') AS t"), 'push records no history').toEqual([{ t: null }]);
    },
    testBudget({ cli: 1, query: 2 }),
  );

  afterAll(
    async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      await pushed?.drop();
      project?.cleanup();
    },
    testBudget({ query: 4 }),
  );

  it(
    'records every migration as drizzle-kit migrate would; drizzle-kit migrate is then a no-op and status is up to date',
    async () => {
      const db = await copy('baselinedz');
      const run = await pm(db.url, 'baseline', 'drizzle');
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(run.stdout).toMatch(/✓ drizzle's objects match \(\d+ tables, \d+ columns/);
      expect(run.stdout).toContain('recorded as applied:');
      // hash = SHA-256 of the file, created_at = the journal's `when`, in journal order: drizzle's own rows.
      const rows = await query(db.url, HISTORY);
      expect(rows.map((r) => [r.hash, Number(r.created_at)])).toEqual(journal().entries.map((e) => [hashOf(e.tag), e.when]));
      const runs = await query(db.url, "SELECT command, outcome, options FROM polymigrate.runs WHERE command = 'baseline'");
      expect(runs).toEqual([{ command: 'baseline', outcome: 'succeeded', options: { engine: 'drizzle', recorded: TAGS } }]);

      const before = await catalogSnapshot(db.url);
      const migrate = await runDrizzleKit(project.dir, db.url, 'migrate', '--config', KIT_CONFIG);
      expect(migrate.code, migrate.output).toBe(0);
      expect(await catalogSnapshot(db.url), 'drizzle-kit migrate changed nothing: no statement, no row').toBe(before);

      const status = await pm(db.url, 'status');
      expect(status.code, status.stdout + status.stderr).toBe(0);
      const again = await pm(db.url, 'baseline', 'drizzle', '--json');
      expect(again.code, again.stderr).toBe(0);
      expect(again.json()).toMatchObject({ command: 'baseline', outcome: 'up-to-date', recorded: [], alreadyApplied: TAGS });
    },
    testBudget({ server: 1, cli: 4, query: 4 }),
  );

  it(
    '--dry-run compares and lists what it would record, and writes nothing',
    async () => {
      const db = await copy('baselinedry');
      const before = await catalogSnapshot(db.url);
      const run = await pm(db.url, 'baseline', 'drizzle', '--dry-run', '--json');
      expect(run.code, run.stderr).toBe(0);
      const doc = run.json<BaselineJson>();
      expect(doc).toMatchObject({ command: 'baseline', engine: 'drizzle', outcome: 'planned', recorded: TAGS, differences: [] });
      expect(doc.shadow?.migrations).toBe(TAGS.length);
      expect(await catalogSnapshot(db.url)).toBe(before);
      const human = await pm(db.url, 'baseline', 'drizzle', '--dry-run');
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toMatch(/would record as applied:\n {2}0000_init\n {2}0001_page_views\n {2}0002_daily_rollups\n {2}--dry-run: nothing was written\./);
      expect(await catalogSnapshot(db.url)).toBe(before);
    },
    testBudget({ server: 2, cli: 2, query: 2 }),
  );

  it(
    '--to ID records only up to ID; objects of later migrations are unexpected, reported and left alone',
    async () => {
      const db = await copy('baselineto');
      const run = await pm(db.url, 'baseline', 'drizzle', '--to', '0001_page_views', '--json');
      expect(run.code, run.stderr).toBe(0);
      const doc = run.json<BaselineJson>();
      expect(doc).toMatchObject({ outcome: 'recorded', recorded: ['0000_init', '0001_page_views'], differences: [] });
      // 0002 adds a column to a table of 0000 and a table of its own: in the database, made by no recorded migration.
      expect(doc.unexpected.map((d) => `${d.objectKind} ${d.object}`)).toEqual(expect.arrayContaining(['table public.daily_rollups', 'column public.sessions.utm_source']));
      const rows = await query(db.url, HISTORY);
      expect(rows.map((r) => Number(r.created_at))).toEqual(
        journal()
          .entries.slice(0, 2)
          .map((e) => e.when),
      );
      const status = await pm(db.url, 'status', '--json');
      expect(status.code, 'the third migration is pending').toBe(3);
      const rest = await pm(db.url, 'baseline', 'drizzle', '--json');
      expect(rest.code, rest.stderr).toBe(0);
      expect(rest.json()).toMatchObject({ outcome: 'recorded', recorded: ['0002_daily_rollups'], alreadyApplied: ['0000_init', '0001_page_views'] });
      expect((await query(db.url, HISTORY)).map((r) => Number(r.created_at))).toEqual(journal().entries.map((e) => e.when));
    },
    testBudget({ server: 2, cli: 3, query: 3 }),
  );

  it(
    'refuses (exit 4) when one column differs, names it with its migration, and writes nothing',
    async () => {
      const db = await copy('baselinediff');
      await query(db.url, 'ALTER TABLE visitors ALTER COLUMN user_agent TYPE varchar(10)');
      const before = await catalogSnapshot(db.url);
      const run = await pm(db.url, 'baseline', 'drizzle');
      expect(run.code, run.stderr + run.stdout).toBe(4);
      expect(run.stdout).toMatch(/✗ changed column public\.visitors\.user_agent: type is character varying\(10\), the migrations make text, created by drizzle 0000_init/);
      expect(run.stdout).toContain('nothing was recorded');
      expect(await catalogSnapshot(db.url), 'no history table, no row, no journal').toBe(before);
      const json = await pm(db.url, 'baseline', 'drizzle', '--json');
      expect(json.code).toBe(4);
      const doc = json.json<BaselineJson>();
      expect(doc.outcome).toBe('differences');
      expect(doc.differences).toEqual([
        expect.objectContaining({ kind: 'changed', objectKind: 'column', object: 'public.visitors.user_agent', createdBy: { engine: 'drizzle', id: '0000_init' } }),
      ]);
      expect(await catalogSnapshot(db.url)).toBe(before);
    },
    testBudget({ server: 2, cli: 2, query: 3 }),
  );

  it(
    "waits for polymigrate's lock: while another run holds it, --lock-timeout gives up (exit 5) with nothing written",
    async () => {
      const db = await copy('baselinelock');
      const holder = new pg.Client({ connectionString: db.url });
      await holder.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1)', [POLYMIGRATE_LOCK_KEY.toString()]);
        const before = await catalogSnapshot(db.url);
        const run = await pm(db.url, 'baseline', 'drizzle', '--lock-timeout', '1');
        expect(run.code, run.stderr + run.stdout).toBe(5);
        expect(await catalogSnapshot(db.url)).toBe(before);
      } finally {
        await holder.end();
      }
    },
    testBudget({ cli: 1, query: 3 }),
  );

  it(
    'usage errors exit 2: an unknown engine, a --to id that is not on disk',
    async () => {
      const unknown = await pm(pushed.url, 'baseline', 'nope');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('Unknown engine "nope"');
      const missing = await pm(pushed.url, 'baseline', 'drizzle', '--to', '0009_nothing');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('no migration "0009_nothing" on disk');
    },
    testBudget({ cli: 2 }),
  );
});

/** The other engines' applied migrations are replayed too: baseline compares with the whole shadow, judges one engine. */
describe('baseline with several engines', () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(() => {
    project = exampleProject('pm-baseline-multi-', [
      { kind: 'prisma', migrations: 'prisma/migrations' },
      { kind: 'drizzle', migrations: 'drizzle/migrations', drizzleConfig: KIT_CONFIG },
    ]);
  });
  afterAll(
    async () => {
      await db?.drop();
      project?.cleanup();
    },
    testBudget({ query: 2 }),
  );

  it(
    'drizzle pushed, prisma applied by up: baseline drizzle records drizzle only; a drifted prisma object does not refuse it but is counted in a warning',
    async () => {
      db = await createTestDatabase('baselinemulti');
      const env = { DATABASE_URL: db.url };
      // Pushed first: drizzle-kit push on a database holding other tables asks whether they were
      // renamed, and without a terminal it quietly pushes nothing.
      const push = await runDrizzleKit(project.dir, db.url, 'push', '--config', KIT_CONFIG, '--force');
      expect(push.code, push.output).toBe(0);
      const up = await runCli(['up', '--engine', 'prisma'], { cwd: project.dir, env });
      expect(up.code, up.stderr).toBe(0);
      await query(db.url, 'DROP INDEX "Session_userId_idx"');
      const prismaRows = await query(db.url, 'SELECT * FROM _prisma_migrations ORDER BY started_at');
      const run = await runCli(['baseline', 'drizzle', '--json'], { cwd: project.dir, env, timeoutMs: budget(STEP_MS.server + STEP_MS.cli) });
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const doc = run.json<BaselineJson & { warnings: string[] }>();
      expect(doc).toMatchObject({ outcome: 'recorded', recorded: TAGS, differences: [] });
      expect(doc.shadow?.migrations).toBe(TAGS.length + prismaRows.length);
      expect(doc.warnings.join('\n')).toMatch(/1 difference\(s\) in objects of other engines' migrations were not compared/);
      expect(await query(db.url, 'SELECT * FROM _prisma_migrations ORDER BY started_at'), "Prisma's history is untouched").toEqual(prismaRows);
      const status = await runCli(['status'], { cwd: project.dir, env });
      expect(status.code, status.stdout).toBe(0);
      expect(fs.existsSync(project.path('.polymigrate')), 'the embedded shadow kept its data next to the config').toBe(true);
    },
    testBudget({ server: 1, cli: 4, query: 3 }),
  );
});

/** SQL folders, in polymigrate's history and in the Supabase CLI's: the rows `up` would have written. */
describe('baseline sql: the history rows up writes', () => {
  for (const history of ['polymigrate', 'supabase'] as const) {
    it(
      `${history} history: the same rows as up writes on a twin database, and status is up to date`,
      async () => {
        const project = sqlProject(`pm-baseline-sql-${history}-`, 3);
        const rows =
          history === 'supabase'
            ? 'SELECT version, name, statements FROM supabase_migrations.schema_migrations ORDER BY version'
            : 'SELECT engine, id, checksum, finished_at IS NOT NULL AS finished FROM polymigrate.sql_migrations ORDER BY id';
        const ours = await createTestDatabase('baselinesql');
        const theirs = await createTestDatabase('baselinesqltwin');
        try {
          if (history === 'supabase') {
            project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db', history: 'supabase' }] });
            for (let i = 1; i <= 3; i += 1) project.write(`db/2026010100000${i}_table_${i}.sql`, project.read(`db/${sqlMigrationId(i)}.sql`));
            for (let i = 1; i <= 3; i += 1) project.remove(`db/${sqlMigrationId(i)}.sql`);
          }
          for (const file of fs.readdirSync(project.path('db')).sort()) await query(ours.url, project.read(`db/${file}`));
          const run = await runCli(['baseline', 'app'], { cwd: project.dir, env: { DATABASE_URL: ours.url }, timeoutMs: budget(STEP_MS.server + STEP_MS.cli) });
          expect(run.code, run.stderr + run.stdout).toBe(0);
          const up = await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: theirs.url } });
          expect(up.code, up.stderr).toBe(0);
          const recorded = await query(ours.url, rows);
          expect(recorded).toHaveLength(3);
          expect(recorded).toEqual(await query(theirs.url, rows));
          const status = await runCli(['status'], { cwd: project.dir, env: { DATABASE_URL: ours.url } });
          expect(status.code, status.stdout).toBe(0);
        } finally {
          await ours.drop();
          await theirs.drop();
          project.cleanup();
        }
      },
      testBudget({ server: 1, cli: 3, query: 6 }),
    );
  }
});
