import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, createTestDatabase, query, withClient } from '../helpers/database.js';
import { ENGINES, expectHistoryMatchesCatalog, type EngineUnderTest } from '../helpers/engine-under-test.js';
import { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * Session state a migration sets must not reach the next migration of the run, whichever engine
 * either belongs to: every migration starts from the session as the run began. Each case leaks
 * something from one engine's migration, then a migration of the same engine and one of each
 * other engine probe for it.
 */
const role = `pm_limited_${randomBytes(3).toString('hex')}`;

interface Leak {
  name: string;
  leak: string;
  /** A migration that would go wrong if the leak reached it; `probe` names the relation it creates. */
  probe(probe: string): string;
  check(url: string, probes: string[]): Promise<void>;
  /** The probe migrations must fail (the leak, had it reached them, would have hidden an error). */
  probesFail?: RegExp;
}

const publicTables = async (url: string) =>
  (await query<{ t: string }>(url, "SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE tablename LIKE 'probe%' ORDER BY 1")).map((r) => r.t);

const LEAKS: Leak[] = [
  {
    name: 'SET search_path TO other',
    leak: 'CREATE SCHEMA IF NOT EXISTS other;\nSET search_path TO other;\nCREATE TABLE in_other (id int);\n',
    probe: (p) => `CREATE TABLE ${p} (id int);\n`,
    async check(url, probes) {
      expect(await publicTables(url)).toEqual(probes.map((p) => `public.${p}`).sort());
      expect(await query(url, "SELECT schemaname FROM pg_tables WHERE tablename = 'in_other'")).toEqual([{ schemaname: 'other' }]);
    },
  },
  {
    name: "pg_dump's SELECT pg_catalog.set_config('search_path', '', false)",
    leak: "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.dumped (id int);\n",
    probe: (p) => `CREATE TABLE ${p} (id int);\n`,
    async check(url, probes) {
      expect(await publicTables(url)).toEqual(probes.map((p) => `public.${p}`).sort());
    },
  },
  {
    name: 'SET ROLE and SET SESSION AUTHORIZATION',
    leak: `SET SESSION AUTHORIZATION ${role};\nSET ROLE ${role};\n`,
    probe: (p) => `CREATE TABLE ${p} (id int);\n`,
    async check(url, probes) {
      const owners = await query<{ owner: string }>(url, `SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE tablename = ANY($1)`, [probes]);
      expect(owners).toEqual([{ owner: 'postgres' }]);
    },
  },
  {
    name: 'SET session_replication_role = replica',
    leak: 'CREATE TABLE parent (id int PRIMARY KEY);\nCREATE TABLE child (parent_id int REFERENCES parent (id));\nSET session_replication_role = replica;\n',
    probe: () => 'INSERT INTO child VALUES (42);\n',
    probesFail: /violates foreign key constraint/,
    async check(url) {
      expect(await query(url, 'SELECT * FROM child')).toEqual([]);
    },
  },
  {
    name: "SET statement_timeout = '1ms'",
    leak: "SET statement_timeout = '1ms';\n",
    probe: (p) => `SELECT pg_sleep(0.05);\nCREATE TABLE ${p} (id int);\n`,
    async check(url, probes) {
      expect(await publicTables(url)).toEqual(probes.map((p) => `public.${p}`).sort());
    },
  },
  {
    name: 'temp tables, prepared statements and LISTEN',
    leak: 'CREATE TEMP TABLE scratch AS SELECT 1 AS x;\nPREPARE p AS SELECT 1;\nLISTEN polymigrate_test;\n',
    probe: (p) =>
      `CREATE TEMP TABLE scratch AS SELECT 2 AS x;\nPREPARE p AS SELECT 2;\nCREATE TABLE ${p} AS SELECT (SELECT x FROM scratch) AS x, (SELECT count(*) FROM pg_listening_channels()) AS listening;\n`,
    async check(url, probes) {
      for (const p of probes) expect(await query(url, `SELECT x, listening::int AS listening FROM ${p}`)).toEqual([{ x: 2, listening: 0 }]);
    },
  },
];

const ORDER: Array<EngineUnderTest['kind']> = ['sql', 'prisma', 'drizzle'];

beforeAll(async () => {
  await withClient(adminUrl(), (c) => c.query(`CREATE ROLE ${role} NOLOGIN`));
});
afterAll(async () => {
  await withClient(adminUrl(), (c) => c.query(`DROP ROLE IF EXISTS ${role}`));
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe.each(LEAKS)('session state does not leak: $name', (leak) => {
  it.each(ORDER)('from a %s migration into the next migration of every engine', async (source) => {
    const db = await createTestDatabase('hygiene');
    const project = new TempProject();
    cleanups.push(async () => {
      await db.drop();
      project.cleanup();
    });
    // The leaking engine first, then the others, each with one probe migration.
    const engines = [source, ...ORDER.filter((k) => k !== source)].map((kind) => ENGINES[kind]);
    project.config({ engines: engines.map((e) => ({ ...e.config, name: e.kind, ...(e.kind === 'drizzle' ? { migrations: 'drizzle' } : {}) })) });
    const at = (e: EngineUnderTest) => (e.kind === 'drizzle' ? projectIn(project, 'drizzle') : project);
    const leakId = engines[0]!.write(at(engines[0]!), 1, 'leaks', leak.leak);
    const probes = engines.map((e) => `probe_${e.kind}`);
    const probeIds = engines.map((e, i) => e.write(at(e), i === 0 ? 2 : 1, 'probe', leak.probe(probes[i]!)));
    const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url } });

    const up = await cli('up', '--json');
    if (leak.probesFail) {
      expect(up.code).toBe(1);
      const failed = up.json().results.find((r: any) => r.status === 'failed');
      expect(failed.id).toBe(probeIds[0]);
      expect(failed.error.message).toMatch(leak.probesFail);
    } else {
      expect(up.code, up.stderr).toBe(0);
      await expectHistoryMatchesCatalog(cli, db.url, [{ id: leakId, tables: [] }, ...probeIds.map((id, i) => ({ id, tables: [probes[i]!] }))]);
    }
    await leak.check(db.url, probes);
    // Each engine's history row is in its own table, whatever the leak set.
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM public._prisma_migrations WHERE finished_at IS NOT NULL')).toEqual([
      { n: leak.probesFail ? (source === 'prisma' ? 1 : 0) : source === 'prisma' ? 2 : 1 },
    ]);
  });
});

/** Drizzle's folder sits in its own subfolder here, so the SQL engine's `db/` stays its own. */
function projectIn(project: TempProject, folder: string): TempProject {
  return {
    ...project,
    write: (relative: string, content: string) => project.write(relative.replace(/^db\//, `${folder}/`), content),
    read: (relative: string) => project.read(relative.replace(/^db\//, `${folder}/`)),
  } as TempProject;
}

describe("the reset between migrations keeps polymigrate's own session state", () => {
  it("the step guard (an advisory lock of the steps' session) is still held after migrations that were reset", async () => {
    const db = await createTestDatabase('hygiene_lock');
    const project = new TempProject();
    cleanups.push(async () => {
      await db.drop();
      project.cleanup();
    });
    project.config({ engines: [ENGINES.sql.config] });
    ENGINES.sql.write(project, 1, 'sets', 'SET search_path TO pg_temp, public;\nCREATE TEMP TABLE t AS SELECT 1;\n');
    ENGINES.sql.write(project, 2, 'sets_again', 'SET ROLE postgres;\n');
    // What its own session holds, seen from inside the third migration: the guard survived two resets.
    ENGINES.sql.write(
      project,
      3,
      'looks',
      `CREATE TABLE held AS SELECT count(*)::int AS n FROM pg_locks
      WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND (classid::bigint << 32) + objid::bigint = 5043117229815412;\n`,
    );
    const up = await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    expect(up.code, up.stderr).toBe(0);
    expect(await query(db.url, 'SELECT n FROM held')).toEqual([{ n: 1 }]);
  });
});
