import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { cliProject } from '../helpers/cli-project.js';

describe('config errors exit 2 and name the key path', () => {
  let project: TempProject;
  beforeAll(() => {
    project = new TempProject();
  });
  afterAll(() => project.cleanup());
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: 'postgres://u:pw-never-used@127.0.0.1:1/x' } });

  it('missing config file', async () => {
    const result = await cli('status', '--config', 'missing.json');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Config file not found');
    expect(result.stderr).toContain('missing.json');
  });

  it('no config anywhere above the cwd', async () => {
    const result = await cli('status');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('polymigrate init');
  });

  it.each([
    ['bad key', { engines: [{ kind: 'sql', migrations: 'db', histroy: 'x' }] }, 'engines[0]: unknown key "histroy"'],
    [
      'duplicate name',
      {
        engines: [
          { kind: 'sql', migrations: 'a' },
          { kind: 'sql', migrations: 'b' },
        ],
      },
      'engines[1].name: duplicate engine name "sql"',
    ],
    ['unknown kind', { engines: [{ kind: 'flyway', migrations: 'db' }] }, 'engines[0].kind: unknown engine kind "flyway"'],
    ['wrong type', { engines: [{ kind: 'sql', migrations: 42 }] }, 'engines[0].migrations:'],
  ])('%s', async (_label, config, expected) => {
    project.config(config);
    const result = await cli('status');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(expected);
    expect(result.stderr).toContain('polymigrate.config.json');
    const json = await cli('status', '--json');
    expect(json.code).toBe(2);
    expect(json.json().error.message).toContain(expected);
  });

  it('a migration directory that does not exist, or is a file', async () => {
    project.config({ engines: [{ kind: 'sql', name: 'auth', migrations: 'db/nowhere' }] });
    const missing = await cli('status');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/auth: migration directory .*db\/nowhere does not exist/);
    project.write('db/file', 'not a dir');
    project.config({ engines: [{ kind: 'sql', name: 'auth', migrations: 'db/file' }] });
    const file = await cli('status');
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('is a file, but "migrations" must be a directory');
  });

  it('usage errors: unknown command, bad option values, resolve without a mark', async () => {
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('down', '--steps', 'zero')).code).toBe(2);
    expect((await cli('up', '--wait', '-1')).code).toBe(2);
    project.config({ engines: [{ kind: 'sql', name: 'auth', migrations: 'db' }] });
    const resolve = await cli('resolve', 'auth', 'x');
    expect(resolve.code).toBe(2);
    expect(resolve.stderr).toContain('exactly one of --applied or --rolled-back');
  });

  it('an invalid or unreachable database URL, with the password masked', async () => {
    project.config({ engines: [{ kind: 'sql', name: 'auth', migrations: 'db' }] });
    project.write('db/1_a.sql', 'SELECT 1;');
    const invalid = await runCli(['status', '--url', 'mysql://root:hunter2-pw@h/db'], { cwd: project.dir });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('must start with postgres://');
    const unreachable = await runCli(['status', '--url', 'postgres://me:hunter2-pw@127.0.0.1:1/db'], { cwd: project.dir });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('postgres://me:****@127.0.0.1:1/db');
    expect(unreachable.stderr + unreachable.stdout).not.toContain('hunter2-pw');
  });
});

describe('failures while running', () => {
  const t = cliProject('fail', async (project) => {
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
  });
  const { cli } = t;

  it('a SQL error names engine, migration, direction, file:line:column; earlier steps stay applied', async () => {
    t.project.write('db/1_first.sql', 'CREATE TABLE first (id int);\n');
    t.project.write('db/2_broken.sql', '-- creates the second table\nCREATE TABLE second (id int);\nCREATE TABLE third (id int,, x int);\n');
    t.project.write('db/3_after.sql', 'CREATE TABLE after_it (id int);\n');
    const result = await cli('up');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('app: up 2_broken failed: syntax error at or near ","');
    expect(result.stderr).toMatch(/2_broken\.sql:3:28/);
    expect(result.stderr).toContain('1 step(s) completed before it and stay applied; 1 step(s) not run');
    const tables = await query<{ tablename: string }>(t.db.url, "SELECT tablename FROM pg_tables WHERE schemaname='public' ORDER BY 1");
    expect(tables.map((t) => t.tablename)).toEqual(['first']); // 2_broken rolled back whole
    const status = (await cli('status', '--json')).json();
    expect(status.engines[0].migrations.map((m: any) => m.state)).toEqual(['applied', 'pending', 'pending']);
  });

  it('CONCURRENTLY in a transactional file is refused before anything runs, naming the directive', async () => {
    t.project.write('db/2_broken.sql', 'CREATE TABLE second (id int);\n');
    t.project.write('db/3_after.sql', 'CREATE INDEX CONCURRENTLY second_id ON second (id);\n');
    const result = await cli('up');
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('-- migrate:up transaction:false');
    expect((await cli('status')).code).toBe(4);
    const tables = await query(t.db.url, "SELECT 1 FROM pg_tables WHERE tablename = 'second'");
    expect(tables).toEqual([]);
  });

  it('with the directive it runs outside a transaction, statement by statement', async () => {
    t.project.write('db/3_after.sql', '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY second_id ON second (id);\nCREATE INDEX CONCURRENTLY second_id2 ON second (id);\n');
    const result = await cli('up');
    expect(result.code).toBe(0);
    const indexes = await query(t.db.url, "SELECT indexname FROM pg_indexes WHERE tablename = 'second' ORDER BY 1");
    expect(indexes).toEqual([{ indexname: 'second_id' }, { indexname: 'second_id2' }]);
  });

  it('a syntax error in a non-transactional migration is refused before any of its statements runs', async () => {
    t.project.write('db/4_half.sql', '-- migrate:up transaction:false\nCREATE TABLE half (id int);\n  CREATE INDEX CONCURRENTLY half_bad ON half (id) WHERE;\n');
    const refused = await cli('up');
    expect(refused.code).toBe(5);
    // PostgreSQL's own parser read the file first; its position maps to the file.
    expect(refused.stderr).toMatch(/syntax error at or near ";" \(at [^)]*4_half\.sql:3:56\)/);
    expect(await query(t.db.url, "SELECT 1 FROM pg_tables WHERE tablename = 'half'")).toEqual([]);
  });

  it('a failing non-transactional migration is recorded as failed, blocks up, and resolve repairs it', async () => {
    t.project.write('db/4_half.sql', '-- migrate:up transaction:false\nCREATE TABLE half (id int);\n  CREATE INDEX CONCURRENTLY half_bad ON half (nope);\n');
    const failed = await cli('up');
    expect(failed.code).toBe(1);
    // Outside a transaction each statement is sent alone; the position still maps to the file.
    expect(failed.stderr).toMatch(/4_half\.sql:3:3, statement 2 of 2\) — the statements before it had committed/);
    const status = await cli('status', '--json');
    expect(status.code).toBe(4);
    expect(status.json().engines[0].migrations.at(-1)).toMatchObject({ id: '4_half', state: 'failed' });
    t.project.write('db/5_next.sql', 'SELECT 1;\n');
    const blocked = await cli('up');
    expect(blocked.code).toBe(5);
    expect(blocked.stderr).toContain('polymigrate resolve app 4_half');
    // The table from the first statement exists: undo it, then mark it rolled back so it runs again.
    await query(t.db.url, 'DROP TABLE half');
    t.project.write('db/4_half.sql', '-- migrate:up transaction:false\nCREATE TABLE half (id int);\nCREATE INDEX CONCURRENTLY half_ok ON half (id);\n');
    const resolved = await cli('resolve', 'app', '4_half', '--rolled-back');
    expect(resolved.code).toBe(0);
    const again = await cli('up', '--json');
    expect(again.code).toBe(0);
    expect(again.json().results.map((r: any) => r.id)).toEqual(['4_half', '5_next']);
    const notFailed = await cli('resolve', 'app', '4_half', '--applied');
    expect(notFailed.code).toBe(5);
    expect(notFailed.stderr).toContain('not in a failed state');
  });

  it('an empty migration file and a badly named file are clear errors', async () => {
    t.project.write('db/6_empty.sql', '-- nothing here\n');
    const empty = await cli('up');
    expect(empty.code).toBe(5);
    expect(empty.stderr).toContain('6_empty.sql: has no SQL to apply');
    t.project.remove('db/6_empty.sql');
    t.project.write('db/seed.sql', 'SELECT 1;');
    const named = await cli('status');
    expect(named.code).toBe(2);
    expect(named.stderr).toContain('seed.sql: does not follow the <version>_<name>.sql pattern');
    t.project.remove('db/seed.sql');
  });

  it('names with quotes, spaces and unicode apply and revert', async () => {
    t.project.write("db/7_it's a café ☕.sql", 'CREATE TABLE "café ☕" (id int);\n-- migrate:down\nDROP TABLE "café ☕";\n');
    const up = await cli('up', '--json');
    expect(up.code).toBe(0);
    expect(up.json().results[0].id).toBe("7_it's a café ☕");
    const down = await cli('down', '--engine', 'app');
    expect(down.code).toBe(0);
    expect(down.stdout).toContain("7_it's a café ☕");
    expect(await query(t.db.url, `SELECT 1 FROM pg_tables WHERE tablename = 'café ☕'`)).toEqual([]);
  });
});
