import { describe, expect, it } from 'vitest';
import { catalogSnapshot, query } from '../helpers/database.js';
import { cliProject } from '../helpers/cli-project.js';

/**
 * The core slice end to end: two SQL engines on one database, driven through the built CLI.
 * auth has no down files; cms has downs (a .down.sql file and a -- migrate:down section).
 */
describe('two SQL engines through the CLI', () => {
  const t = cliProject('cli', async (project) => {
    project.config({
      engines: [
        { kind: 'sql', name: 'auth', migrations: 'db/auth' },
        { kind: 'sql', name: 'cms', migrations: 'db/cms' },
      ],
    });
    project.write('db/auth/20260101000000_users.sql', 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);\n');
    project.write('db/auth/20260102000000_sessions.sql', 'CREATE TABLE sessions (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users(id));\n');
    project.write(
      'db/cms/20260101000000_posts.sql',
      '-- migrate:up\nCREATE TABLE posts (id serial PRIMARY KEY, author int REFERENCES users(id), title text);\n-- migrate:down\nDROP TABLE posts;\n',
    );
    project.write('db/cms/20260105000000_post_search.sql', 'CREATE FUNCTION post_title_upper(p posts) RETURNS text AS $$ SELECT upper(p.title); $$ LANGUAGE sql;\n');
    project.write('db/cms/20260105000000_post_search.down.sql', 'DROP FUNCTION post_title_upper(posts);\n');
  });
  const { cli } = t;

  it('status before anything: everything pending, exit 3, nothing created', async () => {
    const before = await catalogSnapshot(t.db.url);
    const result = await cli('status', '--json');
    expect(result.code).toBe(3);
    const doc = result.json();
    expect(doc).toMatchObject({ version: 1, upToDate: false, pending: 4, problems: 0 });
    expect(doc.engines.map((e: any) => [e.name, e.kind, e.rollback])).toEqual([
      ['auth', 'sql', 'down-file'],
      ['cms', 'sql', 'down-file'],
    ]);
    expect(await catalogSnapshot(t.db.url)).toBe(before);
  });

  it('up --dry-run prints the plan and leaves the database byte-for-byte unchanged', async () => {
    const before = await catalogSnapshot(t.db.url);
    const result = await cli('up', '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('dry run');
    expect(result.stdout).toMatch(/auth\s+20260101000000_users[\s\S]*auth\s+20260102000000_sessions[\s\S]*cms\s+20260101000000_posts/);
    expect(await catalogSnapshot(t.db.url)).toBe(before);
  });

  it('up applies every migration in config order with per-step results', async () => {
    const result = await cli('up', '--json');
    expect(result.code).toBe(0);
    const doc = result.json();
    expect(doc.outcome).toBe('succeeded');
    expect(doc.results.map((r: any) => `${r.engine}:${r.id}:${r.status}`)).toEqual([
      'auth:20260101000000_users:applied',
      'auth:20260102000000_sessions:applied',
      'cms:20260101000000_posts:applied',
      'cms:20260105000000_post_search:applied',
    ]);
    const rows = await query<{ engine: string; id: string }>(t.db.url, 'SELECT engine, id FROM polymigrate.sql_migrations ORDER BY applied_at, engine, id');
    expect(rows).toHaveLength(4);
    const journal = await query(t.db.url, "SELECT command, outcome FROM polymigrate.runs WHERE command = 'up'");
    expect(journal).toEqual([{ command: 'up', outcome: 'succeeded' }]);
    // Each step's journal row committed with the step (in its one query), timed by the server.
    const steps = await query<{ seq: number; migration: string; status: string; duration_ms: number }>(
      t.db.url,
      'SELECT seq, migration, status, duration_ms FROM polymigrate.steps ORDER BY seq',
    );
    expect(steps.map((s) => `${s.seq}:${s.migration}:${s.status}`)).toEqual([
      '1:20260101000000_users:applied',
      '2:20260102000000_sessions:applied',
      '3:20260101000000_posts:applied',
      '4:20260105000000_post_search:applied',
    ]);
    for (const step of steps) expect(step.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('status --json is up to date and exits 0; a new file makes it exit 3', async () => {
    const ok = await cli('status', '--json');
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ upToDate: true, pending: 0 });
    expect(ok.json().engines[1].migrations.every((m: any) => m.state === 'applied')).toBe(true);
    t.project.write('db/cms/20260110000000_tags.sql', 'CREATE TABLE tags (id serial PRIMARY KEY);\n');
    const pending = await cli('status', '--json');
    expect(pending.code).toBe(3);
    expect(pending.json().engines[1].migrations.at(-1)).toMatchObject({ id: '20260110000000_tags', state: 'pending' });
    t.project.remove('db/cms/20260110000000_tags.sql');
  });

  it('down --strict refuses (exit 5) and changes nothing', async () => {
    const before = await catalogSnapshot(t.db.url);
    const result = await cli('down', '--strict');
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('--strict');
    expect(result.stderr).toContain('20260102000000_sessions');
    expect(await catalogSnapshot(t.db.url)).toBe(before);
  });

  it('down --dry-run shows what will happen and changes nothing', async () => {
    const before = await catalogSnapshot(t.db.url);
    const result = await cli('down', '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/cms\s+20260105000000_post_search[\s\S]*cms\s+20260101000000_posts/);
    expect(result.stdout).toContain('down will stop at auth 20260102000000_sessions');
    expect(await catalogSnapshot(t.db.url)).toBe(before);
  });

  it('down reverts the cms steps of the last run, then stops at auth with a warning (exit 0)', async () => {
    const result = await cli('down');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ cms\s+20260105000000_post_search\s+reverted[\s\S]*✓ cms\s+20260101000000_posts\s+reverted/);
    expect(result.stdout).toContain('down stopped at auth 20260102000000_sessions: it has no down file');
    expect(result.stdout).toContain('Left in place (still applied): auth 20260102000000_sessions, auth 20260101000000_users');
    expect(result.stdout).toContain('20260102000000_sessions.down.sql');
    const tables = await query<{ tablename: string }>(t.db.url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    expect(tables.map((t) => t.tablename)).toEqual(['sessions', 'users']);
    const status = (await cli('status', '--json')).json();
    expect(status.engines[1].migrations.map((m: any) => m.state)).toEqual(['pending', 'pending']);
    expect(status.engines[0].migrations.map((m: any) => m.state)).toEqual(['applied', 'applied']);
  });

  it('up re-applies what down reverted', async () => {
    const result = await cli('up', '--json');
    expect(result.code).toBe(0);
    expect(result.json().results.map((r: any) => r.id)).toEqual(['20260101000000_posts', '20260105000000_post_search']);
  });

  it('an edited applied file makes status exit 4 and up refuse (exit 5) without changing anything', async () => {
    const original = t.project.read('db/auth/20260101000000_users.sql');
    t.project.write('db/auth/20260101000000_users.sql', `${original}ALTER TABLE users ADD COLUMN name text;\n`);
    t.project.write('db/cms/20260110000000_tags.sql', 'CREATE TABLE tags (id serial PRIMARY KEY);\n');
    const status = await cli('status', '--json');
    expect(status.code).toBe(4);
    expect(status.json().engines[0].migrations[0]).toMatchObject({ id: '20260101000000_users', state: 'modified' });
    const before = await catalogSnapshot(t.db.url);
    const up = await cli('up');
    expect(up.code).toBe(5);
    expect(up.stderr).toContain('auth: 20260101000000_users was edited after it was applied');
    expect(up.stderr).toContain('--allow-modified');
    expect(await catalogSnapshot(t.db.url)).toBe(before);
    // Line endings are not edits.
    t.project.write('db/auth/20260101000000_users.sql', original.replace(/\n/g, '\r\n'));
    expect((await cli('status')).code).toBe(3);
    t.project.remove('db/cms/20260110000000_tags.sql');
  });
});

describe('status of an engine with many applied migrations', () => {
  const t = cliProject('cli-many', async (project) => {
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    for (let i = 1; i <= 25; i += 1) {
      project.write(`db/${20260100000000 + i}_m${i}.sql`, `CREATE TABLE t${i} (id int);\n`);
    }
  });
  const { cli } = t;

  it('lists the newest 10 applied and every problem, --all and --json list all', async () => {
    expect((await cli('up')).code).toBe(0);
    t.project.write('db/20260100000003_m3.sql', 'CREATE TABLE t3 (id int, edited int);\n');
    const human = await cli('status');
    expect(human.code).toBe(4);
    const listed = human.stdout
      .split('\n')
      .filter((line) => /^\s+(applied|modified|…)/.test(line))
      .map((line) => line.trim().split(/\s+/).slice(0, 2).join(' '));
    expect(listed).toEqual(['… 14', 'modified 20260100000003_m3', ...Array.from({ length: 10 }, (_, i) => `applied ${20260100000016 + i}_m${16 + i}`)]);
    expect(human.stdout).toContain('… 14 earlier migrations applied (status --all lists every one)');
    const all = await cli('status', '--all');
    expect(all.code).toBe(4);
    expect(all.stdout.split('\n').filter((line) => /^\s+(applied|modified)\s/.test(line))).toHaveLength(25);
    expect(all.stdout).not.toContain('earlier migrations applied');
    const json = await cli('status', '--json');
    expect(json.json().engines[0].migrations).toHaveLength(25);
  });
});
