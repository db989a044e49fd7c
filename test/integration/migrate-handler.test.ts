import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrateHandler } from '../../src/api/migrate-handler.js';
import { POLYMIGRATE_LOCK_KEY } from '../../src/lock/advisory-lock.js';
import { createTestDatabase, query, serverPassword } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';

/** The protected migrate route, called as a framework would, against a real database. */
const TOKEN = 'migrate-token-5d1c0a7e9b3f42a8b6e4c2d0f1a3b5c7';

async function call(handler: (r: Request) => Promise<Response>, init: RequestInit & { path?: string } = {}) {
  const response = await handler(new Request(`http://localhost${init.path ?? '/api/migrate'}`, init));
  const text = await response.text();
  expect(text).not.toContain(serverPassword());
  expect(text).not.toContain(TOKEN);
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const post = (extra: RequestInit & { path?: string } = {}) => ({ method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, ...extra });

describe('migrate handler against a real database', () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let handler: (r: Request) => Promise<Response>;
  const tables = async () => (await query<{ t: string }>(db.url, "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map((r) => r.t);

  beforeAll(async () => {
    db = await createTestDatabase('migrate_handler');
    project = new TempProject();
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    project.write('db/1_a.sql', 'CREATE TABLE a (id int);\n');
    handler = createMigrateHandler({ config: project.path('polymigrate.config.json'), databaseUrl: db.url, token: TOKEN, lockTimeoutMs: 300 });
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it('refuses to be created without a token of reasonable length', () => {
    expect(() => createMigrateHandler({ token: 'short' })).toThrow(/at least 32 characters/);
    expect(() => createMigrateHandler({} as never)).toThrow(/token/);
  });

  it('only POST (405 with Allow); a missing or wrong bearer gets 401 without detail; nothing runs', async () => {
    const get = await call(handler, { method: 'GET', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await call(handler, { method: 'POST' })).status).toBe(401);
    const wrong = await call(handler, { method: 'POST', headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect((await call(handler, { method: 'POST', headers: { authorization: 'Bearer short' } })).status).toBe(401);
    expect(await tables()).toEqual([]);
  });

  it('?dryRun=1 answers the plan and changes nothing', async () => {
    const { status, body } = await call(handler, post({ path: '/api/migrate?dryRun=1' }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ version: 1, command: 'up', outcome: 'planned', dryRun: true });
    expect(body.plan.steps.map((s: any) => s.id)).toEqual(['1_a']);
    expect(await query(db.url, "SELECT to_regclass('polymigrate.runs') AS t")).toEqual([{ t: null }]);
  });

  it('409 at once when another run holds the lock', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [POLYMIGRATE_LOCK_KEY.toString()]);
      const started = Date.now();
      const { status, body } = await call(handler, post());
      expect(status).toBe(409);
      expect(body.error).toMatch(/another migration run holds the lock/);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await holder.end();
    }
    expect(await tables()).toEqual([]);
  });

  it('200 with the up --json document; then nothing to do', async () => {
    const { status, body } = await call(handler, post());
    expect(status).toBe(200);
    expect(body).toMatchObject({ version: 1, command: 'up', outcome: 'succeeded' });
    expect(body.results.map((r: any) => `${r.id}:${r.status}`)).toEqual(['1_a:applied']);
    expect(await tables()).toEqual(['a']);
    expect((await call(handler, post())).body.results).toEqual([]);
  });

  it('500 with the document when a migration fails; 422 when up refuses', async () => {
    project.write('db/2_bad.sql', 'CREATE TABLE b (id int REFERENCES missing (id));\n');
    const failed = await call(handler, post());
    expect(failed.status).toBe(500);
    expect(failed.body.outcome).toBe('failed');
    expect(failed.body.results[0].error.message).toMatch(/relation "missing" does not exist/);
    project.write('db/1_a.sql', 'CREATE TABLE a (id bigint);\n'); // edited after it was applied
    project.write('db/2_bad.sql', 'CREATE TABLE b (id int);\n');
    const refused = await call(handler, post());
    expect(refused.status).toBe(422);
    expect(refused.body.plan.refusals[0].message).toMatch(/1_a was edited after it was applied/);
    expect(await tables()).toEqual(['a']);
  });

  it('honours the skip switches: nothing runs during a build', async () => {
    process.env.NEXT_PHASE = 'phase-production-build';
    try {
      const { status, body } = await call(handler, post());
      expect(status).toBe(200);
      expect(body).toMatchObject({ outcome: 'skipped' });
    } finally {
      delete process.env.NEXT_PHASE;
    }
  });

  it('500 with a masked message when the database cannot be reached', async () => {
    const url = new URL(db.url);
    url.port = '1';
    const unreachable = createMigrateHandler({ config: project.path('polymigrate.config.json'), databaseUrl: url.toString(), token: TOKEN });
    const { status, body } = await call(unreachable, post());
    expect(status).toBe(500);
    expect(body.error).toMatch(/Cannot connect to postgres:\/\/\w+:\*\*\*\*@/);
  });
});
