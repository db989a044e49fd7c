import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load-config.js';
import { verify, type VerifyDifference, type VerifyReport } from '../../src/operations/verify.js';
import { Session } from '../../src/session.js';
import { adminUrl, createTestDatabase, query, urlFor, withClient } from '../helpers/database.js';
import { PAYLOAD_TEST_SECRET } from '../helpers/payload-project.js';
import { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { exampleProject } from '../helpers/shadow-project.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import fs from 'node:fs';

/**
 * A SQL history that makes every object kind verify compares, in seven migrations, so that each
 * object has an owner to name — including a column and an index added by later migrations, and
 * objects changed by a migration other than the one that created them.
 */
const MIGRATIONS: Array<[string, string]> = [
  [
    '0001_schema_types',
    `CREATE SCHEMA app;
CREATE EXTENSION citext VERSION '1.4';
CREATE EXTENSION btree_gist;
CREATE TYPE app.mood AS ENUM ('happy', 'sad', 'neutral');
CREATE TYPE app.priority AS ENUM ('low', 'high');
CREATE DOMAIN app.email AS citext CONSTRAINT email_check CHECK (VALUE LIKE '%@%');
CREATE SEQUENCE app.invoice_numbers START 1000 INCREMENT 5;`,
  ],
  [
    '0002_users',
    `CREATE TABLE app.users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email app.email NOT NULL,
  status app.mood NOT NULL DEFAULT 'neutral',
  score integer NOT NULL DEFAULT 0 CONSTRAINT users_score_check CHECK (score >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_created_idx ON app.users (created_at DESC);`,
  ],
  [
    '0003_avatar_generations',
    `CREATE TABLE app.avatar_generations (
  id serial PRIMARY KEY,
  slot text NOT NULL,
  user_id bigint CONSTRAINT avatar_user_fk REFERENCES app.users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  during tstzrange NOT NULL,
  CONSTRAINT avatar_no_overlap EXCLUDE USING gist (slot WITH =, during WITH &&)
);`,
  ],
  [
    '0004_views_functions',
    `CREATE VIEW app.active_users AS SELECT id, email FROM app.users WHERE score > 0;
CREATE FUNCTION app.greet(who integer, greeting text DEFAULT 'hello') RETURNS text
  LANGUAGE sql STABLE AS $$ SELECT greeting || ' ' || who::text $$;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.score := NEW.score; RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch();`,
  ],
  [
    '0005_rls',
    `ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON app.users FOR SELECT USING (email = current_user::text);`,
  ],
  [
    '0006_display_name',
    `ALTER TABLE app.users ADD COLUMN "displayName" text COLLATE "C";
CREATE UNIQUE INDEX users_display_lower_idx ON app.users (lower("displayName"));
ALTER TABLE app.users ALTER COLUMN score SET DEFAULT 1;`,
  ],
  ['0007_add_avatar_creator_complete', `ALTER TABLE app.avatar_generations ADD COLUMN "projectId" text NOT NULL;`],
];

/** Hand-made drift on a migrated database: one change per object kind, on objects independent of each other. */
const DRIFT = `
DROP INDEX app.users_created_idx;
ALTER TABLE app.users ALTER COLUMN status SET DEFAULT 'happy';
ALTER TABLE app.avatar_generations ADD COLUMN note text;
ALTER TABLE app.avatar_generations DROP COLUMN "projectId";
DROP TYPE app.priority; CREATE TYPE app.priority AS ENUM ('high', 'low');
CREATE OR REPLACE VIEW app.active_users AS SELECT id, email FROM app.users WHERE score > 10;
ALTER TABLE app.users DISABLE ROW LEVEL SECURITY;
DROP POLICY own_rows ON app.users;
ALTER TABLE app.users DROP CONSTRAINT users_score_check, ADD CONSTRAINT users_score_check CHECK (score >= 0) NOT VALID;
CREATE OR REPLACE FUNCTION app.greet(who integer, greeting text DEFAULT 'hello') RETURNS text
  LANGUAGE sql STABLE AS $$ SELECT greeting || '! ' || who::text $$;
ALTER TABLE app.users ALTER COLUMN "displayName" TYPE text COLLATE "POSIX";
DROP TRIGGER users_touch ON app.users;
ALTER TABLE app.avatar_generations DROP CONSTRAINT avatar_user_fk,
  ADD CONSTRAINT avatar_user_fk FOREIGN KEY (user_id) REFERENCES app.users (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;
ALTER SEQUENCE app.invoice_numbers INCREMENT 10;
ALTER EXTENSION citext UPDATE TO '1.5';
ALTER DOMAIN app.email DROP CONSTRAINT email_check;
ALTER DOMAIN app.email ADD CONSTRAINT email_check CHECK (VALUE LIKE '%@%.%');
CREATE TABLE public.tmp_import (x integer);
`;

const by = (id: string) => ({ engine: 'app', id });

/** What each drift must come out as: kind, object, and the migrations named as its owner. */
const EXPECTED: Array<Partial<VerifyDifference> & Pick<VerifyDifference, 'kind' | 'objectKind' | 'object'>> = [
  { kind: 'missing', objectKind: 'index', object: 'app.users_created_idx', createdBy: by('0002_users') },
  { kind: 'changed', objectKind: 'column', object: 'app.users.status', field: 'default', createdBy: by('0002_users') },
  { kind: 'unexpected', objectKind: 'column', object: 'app.avatar_generations.note' },
  { kind: 'missing', objectKind: 'column', object: 'app.avatar_generations."projectId"', expected: 'text NOT NULL', createdBy: by('0007_add_avatar_creator_complete') },
  { kind: 'changed', objectKind: 'enum', object: 'app.priority', createdBy: by('0001_schema_types') },
  { kind: 'changed', objectKind: 'view', object: 'app.active_users', createdBy: by('0004_views_functions') },
  { kind: 'changed', objectKind: 'table', object: 'app.users', createdBy: by('0002_users'), changedBy: by('0005_rls') },
  { kind: 'missing', objectKind: 'policy', object: 'app.users.own_rows', createdBy: by('0005_rls') },
  { kind: 'changed', objectKind: 'constraint', object: 'app.users.users_score_check', createdBy: by('0002_users') },
  { kind: 'changed', objectKind: 'function', object: 'app.greet(integer, text)', createdBy: by('0004_views_functions') },
  { kind: 'changed', objectKind: 'column', object: 'app.users."displayName"', field: 'collation', createdBy: by('0006_display_name') },
  { kind: 'missing', objectKind: 'trigger', object: 'app.users.users_touch', createdBy: by('0004_views_functions') },
  { kind: 'changed', objectKind: 'constraint', object: 'app.avatar_generations.avatar_user_fk', createdBy: by('0003_avatar_generations') },
  { kind: 'changed', objectKind: 'sequence', object: 'app.invoice_numbers', createdBy: by('0001_schema_types') },
  { kind: 'changed', objectKind: 'extension', object: 'citext', createdBy: by('0001_schema_types') },
  { kind: 'changed', objectKind: 'domain', object: 'app.email', createdBy: by('0001_schema_types') },
  { kind: 'unexpected', objectKind: 'table', object: 'public.tmp_import' },
];

async function cloneDatabase(template: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Math.random().toString(16).slice(2, 10)}`;
  await withClient(adminUrl(), (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return { url: urlFor(name), drop: () => withClient(adminUrl(), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined) };
}

/**
 * The library call on a SQL project whose history makes every object kind; one embedded shadow
 * server for the file (its first start runs initdb; later verifies reuse its data folder).
 */
describe('verify: every object kind, with its owner', () => {
  let project: TempProject;
  let golden: Awaited<ReturnType<typeof createTestDatabase>>;
  const cleanups: Array<() => Promise<void>> = [];

  const runVerify = async (url: string, options: Parameters<typeof verify>[1] = {}): Promise<VerifyReport> => {
    const config = await loadConfigFile(project.path('polymigrate.config.json'));
    const session = new Session({ config, databaseUrl: url });
    try {
      return await verify(session, options);
    } finally {
      await session.close();
    }
  };

  beforeAll(
    async () => {
      project = new TempProject('pm-verify-');
      fs.chmodSync(project.dir, 0o755);
      for (const [id, sql] of MIGRATIONS) project.write(`db/${id}.sql`, `${sql}\n`);
      project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
      golden = await createTestDatabase('verifygold');
      const up = await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: golden.url }, timeoutMs: budget(STEP_MS.cli) });
      expect(up.code, up.stderr).toBe(0);
    },
    testBudget({ cli: 1, query: 1 }),
  );

  afterAll(
    async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      await golden?.drop();
      project?.cleanup();
    },
    testBudget({ query: 4 }),
  );

  it(
    'a database exactly as its migrations made it matches, with a summary of what was compared',
    async () => {
      const report = await runVerify(golden.url);
      expect(report.differences).toEqual([]);
      expect(report.matches).toBe(true);
      expect(report.shadow.migrations).toBe(MIGRATIONS.length);
      // Nothing differs, so no owner is needed: a plain replay answered.
      expect(report.shadow.attribution).toBe('none');
      const counts = Object.fromEntries(report.summary.map((s) => [s.kind, s.count]));
      expect(counts).toMatchObject({ table: 2, view: 1, function: 2, trigger: 1, policy: 1, enum: 2, domain: 1, extension: 3, schema: 2 });
      // Indexes that back a constraint count as the constraint.
      expect(counts.index).toBe(2);
      // plpgsql is an extension too, and public a schema, in both databases.
    },
    testBudget({ server: 1, cli: 1 }),
  );

  it(
    'names each hand-made drift once, with what the migrations make, what the database has, and the owning migration',
    async () => {
      const live = await cloneDatabase(golden.name, 'verifydrift');
      cleanups.push(() => live.drop());
      await query(live.url, DRIFT);
      const report = await runVerify(live.url);
      expect(report.matches).toBe(false);
      for (const expected of EXPECTED) {
        const found = report.differences.filter((d) => d.objectKind === expected.objectKind && d.object === expected.object);
        expect(found, `${expected.kind} ${expected.objectKind} ${expected.object} in ${JSON.stringify(report.differences, null, 1)}`).toHaveLength(1);
        expect(found[0]).toMatchObject(expected);
        if (expected.kind === 'unexpected') expect(found[0]!.createdBy).toBeUndefined();
      }
      expect(report.differences.map((d) => `${d.kind} ${d.objectKind} ${d.object}`).sort()).toEqual(EXPECTED.map((d) => `${d.kind} ${d.objectKind} ${d.object}`).sort());
      const column = report.differences.find((d) => d.object === 'app.avatar_generations."projectId"')!;
      expect(column).toMatchObject({ expected: 'text NOT NULL' });
      const status = report.differences.find((d) => d.object === 'app.users.status')!;
      expect(status.expected).toContain('neutral');
      expect(status.actual).toContain('happy');
      // The schemas differ, so the owners came from a replay with attribution (its templates kept apart from plain replays').
      expect(report.shadow.attribution).toBe('event-trigger');
      expect(report.shadow.cache.hit + report.shadow.cache.replayed).toBe(MIGRATIONS.length);
      const again = await runVerify(live.url);
      expect(again.shadow.cache, 'the attributed replay is cached too').toMatchObject({ enabled: true, hit: MIGRATIONS.length, replayed: 0 });
      expect(again.differences).toEqual(report.differences);
    },
    testBudget({ server: 1, query: 2 }),
  );

  it(
    'verify.ignore leaves objects out on both sides; --engine keeps only objects its migrations own',
    async () => {
      const live = await cloneDatabase(golden.name, 'verifyignore');
      cleanups.push(() => live.drop());
      await query(live.url, 'CREATE TABLE public.tmp_import (x integer); CREATE SCHEMA vendor; CREATE TABLE vendor.things (id int)');
      const config = JSON.parse(project.read('polymigrate.config.json')) as Record<string, unknown>;
      project.config({ ...config, verify: { ignore: ['table public.tmp_*', 'vendor.*', 'schema vendor'] } });
      try {
        const report = await runVerify(live.url);
        expect(report.differences).toEqual([]);
      } finally {
        project.config(config);
      }
      const unfiltered = await runVerify(live.url);
      expect(unfiltered.differences.map((d) => `${d.kind} ${d.objectKind} ${d.object}`)).toEqual(expect.arrayContaining(['unexpected table public.tmp_import', 'unexpected schema vendor']));
      const restricted = await runVerify(live.url, { engines: ['app'] });
      expect(restricted.differences, 'unexpected objects belong to no engine').toEqual([]);
    },
    testBudget({ server: 3, query: 2 }),
  );

  it(
    'an edited migration invalidates the cache from that file on, and is replayed as it is now',
    async () => {
      const file = 'db/0007_add_avatar_creator_complete.sql';
      const original = project.read(file);
      project.write(file, `${original}-- edited\n`);
      try {
        const report = await runVerify(golden.url);
        expect(report.shadow.cache.hit).toBeLessThan(MIGRATIONS.length);
        expect(report.shadow.cache.replayed).toBeGreaterThanOrEqual(1);
        expect(report.shadow.cache.hit + report.shadow.cache.replayed).toBe(MIGRATIONS.length);
        expect(report.warnings.join('\n')).toMatch(/0007_add_avatar_creator_complete was edited after it was applied/);
        expect(report.matches).toBe(true);
      } finally {
        project.write(file, original);
      }
      const again = await runVerify(golden.url, { cache: false });
      expect(again.shadow.cache).toMatchObject({ enabled: false, hit: 0, replayed: MIGRATIONS.length });
      expect(again.matches).toBe(true);
    },
    testBudget({ server: 2, query: 2 }),
  );

  it(
    'up --verify applies, then verifies: exit 0 when the schema matches, 4 when the database holds what no migration made',
    async () => {
      const clean = await createTestDatabase('verifyup');
      const dirty = await createTestDatabase('verifyupdirty');
      cleanups.push(
        () => clean.drop(),
        () => dirty.drop(),
      );
      const ok = await runCli(['up', '--verify'], { cwd: project.dir, env: { DATABASE_URL: clean.url }, timeoutMs: budget(STEP_MS.server + STEP_MS.cli) });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/applied[\s\S]*✓ schema matches: 2 tables/);
      await query(dirty.url, 'CREATE TABLE public.tmp_import (x integer)');
      const drift = await runCli(['up', '--verify'], { cwd: project.dir, env: { DATABASE_URL: dirty.url }, timeoutMs: budget(STEP_MS.server + STEP_MS.cli) });
      expect(drift.code, drift.stderr).toBe(4);
      expect(drift.stdout).toMatch(/✗ unexpected table public\.tmp_import/);
      expect((await query<{ n: string }>(dirty.url, "SELECT count(*) AS n FROM polymigrate.sql_migrations WHERE engine = 'app'"))[0]!.n, 'the run itself stays applied').toBe(
        String(MIGRATIONS.length),
      );
    },
    testBudget({ server: 2, cli: 2, query: 3 }),
  );

  it(
    'pending migrations are not replayed: the shadow holds exactly what the database applied',
    async () => {
      project.write('db/0008_pending.sql', 'CREATE TABLE app.later (id int);\n');
      try {
        const report = await runVerify(golden.url);
        expect(report.shadow.migrations).toBe(MIGRATIONS.length);
        expect(report.matches).toBe(true);
      } finally {
        fs.rmSync(project.path('db/0008_pending.sql'));
      }
    },
    testBudget({ server: 1, query: 2 }),
  );
});

/** The CLI on the example project: Prisma, Drizzle, Payload (replayed through its runtime) and SQL. */
describe('polymigrate verify (CLI, every engine)', () => {
  let project: TempProject;
  let live: Awaited<ReturnType<typeof createTestDatabase>>;
  const env = () => ({ DATABASE_URL: live.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET });

  beforeAll(
    async () => {
      live = await createTestDatabase('verifycli');
      project = exampleProject('pm-verify-cli-');
      const up = await runCli(['up'], { cwd: project.dir, env: env(), timeoutMs: budget(STEP_MS.payload + STEP_MS.cli) });
      expect(up.code, up.stderr).toBe(0);
    },
    testBudget({ payload: 1, cli: 1 }),
  );

  afterAll(
    async () => {
      await live?.drop();
      project?.cleanup();
    },
    testBudget({ query: 2 }),
  );

  it(
    "exit 0 and the summary on a database its migrations made; --json says so with the shadow's cache",
    async () => {
      const human = await runCli(['verify'], { cwd: project.dir, env: env(), timeoutMs: budget(STEP_MS.payload + STEP_MS.server + STEP_MS.cli) });
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toMatch(/✓ schema matches: \d+ tables, \d+ columns, \d+ indexes/);
      const json = await runCli(['verify', '--json'], { cwd: project.dir, env: env(), timeoutMs: budget(STEP_MS.server + STEP_MS.cli) });
      expect(json.code, json.stderr).toBe(0);
      const doc = JSON.parse(json.stdout) as { command: string; matches: boolean; differences: unknown[]; shadow: { cache: { hit: number; replayed: number }; migrations: number } };
      expect(doc).toMatchObject({ version: 1, command: 'verify', matches: true, differences: [] });
      expect(doc.shadow.cache.replayed).toBe(0);
      expect(doc.shadow.cache.hit).toBe(doc.shadow.migrations);
      expect(doc.shadow.migrations).toBeGreaterThanOrEqual(10);
    },
    testBudget({ payload: 1, server: 2, cli: 2 }),
  );

  it(
    "exit 4 on drift, naming the engine and migration; --engine restricts to that engine's objects",
    async () => {
      await query(live.url, 'DROP INDEX "Session_userId_idx"; ALTER TABLE reporting.kpi_snapshots ADD COLUMN extra int');
      const drift = await runCli(['verify'], { cwd: project.dir, env: env(), timeoutMs: budget(STEP_MS.server + STEP_MS.cli) });
      expect(drift.code, drift.stderr).toBe(4);
      expect(drift.stdout).toMatch(/✗ missing index public\."Session_userId_idx" \(CREATE INDEX .*\), added by prisma 20260108120000_sessions_verification_tokens/);
      expect(drift.stdout).toMatch(/✗ unexpected column reporting\.kpi_snapshots\.extra \(integer\), made by no migration/);
      expect(drift.stdout).toMatch(/schema drift: 2 differences \(1 missing, 1 unexpected\)/);
      const drizzleOnly = await runCli(['verify', '--engine', 'drizzle', '--json'], { cwd: project.dir, env: env(), timeoutMs: budget(STEP_MS.server + STEP_MS.cli) });
      expect(drizzleOnly.code, drizzleOnly.stderr).toBe(0);
      expect(JSON.parse(drizzleOnly.stdout)).toMatchObject({ matches: true, engines: ['drizzle'] });
      const prismaOnly = await runCli(['verify', '--engine', 'prisma', '--json'], { cwd: project.dir, env: env(), timeoutMs: budget(STEP_MS.server + STEP_MS.cli) });
      expect(prismaOnly.code).toBe(4);
      const doc = JSON.parse(prismaOnly.stdout) as { differences: VerifyDifference[] };
      expect(doc.differences).toEqual([
        expect.objectContaining({
          kind: 'missing',
          objectKind: 'index',
          object: 'public."Session_userId_idx"',
          createdBy: { engine: 'prisma', id: '20260108120000_sessions_verification_tokens' },
        }),
      ]);
    },
    testBudget({ server: 3, cli: 3, query: 1 }),
  );
});
