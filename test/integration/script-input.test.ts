import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { ALL_ENGINES, ENGINES, expectHistoryMatchesCatalog, type EngineUnderTest } from '../helpers/engine-under-test.js';
import { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * Input no engine can run as written is refused before anything runs, naming the file and what
 * is wrong with it; and a failure always points at its file, line and column.
 */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function projectFor(engine: EngineUnderTest) {
  const db = await createTestDatabase(`in_${engine.kind}`);
  const project = new TempProject();
  project.config({ engines: [engine.config] });
  cleanups.push(async () => {
    await db.drop();
    project.cleanup();
  });
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url } });
  return { db, project, cli };
}

/** Write raw bytes where `engine.write` would put migration `n`. */
function writeBytes(engine: EngineUnderTest, project: TempProject, n: number, name: string, bytes: Buffer): string {
  const id = engine.write(project, n, name, 'placeholder');
  const file = engine.kind === 'prisma' ? `prisma/migrations/${id}/migration.sql` : engine.kind === 'supabase' ? `supabase/migrations/${id}.sql` : `db/${id}.sql`;
  project.write(file, '');
  fs.writeFileSync(project.path(file), bytes);
  return id;
}

describe.each(ALL_ENGINES)('input that cannot run as written ($kind)', (engine) => {
  it('invalid UTF-8 is refused before anything runs, naming the file and the byte offset', async () => {
    const t = await projectFor(engine);
    const ok = engine.write(t.project, 1, 'ok', 'CREATE TABLE ok_first (id int);\n');
    const before = "CREATE TABLE caf (name text);\nINSERT INTO caf VALUES ('caf"; // 58 bytes, then a Latin-1 é
    const bad = writeBytes(engine, t.project, 2, 'latin1', Buffer.concat([Buffer.from(before), Buffer.from([0xe9]), Buffer.from("');\n")]));
    const status = await t.cli('status', '--json');
    expect(status.code).toBe(4);
    const problem = status.json().engines[0].problems.find((p: any) => p.message.includes(bad));
    expect(problem.message).toMatch(/is not valid UTF-8: byte 0xe9 at byte offset 58 \(line 2\)/);
    const up = await t.cli('up');
    expect(up.code).toBe(5);
    expect(up.stderr).toMatch(/not valid UTF-8/);
    await expectHistoryMatchesCatalog(t.cli, t.db.url, [
      { id: ok, tables: ['ok_first'] },
      { id: bad, tables: ['caf'] },
    ]);
    expect(await query(t.db.url, "SELECT 1 FROM pg_tables WHERE tablename IN ('ok_first', 'caf')")).toEqual([]);
  });

  it('a UTF-8 byte-order mark is named instead of a syntax error at an invisible character', async () => {
    const t = await projectFor(engine);
    const id = writeBytes(engine, t.project, 1, 'bom', Buffer.from('\ufeffCREATE TABLE bom (id int);\n', 'utf8'));
    const up = await t.cli('up', '--json');
    expect(up.code).toBe(5);
    expect(up.json().plan.refusals[0].message).toMatch(new RegExp(`${id}.*byte-order mark \\(bytes EF BB BF\\)`));
    await expectHistoryMatchesCatalog(t.cli, t.db.url, [{ id, tables: ['bom'] }]);
  });

  it("COPY … FROM stdin (pg_dump's data format) is refused with what to do instead", async () => {
    const t = await projectFor(engine);
    const id = engine.write(t.project, 1, 'dump', 'CREATE TABLE dumped (a int, b text);\n\nCOPY public.dumped (a, b) FROM stdin;\n');
    const status = await t.cli('status');
    expect(status.code).toBe(4);
    expect(status.stdout + status.stderr).toMatch(/COPY … FROM STDIN reads rows that the client sends/);
    const up = await t.cli('up', '--json');
    expect(up.code).toBe(5);
    const [refusal] = up.json().plan.refusals;
    expect(refusal.message).toMatch(/COPY … FROM STDIN reads rows that the client sends .*:3:1\)\.$/);
    expect(refusal.fix).toMatch(/INSERT … VALUES/);
    await expectHistoryMatchesCatalog(t.cli, t.db.url, [{ id, tables: ['dumped'] }]);
  });

  it('a failure without a PostgreSQL position still names file:line:column and the statement', async () => {
    const t = await projectFor(engine);
    const id = engine.write(
      t.project,
      1,
      'fk',
      [
        'CREATE TABLE parent (id int PRIMARY KEY);',
        'CREATE TABLE child (parent_id int REFERENCES parent (id));',
        '-- a comment line',
        '  INSERT INTO child VALUES (42);',
        'CREATE TABLE never_created (id int);',
        '',
      ].join('\n'),
    );
    const up = await t.cli('up', '--json');
    expect(up.code).toBe(1);
    const { error } = up.json().results[0];
    expect(error.message).toMatch(/violates foreign key constraint .* \(at .*:4:3, statement 3 of 4\)$/);
    expect([error.line, error.column]).toEqual([4, 3]);
    await expectHistoryMatchesCatalog(t.cli, t.db.url, [{ id, tables: ['parent', 'child', 'never_created'] }]);
  });
});

describe('duplicate and stray files', () => {
  it('01_x and 1_y are the same version: refused like any duplicate', async () => {
    const t = await projectFor(ENGINES.sql);
    t.project.write('db/01_c.sql', 'CREATE TABLE c (id int);\n');
    t.project.write('db/1_a.sql', 'CREATE TABLE a (id int);\n');
    const status = await t.cli('status');
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/1_a\.sql: has the same version 1 as 01_c\.sql \(versions are compared as numbers\)/);
  });

  it('drizzle: a .sql file the journal does not list is a warning in status, with the file named', async () => {
    const t = await projectFor(ENGINES.drizzle);
    ENGINES.drizzle.write(t.project, 1, 'listed', 'CREATE TABLE listed (id int);\n');
    t.project.write('db/0007_hand_written.sql', 'CREATE TABLE hand (id int);\n');
    const human = await t.cli('status');
    expect(human.code).toBe(3); // pending, not a problem
    expect(human.stdout).toMatch(/warning .*0007_hand_written\.sql is not listed in meta\/_journal\.json/);
    const json = await t.cli('status', '--json');
    expect(json.json().problems).toBe(0);
    expect(json.json().engines[0].problems).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringContaining('0007_hand_written.sql') })]);
    const up = await t.cli('up', '--json');
    expect(up.code).toBe(0);
    expect(up.json().plan.warnings).toEqual([expect.stringContaining('0007_hand_written.sql')]);
    expect(await query(t.db.url, "SELECT 1 FROM pg_tables WHERE tablename = 'hand'")).toEqual([]);
  });
});

describe('Supabase history', () => {
  it('stores statements as the Supabase CLI splits them, and its down advice is nothing the CLI would run', async () => {
    const t = await projectFor(ENGINES.supabase);
    const id = ENGINES.supabase.write(
      t.project,
      1,
      'functions',
      [
        'set check_function_bodies = off;',
        '',
        'CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$',
        'BEGIN NEW.updated_at = now(); RETURN NEW; END;',
        '$$;',
        '-- a comment; with a semicolon',
        'CREATE TABLE notes (id int, updated_at timestamptz);',
        '',
      ].join('\n'),
    );
    expect((await t.cli('up')).code).toBe(0);
    const [row] = await query<{ statements: string[] }>(t.db.url, 'SELECT statements FROM supabase_migrations.schema_migrations');
    expect(row!.statements).toEqual([
      'set check_function_bodies = off',
      'CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN NEW.updated_at = now(); RETURN NEW; END;\n$$',
      '-- a comment; with a semicolon\nCREATE TABLE notes (id int, updated_at timestamptz)',
    ]);
    const down = await t.cli('down', '--engine', 'app', '--json');
    expect(down.code).toBe(0);
    expect(down.json().plan.stop.hint).toMatch(/supabase migration repair --status reverted 2026/);
    expect(down.json().plan.stop.hint).not.toMatch(/\.down\.sql,|-- migrate:down" section\)?, then/);
    // A down file or section in a Supabase folder would be run by the Supabase CLI as a migration.
    t.project.write(`supabase/migrations/${id}.down.sql`, 'DROP TABLE notes;\n');
    const downFile = await t.cli('status');
    expect(downFile.code).toBe(2);
    expect(downFile.stderr).toMatch(/\.down\.sql: is a down file in a folder whose history is the Supabase CLI's/);
  });
});

describe('long lists in human output', () => {
  it('down names the first few migrations it leaves in place and counts the rest; --json lists all', async () => {
    const t = await projectFor(ENGINES.prisma);
    for (let n = 1; n <= 40; n += 1) ENGINES.prisma.write(t.project, n, `m${n}`, `CREATE TABLE t${n} (id int);\n`);
    expect((await t.cli('up')).code).toBe(0);
    const down = await t.cli('down');
    expect(down.code).toBe(0);
    const line = down.stdout.split('\n').find((l) => l.includes('Left in place'))!;
    expect(line).toMatch(/Left in place \(still applied\): (app \S+, ){4}app \S+ and 35 more \(--json lists every one\)$/);
    const json = await t.cli('down', '--json');
    expect(json.json().plan.stop.leftInPlace).toHaveLength(40);
  });
});
