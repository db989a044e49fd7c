import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { POLYMIGRATE_LOCK_KEY, POLYMIGRATE_STEP_GUARD_KEY } from '../../src/lock/advisory-lock.js';
import { Barrier, barrierSql } from '../helpers/barrier.js';
import { query } from '../helpers/database.js';
import { cliProject } from '../helpers/cli-project.js';
import { pollUntil } from '../helpers/poll-until.js';
import { budget, testBudget } from '../helpers/time-budget.js';
import { spawnCli } from '../reliability/reliability-helpers.js';

/** Run `body` while another session (named `applicationName`) holds advisory lock `key`. */
async function whileHeld(url: string, key: bigint, applicationName: string, body: () => Promise<void>): Promise<void> {
  const holder = new pg.Client({ connectionString: url, application_name: applicationName });
  await holder.connect();
  try {
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [key.toString()]);
    await body();
  } finally {
    await holder.end();
  }
}

describe('one lock for the whole run', () => {
  const t = cliProject('lock', async (project) => {
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    // Waits at the test's barrier while the test holds it (the first test), so that the second
    // process certainly finds the lock taken.
    project.write('db/1_slow.sql', `CREATE TABLE slow (id int);\n${barrierSql()}\n`);
    project.write('db/2_more.sql', 'CREATE TABLE more (id int);\n');
  });
  const { cli } = t;

  it('two up processes started together: one applies, the other waits and applies nothing', async () => {
    const barrier = await Barrier.hold(t.db.url);
    const ups = [0, 1].map(() => spawnCli(['up', '--json'], { cwd: t.project.dir, env: { DATABASE_URL: t.db.url }, timeoutMs: testBudget({ cli: 2 }) }));
    const output = () => ups.map((r) => r.output().stderr).join('\n---\n');
    let first: (typeof ups)[number];
    let second: (typeof ups)[number];
    try {
      // One holds the lock and waits at the barrier in 1_slow; the other must then be waiting for the lock.
      const atBarrier = await barrier.waiter({ detail: output });
      const index = ups.findIndex((r) => atBarrier.applicationName.endsWith(`:${r.child.pid}`));
      expect(index, atBarrier.applicationName).toBeGreaterThanOrEqual(0);
      first = ups[index]!;
      second = ups[1 - index]!;
      await pollUntil('the second up to wait for the lock', () => second.output().stderr.includes('Waiting for the migration lock'), { detail: output });
    } finally {
      await barrier.release();
    }
    const [a, b] = await Promise.all([first.done, second.done]);
    expect([a.code, b.code], output()).toEqual([0, 0]);
    expect(JSON.parse(a.stdout).results.map((r: { id: string; status: string }) => `${r.id}:${r.status}`)).toEqual(['1_slow:applied', '2_more:applied']);
    expect(JSON.parse(b.stdout).results).toEqual([]);
    const history = await query(t.db.url, 'SELECT id FROM polymigrate.sql_migrations ORDER BY id');
    expect(history).toEqual([{ id: '1_slow' }, { id: '2_more' }]);
    const runs = await query<{ steps: string }>(
      t.db.url,
      `SELECT count(s.seq)::text AS steps FROM polymigrate.runs r LEFT JOIN polymigrate.steps s ON s.run_id = r.id GROUP BY r.id ORDER BY 1`,
    );
    expect(runs.map((r) => r.steps)).toEqual(['0', '2']);
  });

  it('a held lock times out with exit 5, names the holder, and never blocks status', async () => {
    await whileHeld(t.db.url, POLYMIGRATE_LOCK_KEY, 'deploy-bot on ci-7', async () => {
      t.project.write('db/3_new.sql', 'CREATE TABLE newer (id int);\n');
      const started = Date.now();
      const up = await cli('up', '--lock-timeout', '1');
      expect(up.code).toBe(5);
      expect(Date.now() - started).toBeLessThan(budget(15_000));
      expect(up.stderr).toContain('Timed out after 1s waiting for the migration lock');
      expect(up.stderr).toContain('deploy-bot on ci-7');
      expect(up.stderr).toMatch(/server pid \d+/);
      const status = await cli('status');
      expect(status.code).toBe(3);
    });
    const up = await cli('up');
    expect(up.code).toBe(0);
  });

  it('kill -9 mid-step: the steps already sent commit on the server; the next up waits for them and applies only the rest', async () => {
    t.project.write('db/4_killed.sql', `CREATE TABLE killed_mid (id int);\n${barrierSql()}\n`);
    t.project.write('db/5_after.sql', 'CREATE TABLE after_killed (id int);\n');
    t.project.write('db/6_last.sql', 'CREATE TABLE last_one (id int);\n');
    const barrier = await Barrier.hold(t.db.url);
    let next: ReturnType<typeof spawnCli>;
    try {
      const child = spawnCli(['up'], { cwd: t.project.dir, env: { DATABASE_URL: t.db.url } });
      // Kill the process while the server runs the step's query: it waits at the barrier.
      const atBarrier = await barrier.waiter({ detail: () => child.output().stderr });
      expect(atBarrier.applicationName).toContain(`:${child.child.pid}`);
      child.child.kill('SIGKILL');
      expect((await child.done).signal).toBe('SIGKILL');
      // The dead run's step is still running on the server: not yet in the history.
      expect(await query(t.db.url, "SELECT id FROM polymigrate.sql_migrations WHERE id = '4_killed'")).toEqual([]);
      // The next up must wait for that session (the step guard) before it reads any history.
      next = spawnCli(['up', '--json'], { cwd: t.project.dir, env: { DATABASE_URL: t.db.url } });
      await pollUntil('the next up to wait for the step guard', () => next.output().stderr.includes('Waiting for the step guard'), { detail: () => next.output().stderr });
      expect(await query(t.db.url, "SELECT id FROM polymigrate.sql_migrations WHERE id = '4_killed'")).toEqual([]);
    } finally {
      await barrier.release();
    }
    const done = await next.done;
    expect(done.code, done.stderr).toBe(0);
    // It waited for the killed run's session: 4 committed there, and 5 too when the dead process
    // had already sent it behind 4 (see sendOneQueryStep) — whether it had depends on how far the
    // process got before the kill, which the test does not control. Either way this run applied
    // exactly what had not committed, 6 always, and every migration is recorded once.
    const applied = JSON.parse(done.stdout).results.map((r: { id: string; status: string }) => `${r.id}:${r.status}`);
    expect([['6_last:applied'], ['5_after:applied', '6_last:applied']]).toContainEqual(applied);
    const history = await query<{ id: string }>(t.db.url, "SELECT id FROM polymigrate.sql_migrations WHERE id IN ('4_killed', '5_after', '6_last') ORDER BY id");
    expect(history.map((r) => r.id)).toEqual(['4_killed', '5_after', '6_last']);
    expect((await cli('status')).code).toBe(0);
  });

  it("a step guard still held (a killed run's migration running on) times out with exit 5 and says what that is and what to do", async () => {
    await whileHeld(t.db.url, POLYMIGRATE_STEP_GUARD_KEY, 'polymigrate run old-host:4242', async () => {
      t.project.write('db/7_guarded.sql', 'CREATE TABLE guarded (id int);\n');
      const up = await cli('up', '--lock-timeout', '1');
      expect(up.code).toBe(5);
      // The progress line while it waits names the guard too.
      expect(up.stderr).toContain('Waiting for the step guard: a session of an earlier run is still running its last migrations');
      expect(up.stderr).toContain('waiting for the step guard: a session of an earlier run is still running its last migrations');
      expect(up.stderr).toContain('old-host:4242');
      expect(up.stderr).toMatch(/server pid \d+/);
      expect(up.stderr).toContain('pg_terminate_backend');
      expect(await query(t.db.url, "SELECT to_regclass('guarded') IS NULL AS absent")).toEqual([{ absent: true }]);
    });
    expect((await cli('up')).code).toBe(0);
  });
});
