import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttributionTracker, type MigrationEffect } from '../../src/schema/attribution.js';
import { diffSchemas } from '../../src/schema/diff.js';
import { defaultExclusions } from '../../src/schema/exclusions.js';
import { introspectSchema } from '../../src/schema/introspect.js';
import { adminUrl, createTestDatabase, urlFor, withClient } from '../helpers/database.js';
import { runProcess } from '../helpers/run-process.js';
import { createRoleDatabase, type RoleDatabase } from '../helpers/secret-role.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

/**
 * Attribution on a shadow: migrations applied one at a time, each on a connection of its own (one
 * from a child process, as Payload's runs; one under another role; one a DO block), the tracker
 * told after each. The same history on a database whose owner is no superuser runs in
 * full-introspection mode and must come to the same owners and the same model.
 */
type Via = 'connection' | 'child process' | 'other role';
interface Step {
  engine: string;
  id: string;
  sql: string;
  via: Via;
}

const STEPS: Step[] = [
  {
    engine: 'prisma',
    id: '20250101_init',
    via: 'connection',
    sql: `
    CREATE TYPE mood AS ENUM ('happy', 'sad');
    CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, status mood);
    CREATE INDEX users_name_idx ON users (name);
    CREATE VIEW active AS SELECT id, name FROM users;`,
  },
  { engine: 'prisma', id: '20250102_email', via: 'connection', sql: 'ALTER TABLE users ADD COLUMN email text' },
  {
    engine: 'sql',
    id: '20250103_audit',
    via: 'connection',
    sql: `DO $$ BEGIN
      EXECUTE 'CREATE TABLE audit (id int, at timestamptz DEFAULT now())';
      CREATE INDEX audit_at_idx ON audit (at);
      ALTER TYPE mood ADD VALUE 'meh';
    END $$`,
  },
  {
    engine: 'payload',
    id: '20250104_greet',
    via: 'child process',
    sql: `
    CREATE FUNCTION greet(n integer) RETURNS text LANGUAGE sql AS $$ SELECT 'hi ' || n $$;
    ALTER TABLE users ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_rows ON users USING (name = current_user)`,
  },
  {
    engine: 'sql',
    id: '20250105_view',
    via: 'connection',
    sql: `
    DROP VIEW active;
    CREATE VIEW active AS SELECT id, name, email FROM users`,
  },
  { engine: 'sql', id: '20250106_drop', via: 'connection', sql: 'DROP TABLE audit; DROP INDEX users_name_idx' },
  {
    engine: 'drizzle',
    id: '0007_again',
    via: 'other role',
    sql: `
    CREATE TABLE audit (id int, note text);
    CREATE FUNCTION audit_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM audit $$`,
  },
  { engine: 'sql', id: '20250108_index', via: 'connection', sql: 'CREATE INDEX users_name_idx ON users (lower(name))' },
  { engine: 'sql', id: '20250109_rename_column', via: 'connection', sql: 'ALTER TABLE users RENAME COLUMN name TO full_name' },
  { engine: 'sql', id: '20250110_rename_table', via: 'connection', sql: 'ALTER TABLE users RENAME TO people' },
];

const exclude = defaultExclusions();
const ref = (step: Step) => ({ engine: step.engine, id: step.id });
const byId = (id: string) => ref(STEPS.find((s) => s.id === id)!);

/** Runs a step the way `via` says, never on the tracker's own connection. */
async function apply(url: string, step: Step, otherRole: string | undefined): Promise<void> {
  if (step.via === 'child process') {
    const script = `import pg from 'pg'; const c = new pg.Client({ connectionString: process.env.SHADOW_URL });
      await c.connect(); await c.query(process.env.MIGRATION_SQL); await c.end();`;
    const result = await runProcess(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: { ...process.env, SHADOW_URL: url, MIGRATION_SQL: step.sql },
      timeoutMs: budget(STEP_MS.cli),
    });
    expect(result.code, result.output).toBe(0);
    return;
  }
  await withClient(url, async (c) => {
    if (step.via === 'other role' && otherRole) await c.query(`SET ROLE "${otherRole}"`);
    await c.query(step.sql);
  });
}

/** Install a tracker on `url` and replay every step; the effects, per step. */
async function replay(url: string, otherRole?: string, restoreAfter?: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let tracker = await AttributionTracker.install(client, { exclude });
    const effects: Record<string, MigrationEffect> = {};
    const ownersBeforeRenames: Record<string, unknown> = {};
    for (const step of STEPS) {
      await apply(url, step, otherRole);
      effects[step.id] = await tracker.afterMigration(client, ref(step));
      if (step.id === '20250108_index') for (const key of tracker.model().objects.keys()) ownersBeforeRenames[key] = tracker.ownerOf(key);
      // A tracker kept with a cached template and restored from JSON carries on where it was.
      if (step.id === restoreAfter) tracker = AttributionTracker.restore(JSON.parse(JSON.stringify(tracker.snapshot())));
    }
    const full = await introspectSchema(client, { exclude });
    return { tracker, effects, ownersBeforeRenames, full };
  } finally {
    await client.end();
  }
}

/**
 * The cached-template path: replay up to `cloneAfter` on `url`, keep the tracker's snapshot as
 * JSON, copy the database with CREATE DATABASE … TEMPLATE (OIDs, the DDL log and its event
 * triggers come along), restore the tracker on the copy and replay the rest there.
 */
async function replayThroughClone(url: string, templateName: string, otherRole: string, cloneAfter: string) {
  const split = STEPS.findIndex((s) => s.id === cloneAfter) + 1;
  const snapshot = await withClient(url, async (client) => {
    const tracker = await AttributionTracker.install(client, { exclude });
    for (const step of STEPS.slice(0, split)) {
      await apply(url, step, otherRole);
      await tracker.afterMigration(client, ref(step));
    }
    return JSON.stringify(tracker.snapshot());
  });
  const cloneName = `${templateName}_copy`;
  await withClient(adminUrl(), (c) => c.query(`CREATE DATABASE "${cloneName}" TEMPLATE "${templateName}"`));
  const cloneUrl = urlFor(cloneName);
  const drop = () => withClient(adminUrl(), (c) => c.query(`DROP DATABASE IF EXISTS "${cloneName}" WITH (FORCE)`));
  try {
    return await withClient(cloneUrl, async (client) => {
      const tracker = AttributionTracker.restore(JSON.parse(snapshot));
      for (const step of STEPS.slice(split)) {
        await apply(cloneUrl, step, otherRole);
        await tracker.afterMigration(client, ref(step));
      }
      return { tracker, full: await introspectSchema(client, { exclude }) };
    });
  } finally {
    await drop();
  }
}

describe('attribution: which migration created and last changed each object', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let role: RoleDatabase;
  let eventRun: Awaited<ReturnType<typeof replay>>;
  let fallbackRun: Awaited<ReturnType<typeof replay>>;
  let cloneRun: Awaited<ReturnType<typeof replayThroughClone>>;
  let template: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(
    async () => {
      db = await createTestDatabase('pm_attr');
      // The role for the "other role" step in the superuser database, and the owner of the other database.
      role = await createRoleDatabase('pm-attr-role-pw', 'pm_attr');
      await withClient(db.url, (c) => c.query(`GRANT CREATE, USAGE ON SCHEMA public TO "${role.role}"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${role.role}"`));
      eventRun = await replay(db.url, role.role, '20250105_view');
      fallbackRun = await replay(role.url);
      template = await createTestDatabase('pm_attr_tpl');
      await withClient(template.url, (c) => c.query(`GRANT CREATE, USAGE ON SCHEMA public TO "${role.role}"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${role.role}"`));
      cloneRun = await replayThroughClone(template.url, template.name, role.role, '20250106_drop');
    },
    testBudget({ query: 9, cli: 4 }),
  );
  afterAll(async () => {
    await db?.drop();
    await template?.drop();
    await role?.drop();
  });

  it('a superuser shadow runs the event trigger; a database owner who is no superuser falls back to full introspection', () => {
    expect(eventRun.tracker.mode).toBe('event-trigger');
    expect(fallbackRun.tracker.mode).toBe('full-introspection');
    expect(fallbackRun.tracker.fallbackReason).toMatch(/permission denied/);
  });

  it("each step's effect: what it created, changed and dropped", () => {
    const { effects } = eventRun;
    expect(effects['20250101_init']!.created).toEqual([
      'enum public.mood',
      'sequence public.users_id_seq',
      'table public.users',
      'column public.users.id',
      'column public.users.name',
      'column public.users.status',
      'constraint public.users.users_pkey',
      'index public.users_name_idx',
      'view public.active',
    ]);
    expect(effects['20250102_email']).toEqual({ created: ['column public.users.email'], changed: [], dropped: [] });
    expect(effects['20250103_audit']).toEqual({
      created: ['table public.audit', 'column public.audit.at', 'column public.audit.id', 'index public.audit_at_idx'],
      changed: ['enum public.mood'],
      dropped: [],
    });
    expect(effects['20250104_greet']).toEqual({
      created: ['function public.greet(integer)', 'policy public.users.own_rows'],
      changed: ['table public.users'],
      dropped: [],
    });
    expect(effects['20250105_view']).toEqual({ created: [], changed: ['view public.active'], dropped: [] });
    expect(effects['20250106_drop']).toEqual({
      created: [],
      changed: [],
      dropped: ['table public.audit', 'column public.audit.at', 'column public.audit.id', 'index public.audit_at_idx', 'index public.users_name_idx'],
    });
    expect(effects['0007_again']).toEqual({
      created: ['table public.audit', 'column public.audit.id', 'column public.audit.note', 'function public.audit_count()'],
      changed: [],
      dropped: [],
    });
  });

  it('owners: a column added later, a DO block, a child process, another role, objects dropped and created again', () => {
    const owners = eventRun.ownersBeforeRenames;
    expect(owners['column public.users.email']).toEqual({ createdBy: byId('20250102_email'), changedBy: byId('20250102_email') });
    expect(owners['column public.users.name']).toEqual({ createdBy: byId('20250101_init'), changedBy: byId('20250101_init') });
    expect(owners['enum public.mood']).toEqual({ createdBy: byId('20250101_init'), changedBy: byId('20250103_audit') });
    expect(owners['table public.users']).toEqual({ createdBy: byId('20250101_init'), changedBy: byId('20250104_greet') });
    expect(owners['function public.greet(integer)']).toEqual({ createdBy: byId('20250104_greet'), changedBy: byId('20250104_greet') });
    // Dropped and created again within one migration: the same object, changed by it.
    expect(owners['view public.active']).toEqual({ createdBy: byId('20250101_init'), changedBy: byId('20250105_view') });
    // Dropped by one migration, created again by a later one: an object of the later one.
    expect(owners['table public.audit']).toEqual({ createdBy: byId('0007_again'), changedBy: byId('0007_again') });
    expect(owners['index public.users_name_idx']).toEqual({ createdBy: byId('20250108_index'), changedBy: byId('20250108_index') });
  });

  it('renames: the renamed objects are new, the views that refer to them changed', () => {
    const { effects, tracker } = eventRun;
    expect(effects['20250109_rename_column']).toEqual({
      created: ['column public.users.full_name'],
      changed: ['index public.users_name_idx', 'view public.active', 'policy public.users.own_rows'],
      dropped: ['column public.users.name'],
    });
    expect(effects['20250110_rename_table']!.created).toContain('table public.people');
    expect(effects['20250110_rename_table']!.dropped).toContain('table public.users');
    expect(tracker.ownerOf('view public.active')).toEqual({ createdBy: byId('20250101_init'), changedBy: byId('20250110_rename_table') });
    expect(tracker.ownerOf('enum public.mood')).toEqual({ createdBy: byId('20250101_init'), changedBy: byId('20250103_audit') });
    expect(tracker.ownerOf('table public.users')).toBeUndefined();
  });

  it("the tracker's model is what a full introspection sees", () => {
    expect(diffSchemas(eventRun.full, eventRun.tracker.model())).toEqual([]);
    expect(diffSchemas(fallbackRun.full, fallbackRun.tracker.model())).toEqual([]);
  });

  it('both modes come to the same effects and the same owners', () => {
    expect(fallbackRun.effects).toEqual(eventRun.effects);
    const owners = (run: typeof eventRun) => Object.fromEntries([...run.tracker.model().objects.keys()].map((k) => [k, run.tracker.ownerOf(k)]));
    expect(owners(fallbackRun)).toEqual(owners(eventRun));
    expect(Object.keys(owners(eventRun)).length).toBeGreaterThan(10);
  });

  it('a tracker restored on a copy of its template database (CREATE DATABASE … TEMPLATE) carries on there', () => {
    expect(cloneRun.tracker.mode).toBe('event-trigger');
    expect(diffSchemas(cloneRun.full, cloneRun.tracker.model())).toEqual([]);
    const owners = (tracker: AttributionTracker) => Object.fromEntries([...tracker.model().objects.keys()].map((k) => [k, tracker.ownerOf(k)]));
    expect(owners(cloneRun.tracker)).toEqual(owners(eventRun.tracker));
    // Steps after the copy were attributed on the copy: the other role's table, the renames.
    expect(cloneRun.tracker.ownerOf('table public.audit')).toEqual({ createdBy: byId('0007_again'), changedBy: byId('0007_again') });
    expect(cloneRun.tracker.ownerOf('table public.people')).toEqual({ createdBy: byId('20250110_rename_table'), changedBy: byId('20250110_rename_table') });
  });

  it('a migration that rolls back leaves nothing to attribute', async () => {
    await withClient(db.url, async (c) => {
      const tracker = await AttributionTracker.install(c, { exclude });
      await withClient(db.url, (other) => other.query('BEGIN; CREATE TABLE never (id int); ROLLBACK'));
      expect(await tracker.afterMigration(c, { engine: 'sql', id: 'rolled-back' })).toEqual({ created: [], changed: [], dropped: [] });
      // Re-installed on a database that already has objects: they exist before any migration, owned by none.
      expect(tracker.ownerOf('table public.people')).toBeUndefined();
    });
  });
});
