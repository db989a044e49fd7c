import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POLYMIGRATE_LOCK_KEY, POLYMIGRATE_STEP_GUARD_KEY } from '../../src/lock/advisory-lock.js';
import { Barrier } from '../helpers/barrier.js';
import { createTestDatabase, query } from '../helpers/database.js';
import { PAYLOAD_TEST_SECRET, payloadProject } from '../helpers/payload-project.js';
import { TempProject } from '../helpers/project.js';
import { forbidInOutput, runCli } from '../helpers/run-cli.js';
import { pollUntil } from '../helpers/poll-until.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { ResultRecorder } from './record-results.js';
import { advisoryHolders, spawnCli } from './reliability-helpers.js';

forbidInOutput(PAYLOAD_TEST_SECRET);

/**
 * Ctrl-C (SIGINT) and SIGTERM during `up`: what runs on the server is ended, nothing commits after
 * the signal, the run is journaled as interrupted with what did commit, no lock stays held, and
 * the process exits 130/143 at once (quiet machine: well under a second; the bound is
 * EXIT_MS, a budget for a busy one, and far below the step it would otherwise wait for, which the
 * test's barrier holds indefinitely). Every wait is a barrier the test holds (an advisory lock
 * or a reader's transaction), released only after the signal: the migration would commit then, if
 * polymigrate had not ended it.
 */
const BARRIER = 7_310_001n;
/** How soon after the signal the process must be gone, on a busy machine. */
const EXIT_MS = budget(5_000);
const results = new ResultRecorder('9-interrupts', {
  order: 9,
  title: 'Interrupts',
  summary:
    'A real `up` is sent SIGINT or SIGTERM while a migration runs (held at a barrier the test controls), while an ALTER waits behind a reader, with the next migration already pipelined, and while Payload runs a migration.',
});
let failed = false;

const cleanups: Array<() => Promise<void> | void> = [];
beforeEach(({ onTestFailed }) =>
  onTestFailed(() => {
    failed = true;
  }),
);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => results.save(!failed));

async function connected(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  cleanups.push(() => client.end().catch(() => undefined));
  return client;
}

/** Hold the test's barrier (BARRIER, which the migrations below wait for) until the test releases it or ends. */
async function heldBarrier(url: string): Promise<Barrier> {
  const barrier = await Barrier.hold(url, BARRIER);
  cleanups.push(() => barrier.release());
  return barrier;
}

/** Poll until `check` holds: the test observes the run, it does not guess its timing. `timeoutMs` bounds what the process needs to get there. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = budget(STEP_MS.cli)): Promise<void> {
  await pollUntil(what, check, { timeoutMs, intervalMs: 20 });
}

const waitingOn = (client: pg.Client, condition: string) => async () => (await client.query(`SELECT 1 FROM pg_locks l WHERE NOT l.granted AND ${condition}`)).rows.length > 0;

async function sqlProject(files: Record<string, string>) {
  const db = await createTestDatabase('interrupt');
  const project = new TempProject('pm-interrupt-');
  cleanups.push(
    () => db.drop(),
    () => project.cleanup(),
  );
  project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
  for (const [name, sql] of Object.entries(files)) project.write(`db/${name}`, sql);
  return { db, project };
}

async function expectNothingHeld(url: string): Promise<void> {
  expect(await advisoryHolders(url, POLYMIGRATE_LOCK_KEY)).toEqual([]);
  expect(await advisoryHolders(url, POLYMIGRATE_STEP_GUARD_KEY)).toEqual([]);
}

const tables = async (url: string) => (await query<{ t: string }>(url, "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map((r) => r.t);

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s during up', (signal, exitCode) => {
  it('while a migration runs, with the next one pipelined behind it: neither commits, the run is journaled interrupted, nothing stays locked', async () => {
    const { db, project } = await sqlProject({
      '1_fast.sql': 'CREATE TABLE fast (id int);\n',
      '2_held.sql': `CREATE TABLE held (id int);\nSELECT pg_advisory_lock(${BARRIER});\n`,
      '3_after.sql': 'CREATE TABLE after_held (id int);\n',
    });
    const barrier = await heldBarrier(db.url);
    const run = spawnCli(['up', '--json'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    await barrier.waiter({ detail: () => run.output().stderr });
    // 3_after's query is on its way behind it (pipelined): visible as the step session's pending work.
    const signalled = Date.now();
    run.child.kill(signal);
    const done = await run.done;
    const ms = Date.now() - signalled;
    expect(done.code).toBe(exitCode);
    expect(ms).toBeLessThan(EXIT_MS);
    // Release the barrier: had the step survived, it would commit now.
    await barrier.release();
    expect(await tables(db.url)).toEqual(['fast']);
    const doc = JSON.parse(done.stdout);
    expect(doc.outcome).toBe('interrupted');
    expect(doc.results.map((r: any) => `${r.id}:${r.status}`)).toEqual(['1_fast:applied', '2_held:interrupted', '3_after:not-run']);
    expect(await query(db.url, 'SELECT outcome FROM polymigrate.runs')).toEqual([{ outcome: 'interrupted' }]);
    expect(await query(db.url, 'SELECT migration, status FROM polymigrate.steps ORDER BY seq')).toEqual([
      { migration: '1_fast', status: 'applied' },
      { migration: '2_held', status: 'interrupted' },
    ]);
    await expectNothingHeld(db.url);
    // The next up applies the rest, each once.
    const again = await runCli(['up', '--json'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    expect(again.json().results.map((r: any) => r.id)).toEqual(['2_held', '3_after']);
    expect(await tables(db.url)).toEqual(['after_held', 'fast', 'held']);
    results.row({
      case: `${signal} while a migration runs, the next one pipelined behind it`,
      held: 'neither committed; journal: interrupted; no lock held; next up applied both once',
      exit: done.code ?? 'none',
      ms,
    });
  });
});

describe('SIGINT in other places', () => {
  it("while an ALTER waits behind a reader: the ALTER leaves the lock queue at once, so the application's reads go on", async () => {
    const { db, project } = await sqlProject({
      '1_table.sql': 'CREATE TABLE busy (id int);\nINSERT INTO busy VALUES (1);\n',
    });
    expect((await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } })).code).toBe(0);
    project.write('db/2_alter.sql', 'ALTER TABLE busy ADD COLUMN c int;\n');
    const reader = await connected(db.url);
    await reader.query('BEGIN');
    await reader.query('SELECT * FROM busy');
    const run = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    await until('the ALTER waits for the reader', waitingOn(reader, "l.relation = 'busy'::regclass AND l.mode = 'AccessExclusiveLock'"));
    const signalled = Date.now();
    run.child.kill('SIGINT');
    const done = await run.done;
    const ms = Date.now() - signalled;
    expect(done.code).toBe(130);
    expect(ms).toBeLessThan(EXIT_MS);
    // Another session's read is not queued behind a dead ALTER: it answers while the reader still holds its transaction.
    const app = await connected(db.url);
    await app.query("SET statement_timeout = '5s'");
    expect((await app.query('SELECT count(*)::int AS n FROM busy')).rows).toEqual([{ n: 1 }]);
    await reader.query('COMMIT');
    expect(await query(db.url, "SELECT 1 FROM information_schema.columns WHERE table_name = 'busy' AND column_name = 'c'")).toEqual([]);
    await expectNothingHeld(db.url);
    results.row({ case: 'SIGINT while an ALTER TABLE waits behind a reader', held: 'the ALTER left the lock queue; a new read answered; column not added', exit: done.code ?? 'none', ms });
  });

  it('a second SIGINT exits at once', async () => {
    const { db, project } = await sqlProject({ '1_held.sql': `SELECT pg_advisory_lock(${BARRIER});\n` });
    const barrier = await heldBarrier(db.url);
    const run = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    await barrier.waiter({ detail: () => run.output().stderr });
    // The first SIGINT ends the step; recording the run as interrupted then waits on the run's row,
    // which the test holds (FOR NO KEY UPDATE lets the step's journal rows reference it meanwhile).
    // Two signals sent back to back would arrive as one: the second goes once the first is handled.
    const journal = await connected(db.url);
    await journal.query("BEGIN; SELECT 1 FROM polymigrate.runs WHERE outcome = 'running' FOR NO KEY UPDATE");
    run.child.kill('SIGINT');
    await until(
      'the interrupted run waits to record itself',
      async () => (await journal.query("SELECT 1 FROM pg_locks WHERE NOT granted AND locktype IN ('transactionid', 'tuple')")).rows.length > 0,
    );
    expect(run.output().stderr).toMatch(/SIGINT: stopping/);
    expect(run.child.exitCode).toBeNull();
    const signalled = Date.now();
    run.child.kill('SIGINT');
    const done = await run.done;
    expect(done.code).toBe(130);
    expect(Date.now() - signalled).toBeLessThan(EXIT_MS);
    await journal.query('COMMIT');
    await barrier.release();
  });

  it(
    'while Payload runs a migration: its child is stopped and its session ended, nothing of it commits',
    async () => {
      const db = await createTestDatabase('interrupt_payload');
      const project = payloadProject('pm-interrupt-payload-');
      cleanups.push(
        () => db.drop(),
        () => project.cleanup(),
      );
      const name = '20261123_000000_held';
      project.write(
        `payload/migrations/${name}.ts`,
        `import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'
export async function up({ db }: MigrateUpArgs): Promise<void> {
  await db.execute(sql\`CREATE TABLE "held_by_payload" (id int)\`)
  await db.execute(sql\`SELECT pg_advisory_lock(${BARRIER})\`)
}
export async function down({ db }: MigrateDownArgs): Promise<void> {
  await db.execute(sql\`DROP TABLE "held_by_payload"\`)
}
`,
      );
      const index = project.read('payload/migrations/index.ts');
      project.write('payload/migrations/index.ts', `import * as held from './${name}';\n${index.replace(/\n\];\s*$/, `\n  { up: held.up, down: held.down, name: '${name}' },\n];\n`)}`);
      const barrier = await heldBarrier(db.url);
      const run = spawnCli(['up', '--json'], {
        cwd: project.dir,
        env: { DATABASE_URL: db.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET },
        secrets: [PAYLOAD_TEST_SECRET],
        timeoutMs: budget(STEP_MS.payload),
      });
      await barrier.waiter({ timeoutMs: budget(STEP_MS.payload), detail: () => run.output().stderr });
      const signalled = Date.now();
      run.child.kill('SIGINT');
      const done = await run.done;
      const ms = Date.now() - signalled;
      expect(done.code).toBe(130);
      expect(ms).toBeLessThan(EXIT_MS);
      await barrier.release();
      // Nothing of the held migration: no table, no row; the two before it applied in the same batch stay as Payload left them.
      expect(await query(db.url, "SELECT 1 FROM pg_tables WHERE tablename = 'held_by_payload'")).toEqual([]);
      expect(await query(db.url, 'SELECT name FROM payload_migrations WHERE name = $1', [name])).toEqual([]);
      // Its sessions on this database (other test files run Payload on the same server); a terminated backend takes a moment to leave.
      const payloadSessions = () =>
        query<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'polymigrate payload%' AND datname = current_database()");
      await pollUntil("the Payload child's sessions to be gone", async () => (await payloadSessions())[0]!.n === 0, { timeoutMs: budget(5_000) });
      expect(await payloadSessions()).toEqual([{ n: 0 }]);
      expect(JSON.parse(done.stdout).outcome).toBe('interrupted');
      await expectNothingHeld(db.url);
      results.row({ case: 'SIGINT while Payload runs a migration', held: 'child stopped, its session ended; the migration left no table and no row', exit: done.code ?? 'none', ms });
    },
    testBudget({ payload: 2, cli: 1, query: 2 }),
  );
});
