import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthHandler } from '../../src/health/health-handler.js';
import { POLYMIGRATE_LOCK_KEY, POLYMIGRATE_STEP_GUARD_KEY } from '../../src/lock/advisory-lock.js';
import { createTestDatabase, query, serverPassword } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';

async function call(handler: (r: Request) => Promise<Response>, path = '/api/health', init: RequestInit = {}) {
  const response = await handler(new Request(`http://localhost${path}`, init));
  const text = await response.text();
  expect(text).not.toContain(serverPassword());
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('health handler against a real database', () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let handler: (r: Request) => Promise<Response>;

  beforeAll(async () => {
    db = await createTestDatabase('health');
    project = new TempProject();
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    project.write('db/1_a.sql', 'CREATE TABLE a (id int);\n');
    handler = createHealthHandler({ config: project.path('polymigrate.config.json'), databaseUrl: db.url, token: 'probe-token-123' });
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it('pending → 503 with migrations.status "pending", no details without the token', async () => {
    const { status, body } = await call(handler);
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 'error', migrations: { status: 'pending' } });
    expect(body.engines).toEqual([{ name: 'app', kind: 'sql', status: 'pending' }]);
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    expect(Date.parse(body.migrations.lastChecked)).not.toBeNaN();
  });

  it('up to date → 200 "completed"; details with the bearer token; HEAD has no body', async () => {
    expect((await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } })).code).toBe(0);
    const { status, body } = await call(handler);
    expect(status).toBe(200);
    expect(body.migrations.status).toBe('completed');
    const detailed = await call(handler, '/api/health', { headers: { authorization: 'Bearer probe-token-123' } });
    expect(detailed.body.engines[0].migrations).toEqual([{ id: '1_a', state: 'applied' }]);
    const wrong = await call(handler, '/api/health', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.body.engines[0].migrations).toBeUndefined();
    const head = await handler(new Request('http://localhost/api/health', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  // The main lock (a run), or only the step guard (a killed run's migration still committing).
  for (const [what, key] of [
    ['the lock', POLYMIGRATE_LOCK_KEY],
    ['only the step guard', POLYMIGRATE_STEP_GUARD_KEY],
  ] as const) {
    it(`a session holding ${what} → 503 "running"; released → 200`, async () => {
      const holder = new pg.Client({ connectionString: db.url });
      await holder.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1::bigint)', [key.toString()]);
        const { status, body } = await call(handler);
        expect(status).toBe(503);
        expect(body.migrations.status).toBe('running');
      } finally {
        await holder.end();
      }
      expect((await call(handler)).body.migrations.status).toBe('completed');
    });
  }

  it('a failed migration → 503 "failed"', async () => {
    await query(db.url, "UPDATE polymigrate.sql_migrations SET finished_at = NULL WHERE id = '1_a'");
    const { status, body } = await call(handler);
    expect(status).toBe(503);
    expect(body.migrations.status).toBe('failed');
    expect(body.engines[0].status).toBe('failed');
    await query(db.url, "UPDATE polymigrate.sql_migrations SET finished_at = now() WHERE id = '1_a'");
  });

  it('?quick=1 answers from the cached result when a fresh check is slower than quickTimeoutMs', async () => {
    const quickHandler = createHealthHandler({ config: project.path('polymigrate.config.json'), databaseUrl: db.url, quickTimeoutMs: 0 });
    const first = await call(quickHandler); // fills the cache
    expect(first.status).toBe(200);
    project.write('db/2_b.sql', 'CREATE TABLE b (id int);\n');
    const quick = await call(quickHandler, '/api/health?quick=1');
    expect(quick.body.migrations).toEqual(first.body.migrations); // the cached answer, same lastChecked
    const full = await call(quickHandler);
    expect(full.status).toBe(503);
    expect(full.body.migrations.status).toBe('pending');
    project.remove('db/2_b.sql');
  });

  it('an unreachable database → 503 "unknown" without leaking the URL', async () => {
    const down = createHealthHandler({ config: { engines: [{ kind: 'sql', migrations: 'db' }] }, cwd: project.dir, databaseUrl: 'postgres://app:very-secret-pw@127.0.0.1:1/app' });
    const response = await down(new Request('http://localhost/health'));
    const text = await response.text();
    expect(response.status).toBe(503);
    expect(JSON.parse(text).migrations.status).toBe('unknown');
    expect(text).not.toContain('very-secret-pw');
    expect(text).not.toContain('127.0.0.1');
  });
});
