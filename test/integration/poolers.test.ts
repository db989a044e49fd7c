import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthHandler } from '../../src/health/health-handler.js';
import { acquireAdvisoryLock, releaseAdvisoryLock } from '../../src/lock/advisory-lock.js';
import { releaseStrandedKeys } from '../../src/lock/stranded-locks.js';
import { probeSessionPinning } from '../../src/pooler/session-probe.js';
import { RefusedError } from '../../src/errors.js';
import { startAppTraffic } from '../helpers/app-traffic.js';
import { adminUrl, createTestDatabase, query } from '../helpers/database.js';
import { pgbouncerMissing, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * polymigrate behind PgBouncer in transaction mode: the commands that take the lock refuse before
 * taking it, status and the health route work through the pooler, and the direct URL
 * (directUrl, DIRECT_URL, --direct-url) is what up, down and resolve then use.
 * The concurrency cases are in test/reliability/poolers.test.ts.
 */

const KEY = 7_000_000_001n;

function project(extra: Record<string, unknown> = {}): TempProject {
  const p = new TempProject('pm-poolers-');
  p.write('prisma/migrations/20260101000000_users/migration.sql', 'CREATE TABLE users (id int PRIMARY KEY);\n');
  p.write('prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
  p.write('db/1_reports.sql', '-- migrate:up\nCREATE TABLE reports (id int);\n-- migrate:down\nDROP TABLE reports;\n');
  p.config({
    ...extra,
    engines: [
      { kind: 'prisma', migrations: 'prisma/migrations' },
      { kind: 'sql', name: 'reports', migrations: 'db' },
    ],
  });
  return p;
}

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function advisoryHolders(database: string, key: bigint): Promise<number[]> {
  const rows = await query<{ pid: number }>(
    adminUrl(),
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND (classid::bigint << 32) + objid::bigint = $2::bigint
       AND database = (SELECT oid FROM pg_database WHERE datname = $1)`,
    [database, key.toString()],
  );
  return rows.map((r) => r.pid);
}

const HEALTH_PATH = 'http://localhost/api/health';

describe('URL shapes that name a transaction-mode pooler: refused before connecting', () => {
  let p: TempProject;
  beforeAll(() => {
    p = project();
  });
  afterAll(() => p.cleanup());

  it.each([
    ['postgres://app:s3cret-pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres', /Supabase's shared pooler \(Supavisor\) in transaction mode/, /port 5432/],
    ['postgres://app:s3cret-pw@ep-cool-name-123456-pooler.eu-central-1.aws.neon.tech/neondb', /Neon's pooled endpoint/, /without "-pooler"/],
  ])('%s', async (url, what, fix) => {
    // Unresolvable hosts: a refusal that needed a connection would fail differently (exit 1).
    const run = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: url } });
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toMatch(what);
    expect(run.stderr).toMatch(fix);
    expect(run.stderr).toContain('****');
    expect(run.stderr).not.toContain('s3cret-pw');
  });

  it("pgbouncer=true (Prisma's flag) on any URL", async () => {
    const db = await createTestDatabase('poolurl');
    try {
      const run = await runCli(['up', '--json'], { cwd: p.dir, env: { DATABASE_URL: `${db.url}?pgbouncer=true` } });
      expect(run.code).toBe(5);
      expect(run.json().error).toMatchObject({ exitCode: 5, message: expect.stringMatching(/pgbouncer=true/), hint: expect.stringMatching(/directUrl/) });
      expect(await query(db.url, `SELECT 1 FROM pg_namespace WHERE nspname = 'polymigrate'`)).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});

describe.skipIf(pgbouncerMissing('test/integration/poolers.test.ts (polymigrate behind PgBouncer)'))('behind PgBouncer in transaction mode', () => {
  let bouncer: PgBouncer;
  beforeAll(async () => {
    bouncer = await startPgBouncer(adminUrl(), { mode: 'transaction', poolSize: 1 });
  });
  afterAll(async () => {
    await bouncer?.stop();
  });

  describe('commands', () => {
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    let p: TempProject;
    const pooled = () => bouncer.url(db.url);
    const cli = (env: Record<string, string | undefined>, ...args: string[]) => runCli(args, { cwd: p.dir, env: { DATABASE_URL: pooled(), DIRECT_URL: undefined, ...env } });
    beforeAll(async () => {
      db = await createTestDatabase('poolcmd');
      p = project();
    });
    afterAll(async () => {
      await db.drop();
      p.cleanup();
    });

    it('status works through the pooler (exit 3: pending), with app traffic on it', async () => {
      const traffic = startAppTraffic(pooled(), 2);
      await traffic.ready;
      const status = await cli({}, 'status', '--json');
      expect((await traffic.stop()).errors).toEqual([]);
      expect(status.code, status.stderr).toBe(3);
      expect(status.json().pending).toBe(2);
    });

    it('up and down refuse (exit 5) naming the pooler and the fix; --url ignores a DIRECT_URL left in the environment', async () => {
      for (const args of [['up'], ['down'], ['resolve', 'prisma', '20260101000000_users', '--applied']]) {
        const run = await cli({}, ...args);
        expect(run.code, run.stderr).toBe(5);
        expect(run.stderr).toMatch(/Refusing to migrate through a transaction-mode connection pooler .* at postgres:\/\/postgres:\*\*\*\*@127\.0\.0\.1:\d+\//);
        expect(run.stderr).toMatch(/set "directUrl" in the config, or DIRECT_URL \(with --url: --direct-url\)/);
      }
      const run = await cli({ DATABASE_URL: undefined, DIRECT_URL: db.url }, 'up', '--url', pooled());
      expect(run.code, run.stderr).toBe(5);
      expect(await advisoryHolders(db.name, 5_043_117_229_815_411n)).toEqual([]);
    });

    it('with DIRECT_URL, up runs on it; status and the health route keep the pooled URL', async () => {
      const up = await cli({ DIRECT_URL: db.url }, 'up');
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toContain('Applied 2 migration(s)');
      const status = await cli({}, 'status', '--json');
      expect(status.code, status.stderr).toBe(0);
      const health = createHealthHandler({ config: p.path('polymigrate.config.json'), databaseUrl: pooled() });
      const response = await health(new Request(HEALTH_PATH));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ok', migrations: { status: 'completed' } });
    });

    it("--direct-url and the config's directUrl work the same way (down, then up)", async () => {
      const down = await cli({}, 'down', '--direct-url', db.url);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stdout).toMatch(/reverted/);
      const configured = project({ directUrl: db.url });
      try {
        const up = await runCli(['up'], { cwd: configured.dir, env: { DATABASE_URL: pooled() } });
        expect(up.code, up.stderr).toBe(0);
        expect(up.stdout).toContain('Applied 1 migration(s)');
      } finally {
        configured.cleanup();
      }
    });
  });

  describe('health route', () => {
    it('answers through the pooler: 503 pending, then 200 once applied', async () => {
      const db = await createTestDatabase('poolhealth');
      const p = project();
      try {
        const health = createHealthHandler({ config: p.path('polymigrate.config.json'), databaseUrl: bouncer.url(db.url) });
        const before = await health(new Request(HEALTH_PATH));
        expect(before.status).toBe(503);
        expect(await before.json()).toMatchObject({ migrations: { status: 'pending' } });
        expect((await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: db.url } })).code).toBe(0);
        expect((await health(new Request(HEALTH_PATH))).status).toBe(200);
      } finally {
        p.cleanup();
        await db.drop();
      }
    });
  });
});

describe.skipIf(pgbouncerMissing('test/integration/poolers.test.ts (session mode)'))('behind PgBouncer in session mode', () => {
  it("a pool of one server connection: the run says it needs two, instead of PgBouncer's bare query_wait_timeout", async () => {
    const bouncer = await startPgBouncer(adminUrl(), { mode: 'session', poolSize: 1, queryWaitTimeout: 2 });
    const db = await createTestDatabase('poolsess');
    const p = project();
    try {
      const run = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: bouncer.url(db.url) } });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/found no free server connection for polymigrate \(query_wait_timeout\)/);
      expect(run.stderr).toMatch(/needs two server connections free for each run/);
    } finally {
      p.cleanup();
      await bouncer.stop();
      await db.drop();
    }
  });
});

describe.skipIf(pgbouncerMissing("the lock's own pooler checks (test/integration/poolers.test.ts)"))("the lock refuses a session that is not its connection's", () => {
  it('pool of 1: a key another client took on the shared server session is refused, not taken again', async () => {
    const bouncer = await startPgBouncer(adminUrl(), { mode: 'transaction', poolSize: 1 });
    const db = await createTestDatabase('poollock');
    const [x, y] = [await client(bouncer.url(db.url)), await client(bouncer.url(db.url))];
    try {
      await acquireAdvisoryLock(x, KEY, { timeoutSeconds: 1 });
      const [holder] = await advisoryHolders(db.name, KEY);
      const refused = await acquireAdvisoryLock(y, KEY, { timeoutSeconds: 1 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RefusedError);
      expect((refused as Error).message).toMatch(new RegExp(`server session ${holder} already held lock key ${KEY}, which this connection never took there`));
      // y never took it, never released it: still exactly one hold, x's.
      await expect(releaseAdvisoryLock(y, KEY)).resolves.toBeUndefined();
      expect(await advisoryHolders(db.name, KEY)).toEqual([holder]);
      await releaseAdvisoryLock(x, KEY);
      expect(await advisoryHolders(db.name, KEY)).toEqual([]);
    } finally {
      await Promise.all([x.end(), y.end()]);
      await bouncer.stop();
      await db.drop();
    }
  });

  it('pool of 20: a release served by another session is refused, does not release what that session holds, and the key is then freed through the pooler', async () => {
    const bouncer = await startPgBouncer(adminUrl(), { mode: 'transaction', poolSize: 20 });
    const db = await createTestDatabase('poollock');
    const [x, y] = [await client(bouncer.url(db.url)), await client(bouncer.url(db.url))];
    try {
      await acquireAdvisoryLock(x, KEY, { timeoutSeconds: 1 });
      const [holder] = await advisoryHolders(db.name, KEY);
      // PgBouncer hands out the most recently used idle session: y's transaction gets x's, and keeps it.
      await y.query('BEGIN');
      expect((await y.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid).toBe(holder);
      const refused = await releaseAdvisoryLock(x, KEY).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RefusedError);
      expect((refused as Error).message).toMatch(new RegExp(`lock key ${KEY}, taken on server session ${holder}, could not be released`));
      expect(await advisoryHolders(db.name, KEY)).toEqual([holder]);
      await y.query('COMMIT');

      // Bury the holding session under two more recently used ones, then free the stranded key
      // through the pooler: the cleanup pins sessions until it reaches the one that holds it.
      const zs = await Promise.all([1, 2, 3].map(() => client(bouncer.url(db.url))));
      await Promise.all(zs.map((z) => z.query('BEGIN')));
      const pids = await Promise.all(zs.map(async (z) => (await z.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
      expect(pids).toContain(holder);
      const order = [...zs.keys()].sort((i, j) => Number(pids[j] === holder) - Number(pids[i] === holder));
      for (const i of order) await zs[i]!.query('COMMIT');
      await Promise.all(zs.map((z) => z.end()));
      expect(await releaseStrandedKeys(bouncer.url(db.url), x)).toBeUndefined();
      expect(await advisoryHolders(db.name, KEY)).toEqual([]);
      // Nothing was terminated: the session that held the key is still there.
      expect(await query(adminUrl(), 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [holder])).toHaveLength(1);
    } finally {
      await Promise.all([x.end(), y.end()]);
      await bouncer.stop();
      await db.drop();
    }
  });

  it('round robin over exactly two idle server sessions: the probe still sees the pooler', async () => {
    const bouncer = await startPgBouncer(adminUrl(), { mode: 'transaction', poolSize: 2, roundRobin: true });
    const db = await createTestDatabase('poolrr');
    const [x, y] = [await client(bouncer.url(db.url)), await client(bouncer.url(db.url))];
    try {
      // Two transactions open at once make PgBouncer open both server sessions; then both are idle.
      await Promise.all([x.query('BEGIN'), y.query('BEGIN')]);
      await Promise.all([x.query('SELECT 1'), y.query('SELECT 1')]);
      await Promise.all([x.query('COMMIT'), y.query('COMMIT')]);
      const evidence = await probeSessionPinning({ name: 'x', db: x }, { name: 'y', db: y });
      expect(evidence).toMatch(/then on|same server session|other transaction|another client/);
    } finally {
      await Promise.all([x.end(), y.end()]);
      await bouncer.stop();
      await db.drop();
    }
  });
});
