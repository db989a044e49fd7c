import os from 'node:os';
import pg from 'pg';
import { POLYMIGRATE_LOCK_KEY } from '../../src/lock/advisory-lock.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import type { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { ResultRecorder } from './record-results.js';
import { advisoryHolders, exampleProject, jsonLogLines, spawnCli, waitForNoHolder } from './reliability-helpers.js';

const SLOW = '20260121500000_slow_report';

const results = new ResultRecorder('4-lock-waits', {
  order: 4,
  title: 'Lock waits',
  summary: 'A real `up` holds the lock (it sleeps in a migration) while other commands run.',
});
let failed = false;

describe('lock waits', () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url } });

  beforeAll(async () => {
    db = await createTestDatabase('rellock');
    project = exampleProject('pm-rel-lock-', {
      // Long enough for three CLI runs on a loaded two-core machine while it sleeps.
      reporting: { [`${SLOW}.sql`]: 'CREATE TABLE reporting.slow_report (id int);\nSELECT pg_sleep(10);\n' },
    });
  });
  beforeEach(({ onTestFailed }) => onTestFailed(() => { failed = true; }));
  afterAll(async () => {
    await db.drop();
    project.cleanup();
    results.save(!failed);
  });

  it('--lock-timeout 1 against a running up: exit 5 naming host, pid and since (journal and pg_locks); status is never blocked', async () => {
    const holder = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    // The journal has the holder's run once it has planned under the lock.
    let run: { id: string; host: string; pid: number; started_at: Date } | undefined;
    for (let i = 0; !run; i += 1) {
      expect(i, 'the holder never journaled its run').toBeLessThan(600);
      await new Promise((r) => setTimeout(r, 25));
      const runs = await query<{ id: string; host: string; pid: number; started_at: Date }>(db.url,
        `SELECT id, host, pid, started_at FROM polymigrate.runs WHERE outcome = 'running'`).catch(() => []);
      run = runs[0];
    }
    expect(run.pid).toBe(holder.child.pid);
    const [serverPid] = await advisoryHolders(db.url);

    // status reads, never locks: it answers while the holder is still inside its slow step.
    const statusStarted = Date.now();
    const status = await cli('status', '--json');
    const statusMs = Date.now() - statusStarted;
    expect(status.code).toBe(3);
    expect((await advisoryHolders(db.url)).length).toBe(1);
    expect(statusMs).toBeLessThan(5_000);

    const started = Date.now();
    const waiter = await cli('up', '--lock-timeout', '1');
    const waitedMs = Date.now() - started;
    expect(waiter.code).toBe(5);
    expect(waiter.stderr).toContain('Timed out after 1s waiting for the migration lock');
    // From pg_locks + pg_stat_activity: the holder's session, its application name (host:pid) and since when.
    expect(waiter.stderr).toContain(`server pid ${serverPid}`);
    expect(waiter.stderr).toContain(`polymigrate lock ${os.hostname()}:${holder.child.pid}`);
    expect(waiter.stderr).toMatch(/connected since \d{4}-\d\d-\d\dT/);
    // From the journal: the run, its host, pid and start.
    expect(waiter.stderr).toContain(`journal run #${run.id}: up on host ${run.host}, pid ${run.pid}, since ${run.started_at.toISOString()}`);
    expect(waitedMs).toBeLessThan(10_000);

    const json = await cli('up', '--lock-timeout', '0', '--json', '--log-format', 'json');
    expect(json.code).toBe(5);
    expect(json.json().error.message).toContain(`journal run #${run.id}`);
    expect(jsonLogLines(json.stderr).some((l) => l.level === 'error' && l.exitCode === 5)).toBe(true);

    const finished = await holder.done;
    expect(finished.code, finished.stderr).toBe(0);
    expect(await waitForNoHolder(db.url)).toBeGreaterThanOrEqual(0);
    expect((await cli('status')).code).toBe(0);

    results.row({
      case: '`up --lock-timeout 1` while another `up` holds the lock',
      held: `exit 5 after ${waitedMs} ms, naming the holder's host, pid and start from the journal and its server pid and connection time from pg_locks`,
      exit: 5, ms: waitedMs,
    });
    results.row({ case: '`status` while the lock is held', held: `answered in ${statusMs} ms (it never takes the lock)`, exit: 3, ms: statusMs });
  }, 60_000);

  it('a run killed with -9 leaves its journal row "running"; a lock held by someone else is not blamed on it', async () => {
    project.write('sql/reporting/20260125000000_slow_again.sql', 'SELECT pg_sleep(5);\n');
    const victim = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    let deadRun: { id: string } | undefined;
    while (!deadRun) {
      await new Promise((r) => setTimeout(r, 25));
      deadRun = (await query<{ id: string }>(db.url, `SELECT id FROM polymigrate.runs WHERE outcome = 'running' AND pid = $1`, [victim.child.pid]))[0];
    }
    victim.child.kill('SIGKILL');
    await victim.done;
    expect(await waitForNoHolder(db.url)).toBeGreaterThanOrEqual(0);

    // Another database on the same server holds the same key: pg_locks lists it too, but it is not our lock.
    const elsewhere = await createTestDatabase('rellock_other');
    const neighbour = new pg.Client({ connectionString: elsewhere.url, application_name: 'neighbour database' });
    const other = new pg.Client({ connectionString: db.url, application_name: 'ops console' });
    await neighbour.connect();
    await other.connect();
    try {
      await neighbour.query('SELECT pg_advisory_lock($1::bigint)', [POLYMIGRATE_LOCK_KEY.toString()]);
      await other.query('SELECT pg_advisory_lock($1::bigint)', [POLYMIGRATE_LOCK_KEY.toString()]);
      const waiter = await cli('up', '--lock-timeout', '1');
      expect(waiter.code).toBe(5);
      expect(waiter.stderr).toContain('"ops console"');
      expect(waiter.stderr).not.toContain('neighbour database');
      expect(waiter.stderr).not.toContain(`journal run #${deadRun.id}`);
      results.row({ case: 'lock held by a non-polymigrate session after an earlier run was killed (its journal row still says running), and the same key held in another database of the server', held: 'exit 5 naming that session only: not the dead run, not the other database\'s holder', exit: 5 });
    } finally {
      await other.end();
      await neighbour.end();
      await elsewhere.drop();
    }
  }, 60_000);
});
