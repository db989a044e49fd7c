import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { PAYLOAD_TEST_SECRET, payloadProject } from '../helpers/payload-project.js';
import { pollUntil } from '../helpers/poll-until.js';
import { runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { ResultRecorder } from './record-results.js';
import { jsonLogLines, spawnCli } from './reliability-helpers.js';

/**
 * A migration meets a table the application holds: an open transaction that read it (the
 * classic outage: the ALTER queues behind it, and every new read of the table queues behind the
 * ALTER). The reader is the test's own session, released only when the test has seen what it
 * waits for — never a sleep.
 */
const results = new ResultRecorder('10-lock-queues', {
  order: 10,
  title: 'Lock queues',
  summary: 'A session of the test holds `BEGIN; SELECT … FROM busy` while `up` runs `ALTER TABLE busy ADD COLUMN …` (and `CREATE INDEX CONCURRENTLY` behind an uncommitted write).',
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

async function setUp(migration: Record<string, string>) {
  const db = await createTestDatabase('lockq');
  const project = new TempProject('pm-lockq-');
  cleanups.push(
    () => db.drop(),
    () => project.cleanup(),
  );
  project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
  project.write('db/1_busy.sql', 'CREATE TABLE busy (id int);\nINSERT INTO busy VALUES (1);\n');
  expect((await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } })).code).toBe(0);
  for (const [name, sql] of Object.entries(migration)) project.write(`db/${name}`, sql);
  const reader = new pg.Client({ connectionString: db.url, application_name: 'reporting job' });
  await reader.connect();
  cleanups.push(() => reader.end().catch(() => undefined));
  return { db, project, reader };
}

/** Resolves once `text` has appeared in the child's output. */
async function seen(output: () => { stdout: string; stderr: string }, text: RegExp, timeoutMs = budget(STEP_MS.cli)): Promise<void> {
  const all = () => `${output().stdout}${output().stderr}`;
  await pollUntil(`${text} in the output`, () => text.test(all()), { timeoutMs, intervalMs: 20, detail: all });
}

const hasColumn = async (url: string) => (await query(url, "SELECT 1 FROM information_schema.columns WHERE table_name = 'busy' AND column_name = 'c'")).length > 0;

describe('lock queues', () => {
  it('without a timeout: while the ALTER waits, up says what it waits for and who blocks it (pretty and JSON), then applies once the reader is done', async () => {
    const { db, project, reader } = await setUp({ '2_alter.sql': 'ALTER TABLE busy ADD COLUMN c int;\n' });
    await reader.query('BEGIN');
    await reader.query("SELECT * FROM busy WHERE id = 1 AND 'secret-literal' <> ''");
    const pretty = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    await seen(
      pretty.output,
      /waits for a lock: AccessExclusiveLock on busy for \d+\.\ds, blocked by pid \d+ "reporting job" \(idle in transaction for [\d.]+s: SELECT \* FROM busy WHERE id = \? AND '\?' <> '\?'\)/,
    );
    await reader.query('COMMIT');
    const done = await pretty.done;
    expect(done.code).toBe(0);
    expect(done.stderr).not.toContain('secret-literal');
    expect(await hasColumn(db.url)).toBe(true);
    results.row({
      case: 'ALTER behind a reader, no timeout',
      held: 'after ~3 s it named the lock, the mode and the blocking session (query literals masked); applied once the reader committed',
      exit: done.code ?? 'none',
    });

    // The same as JSON log lines.
    project.write('db/3_alter.sql', 'ALTER TABLE busy ADD COLUMN d int;\n');
    await reader.query('BEGIN');
    await reader.query('SELECT * FROM busy');
    const json = spawnCli(['up', '--log-format', 'json'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    await seen(json.output, /"message":"3_alter waits for a lock"/);
    await reader.query('COMMIT');
    const jsonDone = await json.done;
    expect(jsonDone.code).toBe(0);
    const line = jsonLogLines(jsonDone.stderr).find((l) => l.message === '3_alter waits for a lock')!;
    expect(line).toMatchObject({ level: 'warn', engine: 'app', migration: '3_alter', lock: { target: 'busy', mode: 'AccessExclusiveLock' } });
    expect((line.blockers as Array<Record<string, unknown>>)[0]).toMatchObject({ applicationName: 'reporting job', state: 'idle in transaction', query: 'SELECT * FROM busy' });
  });

  it('--ddl-lock-timeout: each try gives way after the timeout and is rolled back; retries with backoff say what blocked them; once the reader is gone it applies', async () => {
    const { db, project, reader } = await setUp({ '2_alter.sql': 'ALTER TABLE busy ADD COLUMN c int;\n' });
    await reader.query('BEGIN');
    await reader.query('SELECT * FROM busy');
    const run = spawnCli(['up', '--ddl-lock-timeout', '0.5', '--ddl-retries', '10'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    // While it retries, the application's reads are not queued behind it for long: between tries
    // nothing holds or waits for the table.
    await seen(run.output, /lock timeout \(canceling statement due to lock timeout .*2_alter\.sql:1:1\).*blocked by pid \d+ "reporting job".*; try \d+ in/);
    const app = new pg.Client({ connectionString: db.url });
    await app.connect();
    cleanups.push(() => app.end().catch(() => undefined));
    await app.query("SET statement_timeout = '5s'");
    expect((await app.query('SELECT count(*)::int AS n FROM busy')).rows).toEqual([{ n: 1 }]);
    await reader.query('COMMIT');
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    expect(await hasColumn(db.url)).toBe(true);
    expect(await query(db.url, "SELECT count(*)::int AS n FROM polymigrate.sql_migrations WHERE id = '2_alter'")).toEqual([{ n: 1 }]);
    results.row({
      case: '--ddl-lock-timeout 0.5 --ddl-retries 10, reader released after the first retry',
      held: 'each try rolled back after 0.5 s; a read of the table answered meanwhile; applied once the reader was gone, recorded once',
      exit: done.code ?? 'none',
    });
  });

  it('--ddl-retries used up: the step fails with what blocked it, nothing of it stays, and the advice says the table was busy', async () => {
    const { db, project, reader } = await setUp({ '2_alter.sql': 'ALTER TABLE busy ADD COLUMN c int;\n' });
    await reader.query('BEGIN');
    await reader.query('SELECT * FROM busy');
    const out = await runCli(['up', '--ddl-lock-timeout', '0.3', '--ddl-retries', '2', '--json'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    await reader.query('COMMIT');
    expect(out.code).toBe(1);
    const failure = out.json().results.find((r: any) => r.status === 'failed');
    expect(failure.error.code).toBe('55P03');
    expect(failure.error.message).toMatch(/lock timeout .* — it waited for AccessExclusiveLock on busy .* blocked by pid \d+ "reporting job"/);
    expect(await hasColumn(db.url)).toBe(false);
    expect(await query(db.url, "SELECT id FROM polymigrate.sql_migrations WHERE id = '2_alter'")).toEqual([]);
    results.row({ case: '--ddl-retries 2 used up while the reader stays', held: 'failed with code 55P03 naming the blocking session; no column, no history row', exit: out.code });
  });

  it(
    "Payload's migrations: --ddl-lock-timeout bounds their lock waits (nothing of the migration stays), and without it their wait is reported with the blocker; it applies once the reader is gone",
    async () => {
      const db = await createTestDatabase('lockq_payload');
      const project = payloadProject('pm-lockq-payload-');
      cleanups.push(
        () => db.drop(),
        () => project.cleanup(),
      );
      const env = { DATABASE_URL: db.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET };
      const cli = (args: string[]) => runCli(args, { cwd: project.dir, env, timeoutMs: budget(STEP_MS.payload + STEP_MS.cli) });
      expect((await cli(['up'])).code).toBe(0);
      await query(db.url, 'CREATE TABLE busy (id int); INSERT INTO busy VALUES (1)');
      const name = '20261124_000000_alter_busy';
      project.write(
        `payload/migrations/${name}.ts`,
        `import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'
export async function up({ db }: MigrateUpArgs): Promise<void> {
  await db.execute(sql\`ALTER TABLE "busy" ADD COLUMN "c" int\`)
}
export async function down({ db }: MigrateDownArgs): Promise<void> {
  await db.execute(sql\`ALTER TABLE "busy" DROP COLUMN "c"\`)
}
`,
      );
      const index = project.read('payload/migrations/index.ts');
      project.write('payload/migrations/index.ts', `import * as alter from './${name}';\n${index.replace(/\n\];\s*$/, `\n  { up: alter.up, down: alter.down, name: '${name}' },\n];\n`)}`);
      const reader = new pg.Client({ connectionString: db.url, application_name: 'reporting job' });
      await reader.connect();
      cleanups.push(() => reader.end().catch(() => undefined));
      await reader.query('BEGIN');
      await reader.query('SELECT * FROM busy');
      // Without the timeout this run would wait for the reader as long as it stays.
      const timedOut = await cli(['up', '--ddl-lock-timeout', '0.5', '--json']);
      expect(timedOut.code, timedOut.stderr).toBe(1);
      const failure = timedOut.json().results.find((r: any) => r.status === 'failed');
      expect(failure).toMatchObject({ engine: 'cms', id: name });
      expect(failure.error.message).toMatch(/lock timeout/);
      expect(await hasColumn(db.url)).toBe(false);
      expect(await query(db.url, 'SELECT name FROM payload_migrations WHERE name = $1', [name])).toEqual([]);
      await reader.query('COMMIT');
      // Without a timeout the migration waits; what it waits for is reported like any step's, on that migration.
      await reader.query('BEGIN');
      await reader.query('SELECT * FROM busy');
      const run = spawnCli(['up'], { cwd: project.dir, env, secrets: [PAYLOAD_TEST_SECRET], timeoutMs: budget(STEP_MS.payload + STEP_MS.cli) });
      await seen(run.output, new RegExp(`cms ${name} waits for a lock: AccessExclusiveLock on busy .*blocked by pid \\d+ "reporting job"`), budget(STEP_MS.payload + STEP_MS.cli));
      expect(await hasColumn(db.url)).toBe(false);
      await reader.query('COMMIT');
      const applied = await run.done;
      expect(applied.code, applied.stderr).toBe(0);
      expect(await hasColumn(db.url)).toBe(true);
      results.row({
        case: '--ddl-lock-timeout 0.5 on a Payload migration while the reader stays',
        held: "Payload's connection gave up after 0.5 s; no column, no payload_migrations row; without the timeout its wait was reported naming the reader, and it applied once the reader was gone",
        exit: timedOut.code,
      });
    },
    testBudget({ payload: 3, cli: 3, query: 4 }),
  );

  it('CREATE INDEX CONCURRENTLY that times out waiting for a writer: the INVALID index it leaves is named, and it is not retried over it', async () => {
    const { db, project, reader } = await setUp({ '2_index.sql': '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY busy_id ON busy (id);\n' });
    await reader.query('BEGIN');
    await reader.query('INSERT INTO busy VALUES (2)');
    const out = await runCli(['up', '--ddl-lock-timeout', '0.5', '--ddl-retries', '3'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    await reader.query('ROLLBACK');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/up 2_index failed: canceling statement due to lock timeout .* left the INVALID index public\.busy_id behind .* DROP INDEX CONCURRENTLY public\.busy_id/);
    // Human output shows every retry line; there is none.
    expect(out.stdout + out.stderr).not.toMatch(/try 2 in/);
    expect(await query(db.url, "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'busy_id'")).toEqual([{ indisvalid: false }]);
    results.row({
      case: 'CREATE INDEX CONCURRENTLY times out behind an uncommitted write',
      held: 'the INVALID index it left is named with the DROP to run; not retried over it',
      exit: out.code,
    });
  });
});
