import { describe, expect, it } from 'vitest';
import { query } from '../helpers/database.js';
import { cliProject } from '../helpers/cli-project.js';

/**
 * A transactional migration travels as one query that ends with its COMMIT (StepTransaction).
 * These migrations break a DEFERRABLE INITIALLY DEFERRED foreign key, so PostgreSQL refuses only
 * at COMMIT: that failure must belong to the migration that broke it, the next migration must not
 * run, and nothing of it may be recorded; through the SQL engine and the Prisma engine, in the
 * middle of a run and as its last migration.
 */
const DEFERRED_PARENT = 'CREATE TABLE parent (id int PRIMARY KEY);\n';
const breaksAtCommit = (table: string) =>
  `CREATE TABLE ${table} (id int PRIMARY KEY, parent_id int REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);\n` + `INSERT INTO ${table} VALUES (1, 42);\n`;

describe('a COMMIT that fails (deferred constraint) is the failure of its own migration', () => {
  const t = cliProject('defer', (project) => {
    project.config({
      engines: [
        { kind: 'sql', name: 'app', migrations: 'db/app' },
        { kind: 'prisma', migrations: 'prisma/migrations' },
      ],
    });
    project.write('db/app/20260101000000_parent.sql', DEFERRED_PARENT);
    project.write('db/app/20260102000000_child.sql', breaksAtCommit('child'));
    project.write('db/app/20260103000000_after.sql', 'CREATE TABLE after_child (id int);\n');
    project.write('prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
    project.write('prisma/migrations/20260101000000_ok/migration.sql', 'CREATE TABLE "PrismaOk" (id int);\n');
    project.write('prisma/migrations/20260102000000_last/migration.sql', breaksAtCommit('"PrismaLast"'));
  });
  const tables = async () =>
    (await query<{ t: string }>(t.db.url, "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1")).map((r) => r.t);
  const journal = async () => (await query<{ s: string }>(t.db.url, "SELECT seq || ':' || migration || ':' || status AS s FROM polymigrate.steps ORDER BY run_id, seq")).map((r) => r.s);

  it('in the middle of a run: the breaking one fails, the next never runs, nothing of it stays', async () => {
    const result = await t.cli('up', '--json');
    expect(result.code).toBe(1);
    const doc = result.json();
    expect(doc.results.map((r: any) => `${r.engine}:${r.id}:${r.status}`)).toEqual([
      'app:20260101000000_parent:applied',
      'app:20260102000000_child:failed',
      'app:20260103000000_after:not-run',
      'prisma:20260101000000_ok:not-run',
      'prisma:20260102000000_last:not-run',
    ]);
    expect(doc.results[1].error.message).toMatch(/violates foreign key constraint/);
    expect(await tables()).toEqual(['parent']);
    expect(await query(t.db.url, 'SELECT id FROM polymigrate.sql_migrations ORDER BY id')).toEqual([{ id: '20260101000000_parent' }]);
    expect(await journal()).toEqual(['1:20260101000000_parent:applied', '2:20260102000000_child:failed']);
  });

  it("as the last migration, in the Prisma engine: the same, and nothing of it in Prisma's history", async () => {
    t.project.write('db/app/20260102000000_child.sql', 'CREATE TABLE child (id int);\n');
    const result = await t.cli('up', '--json');
    expect(result.code).toBe(1);
    expect(result.json().results.map((r: any) => `${r.engine}:${r.id}:${r.status}`)).toEqual([
      'app:20260102000000_child:applied',
      'app:20260103000000_after:applied',
      'prisma:20260101000000_ok:applied',
      'prisma:20260102000000_last:failed',
    ]);
    expect(result.json().results[3].error.message).toMatch(/violates foreign key constraint/);
    expect(await tables()).toEqual(['PrismaOk', 'after_child', 'child', 'parent']);
    expect(await query(t.db.url, 'SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations')).toEqual([{ migration_name: '20260101000000_ok', finished: true }]);
    expect((await journal()).slice(2)).toEqual(['1:20260102000000_child:applied', '2:20260103000000_after:applied', '3:20260101000000_ok:applied', '4:20260102000000_last:failed']);
    // Fixed, it applies; status agrees.
    t.project.write('prisma/migrations/20260102000000_last/migration.sql', 'CREATE TABLE "PrismaLast" (id int);\n');
    expect((await t.cli('up')).code).toBe(0);
    expect((await t.cli('status')).code).toBe(0);
  });
});

describe('an error in a migration sent with its BEGIN, history row, journal row and COMMIT', () => {
  const t = cliProject('defer-pos', (project) => {
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db/app' }] });
    project.write('db/app/20260101000000_ok.sql', 'CREATE TABLE ok (id int);\n');
    project.write('db/app/20260102000000_typo.sql', 'CREATE TABLE fine (id int);\n  SELEC 1;\n');
  });

  it('still points at file:line:column of that migration, and the previous one stays applied', async () => {
    const result = await t.cli('up', '--json');
    expect(result.code).toBe(1);
    const [ok, typo] = result.json().results;
    expect(ok.status).toBe('applied');
    expect(typo).toMatchObject({ status: 'failed', error: { line: 2, column: 3 } });
    expect(typo.error.file).toMatch(/20260102000000_typo\.sql$/);
    expect(await query(t.db.url, "SELECT to_regclass('ok') IS NOT NULL AS ok, to_regclass('fine') IS NOT NULL AS fine")).toEqual([{ ok: true, fine: false }]);
  });
});

describe('a migration that fails while the next one is already sent behind it', () => {
  const t = cliProject('defer-queued', (project) => {
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db/app' }] });
    project.write('db/app/20260101000000_ok.sql', 'CREATE TABLE ok (id int);\n');
    project.write('db/app/20260102000000_breaks.sql', 'CREATE TABLE half (id int);\nSELECT 1 / 0;\n');
    project.write('db/app/20260103000000_queued.sql', 'CREATE TABLE queued (id int);\n');
    project.write('db/app/20260104000000_later.sql', 'CREATE TABLE later (id int);\n');
  });

  it('reports its own error; the queued one and the rest never ran, and nothing of them stays', async () => {
    const result = await t.cli('up', '--json');
    expect(result.code).toBe(1);
    const results = result.json().results;
    expect(results.map((r: any) => `${r.id}:${r.status}`)).toEqual([
      '20260101000000_ok:applied',
      '20260102000000_breaks:failed',
      '20260103000000_queued:not-run',
      '20260104000000_later:not-run',
    ]);
    expect(results[1].error.message).toMatch(/division by zero/);
    expect(await query(t.db.url, "SELECT to_regclass('half') IS NULL AS half, to_regclass('queued') IS NULL AS queued, to_regclass('later') IS NULL AS later")).toEqual([
      { half: true, queued: true, later: true },
    ]);
    expect(await query(t.db.url, 'SELECT id FROM polymigrate.sql_migrations')).toEqual([{ id: '20260101000000_ok' }]);
    // The connection is left clean: the next run applies the rest once the file is fixed.
    t.project.write('db/app/20260102000000_breaks.sql', 'CREATE TABLE half (id int);\n');
    expect((await t.cli('up')).code).toBe(0);
    expect((await t.cli('status')).code).toBe(0);
  });
});
