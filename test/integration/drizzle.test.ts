import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { DRIZZLE_KIT, drizzleProject, writeJournal, type JournalEntrySpec } from '../helpers/drizzle-project.js';
import type { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';

const T0 = 1_760_000_000_000;
const HISTORY = 'SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id';

const three: JournalEntrySpec[] = [
  { tag: '0000_users', when: T0, sql: 'CREATE TABLE "users" ("id" serial PRIMARY KEY);\n' },
  { tag: '0001_posts', when: T0 + 1000, sql: 'CREATE TABLE "posts" ("id" serial PRIMARY KEY,\n\t"user_id" integer REFERENCES "users"("id"));\n' },
  { tag: '0002_likes', when: T0 + 2000, sql: 'CREATE TABLE "likes" ("id" serial PRIMARY KEY);\n' },
];

describe('drizzle engine', () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url } });
  const setup = (entries: JournalEntrySpec[], options: Record<string, unknown> = {}) => {
    project = drizzleProject('pm-drizzle-', entries);
    project.config({ engines: [{ kind: 'drizzle', name: 'analytics', migrations: 'db', ...options }] });
  };

  beforeEach(async () => {
    db = await createTestDatabase('drizzle');
  });
  afterEach(async () => {
    await db.drop();
    project?.cleanup();
  });

  it('an applied file edited afterwards is modified: status exits 4, up refuses with 5', async () => {
    setup(three);
    expect((await cli('up')).code).toBe(0);
    project.write('db/0001_posts.sql', `${three[1]!.sql}-- edited\n`);
    const status = await cli('status', '--json');
    expect(status.code).toBe(4);
    const posts = status.json().engines[0].migrations.find((m: any) => m.id === '0001_posts');
    expect(posts.state).toBe('modified');
    expect(posts.reason).toContain('hash');
    const up = await cli('up');
    expect(up.code).toBe(5);
    expect(up.stderr).toContain('0001_posts');
  });

  it('a back-dated journal entry is unreachable, and up refuses with the way to fix the journal', async () => {
    setup(three.slice(0, 2));
    expect((await cli('up')).code).toBe(0);
    // A branch merged later whose migration was generated earlier than the newest applied one.
    writeJournal(project, [three[0]!, three[1]!, { ...three[2]!, when: T0 + 500 }]);
    const status = await cli('status', '--json');
    expect(status.code).toBe(4);
    const likes = status.json().engines[0].migrations.find((m: any) => m.id === '0002_likes');
    expect(likes.state).toBe('unreachable');
    expect(likes.reason).toContain('skips it forever');
    expect(likes.fix).toContain(`greater than ${T0 + 1000}`);
    const before = await query(db.url, HISTORY);
    const up = await cli('up');
    expect(up.code).toBe(5);
    expect(up.stderr).toContain('skips it forever');
    expect(up.stderr).toContain(`greater than ${T0 + 1000}`);
    expect(await query(db.url, HISTORY)).toEqual(before);
    // The documented fix: a newer `when` makes it pending again.
    writeJournal(project, [three[0]!, three[1]!, { ...three[2]!, when: T0 + 5000 }]);
    expect((await cli('up')).code).toBe(0);
    expect((await cli('status')).code).toBe(0);
  });

  it('a failing migration in the middle: the earlier ones stay applied; the error names engine, migration and file:line:col', async () => {
    setup([three[0]!, { ...three[1]!, sql: 'CREATE TABLE "posts" ("id" serial PRIMARY KEY);\n--> statement-breakpoint\nALTER TABLE "posts"\n  ADD COLUMN "x" no_such_type;\n' }, three[2]!]);
    const up = await cli('up', '--json');
    expect(up.code).toBe(1);
    const results = up.json().results.map((r: any) => [r.id, r.status]);
    expect(results).toEqual([
      ['0000_users', 'applied'],
      ['0001_posts', 'failed'],
      ['0002_likes', 'not-run'],
    ]);
    const failed = up.json().results[1];
    expect(failed.error.message).toContain('no_such_type');
    expect(failed.error.file).toBe(project.path('db', '0001_posts.sql'));
    expect([failed.error.line, failed.error.column]).toEqual([4, 18]);
    const human = await cli('up');
    expect(human.stderr).toMatch(/analytics: up 0001_posts failed: .*no_such_type.*0001_posts\.sql:4:18/);
    expect((await query(db.url, HISTORY)).map((r) => Number(r.created_at))).toEqual([T0]);
    expect(await query(db.url, "SELECT to_regclass('public.posts') AS t")).toEqual([{ t: null }]);
  });

  it('a CREATE INDEX CONCURRENTLY migration runs outside a transaction, statement by statement', async () => {
    setup([
      three[0]!,
      {
        tag: '0001_users_index',
        when: T0 + 1000,
        sql: 'ALTER TABLE "users" ADD COLUMN "email" text;--> statement-breakpoint\nCREATE INDEX CONCURRENTLY "users_email_idx" ON "users" ("email");\n',
      },
    ]);
    const up = await cli('up');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('outside a transaction');
    expect(await query(db.url, "SELECT indexname FROM pg_indexes WHERE indexname = 'users_email_idx'")).toHaveLength(1);
    expect(await query(db.url, HISTORY)).toHaveLength(2);
    expect((await cli('status')).code).toBe(0);

    // drizzle-kit itself runs every pending migration in one transaction, so it cannot apply this one.
    const other = await createTestDatabase('drizzle');
    try {
      const kit = spawnSync(DRIZZLE_KIT, ['migrate', '--config', 'drizzle.config.ts'], { cwd: project.dir, env: { ...process.env, DATABASE_URL: other.url }, encoding: 'utf8' });
      expect(kit.status).toBe(1);
      expect(await query(other.url, HISTORY)).toEqual([]);
    } finally {
      await other.drop();
    }
  });

  it('a non-transactional migration that fails halfway reports what ran, stays pending, and resolve --applied records it', async () => {
    setup([
      three[0]!,
      {
        tag: '0001_users_index',
        when: T0 + 1000,
        sql: 'CREATE INDEX CONCURRENTLY "users_id_idx" ON "users" ("id");\n--> statement-breakpoint\nCREATE INDEX CONCURRENTLY "broken_idx" ON "nope" ("id");\n',
      },
    ]);
    const up = await cli('up', '--json');
    expect(up.code).toBe(1);
    const failed = up.json().results.find((r: any) => r.status === 'failed');
    expect(failed.error.message).toContain('statement 2 of 2) — the statements before it had committed (it runs outside a transaction, one statement at a time)');
    expect(failed.error.message).toContain('polymigrate resolve analytics 0001_users_index --applied');
    const status = await cli('status', '--json');
    expect(status.code).toBe(3);
    expect(status.json().engines[0].migrations.map((m: any) => m.state)).toEqual(['applied', 'pending']);
    // Finished by hand, then recorded the way drizzle-kit would record it.
    await query(db.url, 'CREATE TABLE nope (id int); CREATE INDEX broken_idx ON nope (id)');
    const resolve = await cli('resolve', 'analytics', '0001_users_index', '--applied');
    expect(resolve.code, resolve.stderr).toBe(0);
    expect((await query(db.url, HISTORY)).map((r) => Number(r.created_at))).toEqual([T0, T0 + 1000]);
    expect((await cli('status')).code).toBe(0);
  });

  it('atomic: true runs all pending migrations in one transaction, so a failure leaves none applied', async () => {
    setup([three[0]!, three[1]!, { ...three[2]!, sql: 'CREATE TABLE "likes" ("id" serial PRIMARY KEY);\n--> statement-breakpoint\nSELECT 1/0;\n' }], { atomic: true });
    const up = await cli('up', '--json');
    expect(up.code).toBe(1);
    const doc = up.json();
    expect(doc.results.map((r: any) => [r.id, r.status])).toEqual([
      ['0000_users', 'not-run'],
      ['0001_posts', 'not-run'],
      ['0002_likes', 'failed'],
    ]);
    expect(doc.results[2].error.message).toContain('0000_users, 0001_posts (same transaction) were rolled back too');
    expect(await query(db.url, HISTORY)).toEqual([]);
    expect(await query(db.url, "SELECT to_regclass('public.users') AS t")).toEqual([{ t: null }]);
    // Fixed, the same run applies all three in one go.
    writeJournal(project, three);
    expect((await cli('up')).code).toBe(0);
    expect(await query(db.url, HISTORY)).toHaveLength(3);
  });

  it('a NULL created_at row is reported: drizzle-kit would re-run everything', async () => {
    setup(three);
    expect((await cli('up')).code).toBe(0);
    await query(db.url, `UPDATE drizzle.__drizzle_migrations SET created_at = NULL WHERE created_at = ${T0 + 1000}`);
    const status = await cli('status', '--json');
    expect(status.code).toBe(4);
    const problems = status.json().engines[0].problems;
    expect(problems[0].message).toContain('created_at NULL');
    expect(problems[0].fix).toContain(`SET created_at = ${T0 + 1000}`);
    const up = await cli('up');
    expect(up.code).toBe(5);
  });
});

describe("drizzle create runs the project's drizzle-kit", () => {
  let project: TempProject;
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: undefined } });
  beforeEach(() => {
    project = drizzleProject('pm-drizzle-create-', [three[0]!]);
    project.config({ engines: [{ kind: 'drizzle', name: 'analytics', migrations: 'db' }] });
  });
  afterEach(() => project.cleanup());

  it('generate writes the schema diff as a new journal entry; a second one finds no change and suggests --empty', async () => {
    const created = await cli('create', 'analytics', 'Add things', '--json');
    expect(created.code, created.stderr).toBe(0);
    const doc = created.json();
    expect(doc.id).toBe('0001_add_things');
    expect(fs.readFileSync(project.path('db/0001_add_things.sql'), 'utf8')).toContain('CREATE TABLE "things"');
    for (const file of doc.files) expect(fs.existsSync(file)).toBe(true);
    const again = await cli('create', 'analytics', 'nothing');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('No schema changes');
    expect(again.stderr).toContain('--empty');
    const empty = await cli('create', 'analytics', 'backfill', '--empty', '--json');
    expect(empty.code, empty.stderr).toBe(0);
    expect(fs.readFileSync(project.path('db', `${empty.json().id}.sql`), 'utf8')).toContain('Custom SQL migration file');
  });

  it("reports drizzle-kit's own error text when it fails", async () => {
    project.write('drizzle.config.ts', project.read('drizzle.config.ts').replace('./schema.ts', './missing-schema.ts'));
    const created = await cli('create', 'analytics', 'x');
    expect(created.code).toBe(2);
    expect(created.stderr).toContain('No schema files found');
  });
});

describe('drizzle 1.0 folder format', () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url } });
  beforeEach(async () => {
    db = await createTestDatabase('drizzle');
    project = drizzleProject('pm-drizzle-v1-');
    project.remove('db');
    project.write('db/20250101120000_users/migration.sql', 'CREATE TABLE "users" ("id" serial PRIMARY KEY);\n');
    project.write('db/20250102120000_posts/migration.sql', 'CREATE TABLE "posts" ("id" serial PRIMARY KEY);\n');
    project.write('db/20250102120000_posts/down.sql', 'DROP TABLE "posts";\n');
    project.config({ engines: [{ kind: 'drizzle', name: 'analytics', migrations: 'db' }] });
  });
  afterEach(async () => {
    await db.drop();
    project.cleanup();
  });

  it('applies by folder name, records name, and reverts with down.sql', async () => {
    expect((await cli('up')).code).toBe(0);
    const rows = await query(db.url, 'SELECT name, created_at FROM drizzle.__drizzle_migrations ORDER BY id');
    expect(rows).toEqual([
      { name: '20250101120000_users', created_at: String(Date.UTC(2025, 0, 1, 12)) },
      { name: '20250102120000_posts', created_at: String(Date.UTC(2025, 0, 2, 12)) },
    ]);
    expect((await cli('status')).code).toBe(0);
    expect((await cli('down', '--engine', 'analytics')).code).toBe(0);
    const status = await cli('status', '--json');
    expect(status.json().engines[0].migrations.map((m: any) => m.state)).toEqual(['applied', 'pending']);
  });

  it('a history table written by drizzle-kit 0.x is a clear error for a 1.0 folder', async () => {
    await query(db.url, 'CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint)');
    const status = await cli('status');
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('has no "name" column');
  });
});
