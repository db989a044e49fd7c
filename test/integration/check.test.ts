import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolymigrate } from '../../src/api/polymigrate.js';
import type { CheckDocument } from '../../src/report/documents.js';
import { adminUrl, query } from '../helpers/database.js';
import { PAYLOAD_EXAMPLE_MIGRATIONS, PAYLOAD_TEST_SECRET } from '../helpers/payload-project.js';
import { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { exampleProject } from '../helpers/shadow-project.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

/** SQL migrations with their downs (`null`: none), one folder per project. */
type Migrations = Array<[id: string, up: string, down: string | null]>;

const SOUND: Migrations = [
  ['0001_users', 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);', 'DROP TABLE users;'],
  [
    '0002_email_idx',
    "CREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ADD COLUMN name text DEFAULT 'anon';",
    'ALTER TABLE users DROP COLUMN name;\nDROP INDEX users_email_idx;',
  ],
  ['0003_notes', 'CREATE TABLE notes (id int);', null],
];

/**
 * A correct down, one that forgets an index (the up fails when run again: the shadow is rebuilt),
 * one that fails itself, and a correct one after those: the check goes on past each problem.
 */
const FLAWED: Migrations = [
  ['0001_users', 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);', 'DROP TABLE users;'],
  ['0002_email_idx', 'CREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ADD COLUMN name text;', 'ALTER TABLE users DROP COLUMN name;'],
  ['0003_notes', 'CREATE TABLE notes (id int);', 'DROP TABLE notes_typo;'],
  ['0004_tags', "CREATE TYPE tag_kind AS ENUM ('a', 'b');\nCREATE TABLE tags (id int, kind tag_kind);", 'DROP TABLE tags;\nDROP TYPE tag_kind;'],
  ['0005_plain', 'CREATE TABLE plain (id int);', null],
];

/** The second migration does not run on an empty database: nothing after it is checked. */
const BROKEN: Migrations = [
  ['0001_users', 'CREATE TABLE users (id serial PRIMARY KEY);', 'DROP TABLE users;'],
  ['0002_orders', 'CREATE TABLE orders (id int);\nINSERT INTO orders SELECT id FROM customers;', 'DROP TABLE orders;'],
  ['0003_later', 'CREATE TABLE later (id int);', 'DROP TABLE later;'],
];

function writeMigrations(project: TempProject, folder: string, migrations: Migrations): void {
  for (const [id, up, down] of migrations) {
    project.write(`${folder}/${id}.sql`, `${up}\n`);
    if (down !== null) project.write(`${folder}/${id}.down.sql`, `${down}\n`);
  }
}

/**
 * SQL projects, each a config file of its own in one folder, so every run uses the same embedded
 * shadow server's data folder (one initdb for the file). No run has a DATABASE_URL.
 */
describe('polymigrate check (SQL folders, embedded shadow, no database URL)', () => {
  let project: TempProject;
  const noDatabase = { DATABASE_URL: undefined, DIRECT_URL: undefined };
  const check = (config: string, ...args: string[]) =>
    runCli(['--config', `${config}.config.json`, 'check', ...args], { cwd: project.dir, env: noDatabase, timeoutMs: budget(STEP_MS.server + STEP_MS.cli) });

  beforeAll(() => {
    project = new TempProject('pm-check-');
    fs.chmodSync(project.dir, 0o755);
    const folders: Array<[string, Migrations]> = [
      ['sound', SOUND],
      ['flawed', FLAWED],
      ['broken', BROKEN],
    ];
    for (const [name, migrations] of folders) {
      writeMigrations(project, name, migrations);
      project.write(`${name}.config.json`, JSON.stringify({ engines: [{ kind: 'sql', name: 'app', migrations: name }] }));
    }
    writeMigrations(project, 'other', [['0001_other', 'CREATE TABLE other (id int);', 'SELECT 1;']]);
    project.write(
      'two.config.json',
      JSON.stringify({
        engines: [
          { kind: 'sql', name: 'app', migrations: 'sound' },
          { kind: 'sql', name: 'other', migrations: 'other' },
        ],
      }),
    );
  });

  afterAll(() => project?.cleanup());

  it(
    'a sound project exits 0 without DATABASE_URL, with the summary line',
    async () => {
      const result = await check('sound');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^shadow: 3 of 3 migration\(s\) replayed on embedded PostgreSQL \d+\.\d+/m);
      expect(result.stdout).toMatch(/✓ checked 2 downs: all restore the schema; 3 migration\(s\) replay on an empty database \(1 without a down\)\./);
      expect(result.stdout).not.toContain('✗');
    },
    testBudget({ server: 1, cli: 1 }),
  );

  it(
    'a down that forgets an index is named exactly (exit 4); a failing down is reported and the check goes on',
    async () => {
      const result = await check('flawed');
      expect(result.code, result.stderr).toBe(4);
      expect(result.stdout).toContain(
        '✗ down of app 0002_email_idx forgets index public.users_email_idx (CREATE INDEX users_email_idx ON public.users USING btree (email)): the down leaves it in place',
      );
      expect(result.stdout).toMatch(/and app 0002_email_idx fails when applied again after its down: relation "users_email_idx" already exists \(at .*flawed\/0002_email_idx\.sql:1:1/);
      expect(result.stdout).toMatch(/✗ down of app 0003_notes fails: table "notes_typo" does not exist \(at .*flawed\/0003_notes\.down\.sql:1:1\)/);
      expect(result.stdout).toContain('✗ 2 of 4 downs do not restore the schema (1 without a down).');

      const doc = (await check('flawed', '--json')).json<CheckDocument>();
      expect(doc).toMatchObject({ version: 1, command: 'check', sound: false, refusals: [] });
      expect(doc.failed).toBeUndefined();
      expect(doc.migrations.map((m) => [m.id, m.hasDown, m.result])).toEqual([
        ['0001_users', true, 'restores'],
        ['0002_email_idx', true, 'forgets'],
        ['0003_notes', true, 'down-failed'],
        ['0004_tags', true, 'restores'],
        ['0005_plain', false, 'no-down'],
      ]);
      expect(doc.migrations[1]!.differences).toEqual([
        {
          kind: 'unexpected',
          objectKind: 'index',
          object: 'public.users_email_idx',
          actual: 'CREATE INDEX users_email_idx ON public.users USING btree (email)',
        },
      ]);
      expect(doc.migrations[2]!.error).toMatchObject({ code: '42P01', line: 1 });
      expect(doc.summary).toEqual({
        migrations: 5,
        replayed: 5,
        downs: 4,
        restores: 2,
        forgets: 1,
        downFailed: 1,
        reapplyFailed: 0,
        noDown: 1,
        notSelected: 0,
      });
      // Once after the forgotten index (the up could not run again), once after the failed down.
      expect(doc.shadow.rebuilds).toBe(2);
    },
    testBudget({ server: 2, cli: 2 }),
  );

  it(
    "a migration that fails on a fresh replay is reported with PostgreSQL's error and its line; the check stops there (exit 4)",
    async () => {
      const result = await check('broken');
      expect(result.code, result.stderr).toBe(4);
      expect(result.stdout).toMatch(/✗ app 0002_orders fails on a fresh replay: relation "customers" does not exist \(at .*broken\/0002_orders\.sql:2:35, statement 2 of 2\)/);
      expect(result.stdout).toContain('✗ the check stopped at app 0002_orders (1 of 3 migrations replayed); 1 down checked before it.');
      const doc = (await check('broken', '--json')).json<CheckDocument>();
      expect(doc.sound).toBe(false);
      expect(doc.failed).toMatchObject({ engine: 'app', id: '0002_orders', error: { code: '42P01', line: 2, column: 35 } });
      expect(doc.migrations.map((m) => `${m.id} ${m.result}`)).toEqual(['0001_users restores']);
      expect(doc.summary).toMatchObject({ migrations: 3, replayed: 1, downs: 1 });
    },
    testBudget({ server: 2, cli: 2 }),
  );

  it(
    "--engine checks only that engine's downs, every engine still replayed; an unknown engine is a usage error",
    async () => {
      const doc = (await check('two', '--engine', 'other', '--json')).json<CheckDocument>();
      expect(doc.sound, JSON.stringify(doc.migrations)).toBe(false);
      expect(doc.engines).toEqual(['other']);
      expect(doc.migrations.map((m) => `${m.engine}:${m.id} ${m.result}`)).toEqual([
        'app:0001_users not-selected',
        'app:0002_email_idx not-selected',
        'app:0003_notes no-down',
        'other:0001_other forgets',
      ]);
      expect(doc.migrations[3]!.differences).toEqual([expect.objectContaining({ kind: 'unexpected', objectKind: 'table', object: 'public.other' })]);
      const unknown = await check('two', '--engine', 'nope');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('Unknown engine "nope"');
    },
    testBudget({ server: 2, cli: 2 }),
  );

  it(
    "the library's check() returns the same document, with no database URL anywhere",
    async () => {
      const saved = { DATABASE_URL: process.env.DATABASE_URL, DIRECT_URL: process.env.DIRECT_URL };
      delete process.env.DATABASE_URL;
      delete process.env.DIRECT_URL;
      const polymigrate = await createPolymigrate({ config: project.path('sound.config.json') });
      try {
        const doc = await polymigrate.check();
        expect(doc).toMatchObject({ version: 1, command: 'check', sound: true, summary: { downs: 2, restores: 2, noDown: 1 } });
      } finally {
        await polymigrate.close();
        Object.assign(process.env, Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined)));
      }
    },
    testBudget({ server: 2, cli: 1 }),
  );
});

/**
 * The example project (Prisma → Drizzle → Payload → SQL) on a shadow server given as --shadow-url
 * (the test server: no second embedded server in this file). Payload's native down() runs through
 * its runtime; one of its downs is edited to forget the enum type its up creates.
 */
describe('polymigrate check (the example project, every engine, --shadow-url)', () => {
  let project: TempProject;
  const EMAIL = PAYLOAD_EXAMPLE_MIGRATIONS[1]!;

  beforeAll(() => {
    project = exampleProject('pm-check-example-');
  });

  afterAll(() => project?.cleanup());

  const check = (...args: string[]) =>
    runCli(['check', '--shadow-url', adminUrl(), ...args], {
      cwd: project.dir,
      env: { DATABASE_URL: undefined, DIRECT_URL: undefined, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET },
      timeoutMs: budget(8 * STEP_MS.payload),
    });
  const shadowDatabases = async () => (await query<{ d: string }>(adminUrl(), "SELECT datname AS d FROM pg_database WHERE datname LIKE 'polymigrate_shadow_run_%'")).map((r) => r.d);

  it(
    "every engine's downs restore the schema, Payload's native ones included; a Payload down that forgets a type is named (exit 4)",
    async () => {
      const before = await shadowDatabases();
      const sound = await check('--json');
      expect(sound.code, sound.stderr).toBe(0);
      const doc = sound.json<CheckDocument>();
      expect(doc.shadow.kind).toBe('url');
      expect(doc.migrations.filter((m) => m.hasDown).map((m) => `${m.engine}:${m.id} ${m.result}`)).toEqual([
        'prisma:20260115120000_audit_log restores',
        'drizzle:0002_daily_rollups restores',
        ...PAYLOAD_EXAMPLE_MIGRATIONS.map((id) => `payload:${id} restores`),
        'reporting:20260120000000_reporting_schema restores',
        'reporting:20260121000000_kpi_snapshots restores',
        'reporting:20260122000000_kpi_day_index restores',
        'reporting:20260123000000_daily_activity_view restores',
      ]);
      expect(doc.summary).toMatchObject({ migrations: 12, replayed: 12, downs: 8, noDown: 4 });

      const file = `payload/migrations/${EMAIL}.ts`;
      project.write(file, project.read(file).replace('DROP TYPE "public"."enum_herbs_nature";', ''));
      const flawed = await check('--engine', 'payload');
      expect(flawed.code, flawed.stderr).toBe(4);
      expect(flawed.stdout).toContain(`✗ down of payload ${EMAIL} forgets enum public.enum_herbs_nature ('cold', 'cool', 'neutral', 'warm', 'hot'): the down leaves it in place`);
      expect(flawed.stdout).toContain('✗ 1 of 2 downs do not restore the schema (4 without a down, 6 of other engines not checked).');
      expect(await shadowDatabases(), 'the scratch databases are dropped').toEqual(before);
    },
    testBudget({ payload: 16 }),
  );
});
