import os from 'node:os';
import pg from 'pg';
import { POLYMIGRATE_LOCK_KEY, POLYMIGRATE_STEP_GUARD_KEY } from '../../src/lock/advisory-lock.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Barrier, barrierSql } from '../helpers/barrier.js';
import { createTestDatabase, query } from '../helpers/database.js';
import type { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { budget, testBudget } from '../helpers/time-budget.js';
import { ResultRecorder } from './record-results.js';
import { advisoryHolders, exampleProject, jsonLogLines, spawnCli, waitForNoHolder } from './reliability-helpers.js';

const SLOW = '20260121500000_slow_report';

const results = new ResultRecorder('4-lock-waits', {
  order: 4,
  title: 'Lock waits',
  summary:
    'A real `up` holds the lock while other commands run: one of its migrations waits at a barrier the test holds ' +
    '(an advisory lock), released only after the other commands have finished.',
});
let failed = false;

describe('lock waits', () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url } });

  beforeAll(async () => {
    db = await createTestDatabase('rellock');
    project = exampleProject('pm-rel-lock-', {
      // Waits at the test's barrier, for as long as the test holds it: the run holds the lock until then.
      reporting: { [`${SLOW}.sql`]: `CREATE TABLE reporting.slow_report (id int);\n${barrierSql()}\n` },
    });
  });
  beforeEach(({ onTestFailed }) =>
    onTestFailed(() => {
      failed = true;
    }),
  );
  afterAll(async () => {
    await db.drop();
    project.cleanup();
    results.save(!failed);
  });

  it(
    '--lock-timeout 1 against a running up: exit 5 naming host, pid and since (journal and pg_locks); status is never blocked',
    async () => {
      const barrier = await Barrier.hold(db.url);
      const holder = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url }, timeoutMs: testBudget({ cli: 4 }) });
      try {
        // The holder's step waits at the barrier: from now until the release it holds the lock.
        const atBarrier = await barrier.waiter({ detail: () => holder.output().stderr });
        expect(atBarrier.applicationName).toContain(`:${holder.child.pid}`);
        const runs = await query<{ id: string; host: string; pid: number; started_at: Date }>(db.url, `SELECT id, host, pid, started_at FROM polymigrate.runs WHERE outcome = 'running'`);
        expect(runs.map((r) => r.pid)).toEqual([holder.child.pid]);
        const run = runs[0]!;
        const serverPids = await advisoryHolders(db.url);
        expect(serverPids).toHaveLength(1);

        // status reads, never locks: it answers while the holder is inside its step.
        const statusStarted = Date.now();
        const status = await cli('status', '--json');
        const statusMs = Date.now() - statusStarted;
        expect(status.code, status.stderr).toBe(3);
        const reporting = status.json().engines.find((e: { name: string }) => e.name === 'reporting');
        expect(reporting.migrations.find((m: { id: string }) => m.id === SLOW).state).toBe('pending');
        expect(await advisoryHolders(db.url)).toEqual(serverPids);
        expect(statusMs).toBeLessThan(budget(5_000));

        const started = Date.now();
        const waiter = await cli('up', '--lock-timeout', '1');
        const waitedMs = Date.now() - started;
        expect(waiter.code, waiter.stderr).toBe(5);
        expect(waiter.stderr).toContain('Timed out after 1s waiting for the migration lock');
        // From pg_locks + pg_stat_activity: the holder's session, its application name (host:pid) and since when.
        expect(waiter.stderr).toContain(`server pid ${serverPids[0]}`);
        expect(waiter.stderr).toContain(`polymigrate lock ${os.hostname()}:${holder.child.pid}`);
        expect(waiter.stderr).toMatch(/connected since \d{4}-\d\d-\d\dT/);
        // From the journal: the run, its host, pid and start.
        expect(waiter.stderr).toContain(`journal run #${run.id}: up on host ${run.host}, pid ${run.pid}, since ${run.started_at.toISOString()}`);
        expect(waitedMs).toBeLessThan(budget(10_000));

        const json = await cli('up', '--lock-timeout', '0', '--json', '--log-format', 'json');
        expect(json.code, json.stderr).toBe(5);
        expect(json.json().error.message).toContain(`journal run #${run.id}`);
        expect(jsonLogLines(json.stderr).some((l) => l.level === 'error' && l.exitCode === 5)).toBe(true);

        // All of the above happened while the holder's step still waited at the barrier.
        expect((await barrier.waiters()).map((w) => w.pid)).toEqual([atBarrier.pid]);
        expect(holder.child.exitCode).toBeNull();
        results.row({
          case: '`up --lock-timeout 1` while another `up` holds the lock',
          held: `exit 5 after ${waitedMs} ms, naming the holder's host, pid and start from the journal and its server pid and connection time from pg_locks`,
          exit: 5,
          ms: waitedMs,
        });
        results.row({ case: '`status` while the lock is held', held: `answered in ${statusMs} ms (it never takes the lock)`, exit: 3, ms: statusMs });
      } finally {
        await barrier.release();
      }

      // Released, the holder finishes its run.
      const finished = await holder.done;
      expect(finished.code, finished.stderr).toBe(0);
      expect(await waitForNoHolder(db.url)).toBeGreaterThanOrEqual(0);
      expect((await cli('status')).code).toBe(0);
    },
    testBudget({ cli: 8 }),
  );

  it(
    'a run killed with -9 leaves its journal row "running"; a lock held by someone else is not blamed on it',
    async () => {
      project.write('sql/reporting/20260125000000_slow_again.sql', `${barrierSql()}\n`);
      const barrier = await Barrier.hold(db.url);
      const victim = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
      let deadRun: { id: string };
      try {
        // Killed while its step waits at the barrier: certainly mid-run, its journal row written.
        await barrier.waiter({ detail: () => victim.output().stderr });
        const running = await query<{ id: string }>(db.url, `SELECT id FROM polymigrate.runs WHERE outcome = 'running' AND pid = $1`, [victim.child.pid]);
        expect(running).toHaveLength(1);
        deadRun = running[0]!;
        victim.child.kill('SIGKILL');
        expect((await victim.done).signal).toBe('SIGKILL');
      } finally {
        // The dead run's step goes on on the server (and commits there), then its session ends.
        await barrier.release();
      }
      expect(await waitForNoHolder(db.url)).toBeGreaterThanOrEqual(0);
      expect(await waitForNoHolder(db.url, POLYMIGRATE_STEP_GUARD_KEY)).toBeGreaterThanOrEqual(0);
      // Nobody finishes a killed run's journal row.
      expect(await query(db.url, 'SELECT outcome FROM polymigrate.runs WHERE id = $1', [deadRun.id])).toEqual([{ outcome: 'running' }]);

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
        results.row({
          case: 'lock held by a non-polymigrate session after an earlier run was killed (its journal row still says running), and the same key held in another database of the server',
          held: "exit 5 naming that session only: not the dead run, not the other database's holder",
          exit: 5,
        });
      } finally {
        await other.end();
        await neighbour.end();
        await elsewhere.drop();
      }
    },
    testBudget({ cli: 4, query: 2 }),
  );
});
