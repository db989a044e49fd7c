import { spawn } from 'node:child_process';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { POLYMIGRATE_LOCK_KEY, POLYMIGRATE_STEP_GUARD_KEY } from '../../src/lock/advisory-lock.js';
import { query } from '../helpers/database.js';
import { cliProject } from '../helpers/cli-project.js';
import { CLI } from '../helpers/run-cli.js';

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
    // Slow enough that the second process certainly finds the lock taken.
    project.write('db/1_slow.sql', 'CREATE TABLE slow (id int);\nSELECT pg_sleep(1.5);\n');
    project.write('db/2_more.sql', 'CREATE TABLE more (id int);\n');
  });
  const { cli } = t;

  it('two up processes started together: one applies, the other waits and applies nothing', async () => {
    const [a, b] = await Promise.all([cli('up', '--json'), cli('up', '--json')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const applied = [a, b].map((r) => r.json().results.length).sort();
    expect(applied).toEqual([0, 2]);
    const history = await query(t.db.url, 'SELECT id FROM polymigrate.sql_migrations ORDER BY id');
    expect(history).toEqual([{ id: '1_slow' }, { id: '2_more' }]);
    const runs = await query<{ steps: string }>(t.db.url,
      `SELECT count(s.seq)::text AS steps FROM polymigrate.runs r LEFT JOIN polymigrate.steps s ON s.run_id = r.id GROUP BY r.id ORDER BY 1`);
    expect(runs.map((r) => r.steps)).toEqual(['0', '2']);
  });

  it('a held lock times out with exit 5, names the holder, and never blocks status', async () => {
    await whileHeld(t.db.url, POLYMIGRATE_LOCK_KEY, 'deploy-bot on ci-7', async () => {
      t.project.write('db/3_new.sql', 'CREATE TABLE newer (id int);\n');
      const started = Date.now();
      const up = await cli('up', '--lock-timeout', '1');
      expect(up.code).toBe(5);
      expect(Date.now() - started).toBeLessThan(15_000);
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
    t.project.write('db/4_killed.sql', 'CREATE TABLE killed_mid (id int);\nSELECT pg_sleep(2);\n');
    t.project.write('db/5_after.sql', 'CREATE TABLE after_killed (id int);\n');
    t.project.write('db/6_last.sql', 'CREATE TABLE last_one (id int);\n');
    const child = spawn(process.execPath, [CLI, 'up'], { cwd: t.project.dir, env: { ...process.env, DATABASE_URL: t.db.url }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('close', resolve));
    // Kill the process once the server is running the step's query.
    for (let i = 0; i < 400; i += 1) {
      if ((await query(t.db.url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%killed_mid%' AND state = 'active' AND pid <> pg_backend_pid()")).length > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await exited;
    // The dead run's step is still running on the server: not yet in the history.
    expect(await query(t.db.url, "SELECT id FROM polymigrate.sql_migrations WHERE id = '4_killed'")).toEqual([]);
    const next = await cli('up', '--json');
    expect(next.code, next.stderr).toBe(0);
    // It waited for the killed run's session: 4 and 5 (sent behind 4, see sendOneQueryStep)
    // committed there; 6 had not been sent. So this run applied 6 only, and 4 and 5 exactly once.
    expect(next.json().results.map((r: any) => `${r.id}:${r.status}`)).toEqual(['6_last:applied']);
    const history = await query<{ id: string }>(t.db.url, "SELECT id FROM polymigrate.sql_migrations WHERE id IN ('4_killed', '5_after', '6_last') ORDER BY id");
    expect(history.map((r) => r.id)).toEqual(['4_killed', '5_after', '6_last']);
    expect((await cli('status')).code).toBe(0);
  });

  it('a step guard still held (a killed run\'s migration running on) times out with exit 5 and says what that is and what to do', async () => {
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
