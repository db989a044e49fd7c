import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { catalogSnapshot } from '../../src/testing/catalog-snapshot.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/embedded-server.js';
import { pollUntil } from '../helpers/poll-until.js';
import { TempProject } from '../helpers/project.js';
import { forbidInOutput, runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { ResultRecorder } from './record-results.js';
import { spawnCli, type SpawnedCli } from './reliability-helpers.js';

forbidInOutput(TEST_PASSWORD);

/**
 * Ctrl-C while `verify` or `plan` replays migrations into the shadow (--shadow-url): the command
 * exits 130, the live database was only read, and nothing of the shadow's is left on its server —
 * no scratch database (`polymigrate_shadow_run_…`), no half-made template (`…_new_…`), no session,
 * no advisory lock. A second Ctrl-C exits at once, and then does leave the scratch database behind.
 *
 * A server of this file's own (as test/integration/shadow-url.test.ts) holds the live databases
 * and is the shadow server: its list of databases and its locks are exactly this file's.
 *
 * The barrier: the shadow replays into a database that does not exist until the replay starts,
 * and advisory locks (test/helpers/barrier.ts) belong to one database — a lock the test holds
 * elsewhere never meets the replay's. A lock on a shared object does: COMMENT ON ROLE locks the
 * role (ShareUpdateExclusiveLock, which conflicts with itself) for the rest of the transaction,
 * in whichever database it runs. So the test holds an open transaction that commented on a role
 * of its own, and the migration that must wait comments on that role too: it waits (pg_locks:
 * locktype 'object' on pg_authid, not granted) until the test ends its transaction, and whether
 * it ever committed afterwards reads back from the role's comment.
 */
const EXIT_MS = budget(5_000);
const GATE_ROLE = 'pm_shadow_gate';
const results = new ResultRecorder('9b-shadow-interrupts', {
  order: 9.5,
  title: 'Interrupts: verify and plan',
  summary:
    '`verify` and `plan` (`--shadow-url`, a server of the test) are sent SIGINT while the shadow replays or traces a migration held at a barrier the test controls (a lock on a role: the scratch database does not exist beforehand).',
});
let failed = false;

let server: TestServer;
const adminOf = (db: string) => server.adminUrl.replace(/\/postgres$/, `/${db}`);
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(
  async () => {
    server = await startTestServer();
    await sql('postgres', `CREATE ROLE ${GATE_ROLE} NOLOGIN`);
  },
  testBudget({ server: 1, query: 1 }),
);
afterAll(
  async () => {
    await server?.stop();
    results.save(!failed);
  },
  testBudget({ server: 1 }),
);
beforeEach(({ onTestFailed }) =>
  onTestFailed(() => {
    failed = true;
  }),
);
afterEach(
  async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  },
  testBudget({ query: 3 }),
);

async function sql<R extends Record<string, unknown> = Record<string, unknown>>(db: string, text: string, values?: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: adminOf(db) });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The migration that waits at the gate; its comment says it got through (and committed). `tag`
 * makes its checksum the test's own: the shadow's cache (keyed by checksums) would otherwise hold
 * another test's replay of it, and the replay would never reach the gate.
 */
const gateMigration = (tag: string) => `-- ${tag}\nCREATE TABLE gated (id int);\nCOMMENT ON ROLE ${GATE_ROLE} IS 'a migration got through';\n`;

/** What the role's comment says now: 'a migration got through' once a migration at the gate committed. */
async function gateComment(): Promise<string | null> {
  const [row] = await sql<{ c: string | null }>('postgres', `SELECT shobj_description(oid, 'pg_authid') AS c FROM pg_roles WHERE rolname = $1`, [GATE_ROLE]);
  return row!.c;
}

/** The test's side of the gate: an open transaction that commented on the role. */
class Gate {
  private constructor(private readonly holder: pg.Client) {}

  static async hold(): Promise<Gate> {
    await sql('postgres', `COMMENT ON ROLE ${GATE_ROLE} IS 'closed'`);
    const holder = new pg.Client({ connectionString: adminOf('postgres'), application_name: 'test gate' });
    await holder.connect();
    await holder.query(`BEGIN; COMMENT ON ROLE ${GATE_ROLE} IS 'held by the test'`);
    const gate = new Gate(holder);
    cleanups.push(() => gate.release());
    return gate;
  }

  /** The session waiting at the gate, and the database it is in (the shadow's scratch database). */
  async waiter(): Promise<{ pid: number; database: string } | undefined> {
    // On a connection of its own: inside the holder's transaction, pg_stat_activity is a snapshot taken at its first read.
    const rows = await sql<{ pid: number; database: string }>(
      'postgres',
      `SELECT a.pid, a.datname AS database FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'object' AND NOT l.granted AND l.classid = 'pg_authid'::regclass
          AND l.objid = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
      [GATE_ROLE],
    );
    return rows[0];
  }

  /** Idempotent: the ROLLBACK leaves the role's comment as it was ('closed'). */
  async release(): Promise<void> {
    await this.holder.query('ROLLBACK').catch(() => undefined);
    await this.holder.end().catch(() => undefined);
  }
}

/** The shadow's databases on the server: what a run leaves is checked against this. */
async function shadowDatabases(): Promise<string[]> {
  return (await sql<{ d: string }>('postgres', "SELECT datname AS d FROM pg_database WHERE datname LIKE 'polymigrate\\_shadow\\_%' ORDER BY 1")).map((r) => r.d);
}
/** Transients: a replay's scratch database or a template being made. Cached templates (`…_cache_…`) are meant to stay. */
const transients = (names: string[]) => names.filter((d) => /^polymigrate_shadow_(run|new)_/.test(d));

/** Advisory locks held on the whole server: only polymigrate takes any here. */
async function advisoryLocks(): Promise<number> {
  return Number((await sql<{ n: number }>('postgres', "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'"))[0]!.n);
}

async function sessionsOn(database: string): Promise<number> {
  return Number((await sql<{ n: number }>('postgres', 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database]))[0]!.n);
}

/** A live database on this file's server and an SQL-folder project pointed at it. */
async function liveProject(files: Record<string, string>): Promise<{ url: string; project: TempProject; env: Record<string, string> }> {
  const name = `live_${Math.random().toString(36).slice(2, 10)}`;
  await sql('postgres', `CREATE DATABASE ${name}`);
  const project = new TempProject('pm-shadow-interrupt-');
  cleanups.push(
    () => sql('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined),
    () => project.cleanup(),
  );
  project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
  for (const [file, text] of Object.entries(files)) project.write(`db/${file}`, text);
  return { url: adminOf(name), project, env: { DATABASE_URL: adminOf(name) } };
}

function start(command: 'verify' | 'plan', project: TempProject, env: Record<string, string>): SpawnedCli {
  return spawnCli([command, '--shadow-url', server.adminUrl], { cwd: project.dir, env, secrets: [TEST_PASSWORD] });
}

async function run(command: 'verify' | 'plan' | 'up', project: TempProject, env: Record<string, string>) {
  const args = command === 'up' ? ['up'] : [command, '--shadow-url', server.adminUrl];
  return runCli(args, { cwd: project.dir, env, timeoutMs: budget(STEP_MS.cli) });
}

/** Interrupted, said so in one line, and no stack trace. */
function expectInterrupted(done: { code: number | null; stderr: string }, where: RegExp): void {
  expect(done.code, done.stderr).toBe(130);
  expect(done.stderr).toMatch(/Interrupted by SIGINT/);
  expect(done.stderr).toMatch(where);
  expect(done.stderr).not.toMatch(/^\s+at /m);
}

/** Nothing of the shadow's left on the server once the process is gone: no transient database, no session, no lock. */
async function expectNothingLeft(scratch: string, cachedBefore: string[]): Promise<void> {
  const after = await shadowDatabases();
  expect(transients(after)).toEqual([]);
  expect(after).not.toContain(scratch);
  // Cached prefixes may have been added (replayed before the gate): only cache templates, never removed ones.
  for (const name of cachedBefore) expect(after).toContain(name);
  expect(await sessionsOn(scratch)).toBe(0);
  await pollUntil('no advisory lock held on the server', async () => (await advisoryLocks()) === 0, { timeoutMs: budget(STEP_MS.query) });
}

describe('SIGINT while the shadow replays (verify)', () => {
  it('exits 130 while the migration still waits, leaves no scratch database, session or lock, and the next verify passes', async () => {
    const { url, project, env } = await liveProject({ '1_base.sql': 'CREATE TABLE base (id int);\n', '2_gate.sql': gateMigration('verify, one SIGINT') });
    expect((await run('up', project, env)).code).toBe(0);
    const live = await catalogSnapshot(url);
    const cachedBefore = await shadowDatabases();
    const gate = await Gate.hold();
    const cli = start('verify', project, env);
    const waiter = await pollUntil('the replay of 2_gate waits at the gate', () => gate.waiter(), { detail: () => cli.output().stderr });
    expect(waiter.database).toMatch(/^polymigrate_shadow_run_/);
    const signalled = Date.now();
    cli.child.kill('SIGINT');
    // The gate still holds: the process must not wait for the migration it interrupted.
    const done = await cli.done;
    const ms = Date.now() - signalled;
    expectInterrupted(done, /while the shadow replayed the migrations/);
    expect(ms).toBeLessThan(EXIT_MS);
    await gate.release();
    // Had the replay's session survived the signal, 2_gate would commit now (on the scratch database, if it still existed).
    expect(await gateComment()).toBe('closed');
    await expectNothingLeft(waiter.database, cachedBefore);
    expect(await catalogSnapshot(url)).toEqual(live);
    const again = await run('verify', project, env);
    expect(again.code, again.stderr).toBe(0);
    expect(transients(await shadowDatabases())).toEqual([]);
    results.row({
      case: 'verify: SIGINT while the replay waits in a migration',
      held: 'exited with the migration still waiting; scratch database dropped, no session or lock left; live database unchanged; next verify exit 0',
      exit: done.code ?? 'none',
      ms,
    });
  });
});

describe('SIGINT while plan traces a pending migration', () => {
  it('exits 130 while the traced migration still waits, leaves no scratch database, session or lock, and the next plan runs', async () => {
    const { url, project, env } = await liveProject({ '1_base.sql': 'CREATE TABLE base (id int);\n' });
    expect((await run('up', project, env)).code).toBe(0);
    // The gate in the last pending migration: stopping between migrations would not be enough, the trace itself must end.
    project.write('db/2_gate.sql', gateMigration('plan, one SIGINT'));
    const live = await catalogSnapshot(url);
    const cachedBefore = await shadowDatabases();
    const gate = await Gate.hold();
    const cli = start('plan', project, env);
    const waiter = await pollUntil('the trace of 2_gate waits at the gate', () => gate.waiter(), { detail: () => cli.output().stderr });
    expect(waiter.database).toMatch(/^polymigrate_shadow_run_/);
    const signalled = Date.now();
    cli.child.kill('SIGINT');
    const done = await cli.done;
    const ms = Date.now() - signalled;
    expectInterrupted(done, /while plan traced the pending migrations/);
    expect(ms).toBeLessThan(EXIT_MS);
    await gate.release();
    // Had the trace's session survived the signal, 2_gate would run now.
    expect(await gateComment()).toBe('closed');
    await expectNothingLeft(waiter.database, cachedBefore);
    expect(await catalogSnapshot(url)).toEqual(live);
    const again = await run('plan', project, env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/2_gate/);
    expect(transients(await shadowDatabases())).toEqual([]);
    results.row({
      case: 'plan: SIGINT while the trace of the last pending migration waits on a lock',
      held: 'exited with the traced statement still waiting (ended, never ran); scratch database dropped, no session or lock left; live database unchanged; next plan exit 0',
      exit: done.code ?? 'none',
      ms,
    });
  });
});

describe('a second SIGINT', () => {
  /**
   * The second signal must land while the first one's clean-up still runs, and that clean-up takes
   * milliseconds: so the test holds it too. DROP DATABASE waits for a lock on the database (an
   * object lock, like the gate's): the test comments on the scratch database in an open
   * transaction, and sends the second SIGINT once the shadow's DROP is seen waiting for it.
   */
  it('exits at once, even while the first one still drops the scratch database; what it leaves, the next run on a shared server keeps (it is under a day old)', async () => {
    const { url, project, env } = await liveProject({ '1_base.sql': 'CREATE TABLE base (id int);\n', '2_gate.sql': gateMigration('verify, two SIGINTs') });
    expect((await run('up', project, env)).code).toBe(0);
    const live = await catalogSnapshot(url);
    const gate = await Gate.hold();
    const cli = start('verify', project, env);
    const { database: scratch } = await pollUntil('the replay waits at the gate', () => gate.waiter(), { detail: () => cli.output().stderr });
    const dropHold = await holdDatabaseObject(scratch);
    cleanups.push(() => sql('postgres', `DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`).then(() => undefined));
    cli.child.kill('SIGINT');
    const drop = await pollUntil('the first SIGINT drops the scratch database (held by the test)', () => dropHold.waiter(), { detail: () => cli.output().stderr });
    const signalled = Date.now();
    cli.child.kill('SIGINT');
    const done = await cli.done;
    const ms = Date.now() - signalled;
    expect(done.code, done.stderr).toBe(130);
    expect(ms).toBeLessThan(EXIT_MS);
    expect(done.stderr).not.toMatch(/^\s+at /m);
    await gate.release();
    // The first SIGINT had ended the replay's session before its DROP: the gated migration never committed.
    expect(await gateComment()).toBe('closed');
    // The DROP the process had sent is still waiting; end it, as if the second signal had come before it was sent.
    await sql('postgres', 'SELECT pg_terminate_backend($1)', [drop.pid]);
    await dropHold.release();
    expect(await shadowDatabases()).toContain(scratch);
    expect(await sessionsOn(scratch)).toBe(0);
    await pollUntil('no advisory lock held on the server', async () => (await advisoryLocks()) === 0, { timeoutMs: budget(STEP_MS.query) });
    expect(await catalogSnapshot(url)).toEqual(live);
    // The next run works, and leaves the other run's scratch database alone: on a server given as
    // --shadow-url, only transients older than a day are taken for a dead run's (dropStaleTransients).
    const again = await run('verify', project, env);
    expect(again.code, again.stderr).toBe(0);
    expect(transients(await shadowDatabases())).toEqual([scratch]);
    results.row({
      case: 'verify: a second SIGINT while the first still drops the scratch database',
      held: 'exited at once; the migration never committed; the scratch database stays, and the next verify (exit 0) keeps it: on a --shadow-url server only transients a day old are dropped',
      exit: done.code ?? 'none',
      ms,
    });
  });
});

/** An open transaction that commented on a database: its DROP waits until `release()`. */
async function holdDatabaseObject(database: string): Promise<{ waiter(): Promise<{ pid: number } | undefined>; release(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: adminOf('postgres'), application_name: 'test drop hold' });
  await holder.connect();
  await holder.query(`BEGIN; COMMENT ON DATABASE ${database} IS 'held by the test'`);
  const release = async () => {
    await holder.query('ROLLBACK').catch(() => undefined);
    await holder.end().catch(() => undefined);
  };
  cleanups.push(release);
  return {
    release,
    waiter: async () =>
      (
        await sql<{ pid: number }>(
          'postgres',
          `SELECT l.pid FROM pg_locks l WHERE l.locktype = 'object' AND NOT l.granted AND l.mode = 'AccessExclusiveLock'
            AND l.classid = 'pg_database'::regclass AND l.objid = (SELECT oid FROM pg_database WHERE datname = $1)`,
          [database],
        )
      )[0],
  };
}
