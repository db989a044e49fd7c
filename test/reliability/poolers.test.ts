import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAppTraffic, type AppTraffic } from '../helpers/app-traffic.js';
import { adminUrl, createTestDatabase, query } from '../helpers/database.js';
import { pgbouncerMissing, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { TempProject } from '../helpers/project.js';
import { budget } from '../helpers/time-budget.js';
import { ResultRecorder } from './record-results.js';
import { advisoryLocksLeft, spawnCli } from './reliability-helpers.js';
import { probeSessionPinning } from '../../src/pooler/session-probe.js';

/**
 * The production-infrastructure issue's scenario, against a real PgBouncer: concurrent `up` runs
 * through a transaction-mode pool of 1 and of 20 server connections, with and without an
 * application's traffic through the same pooler. What must hold: no migration applied twice, no
 * advisory lock left held — and the fix the refusal names (DIRECT_URL) works.
 */

const RUNS = 3;
const TRIALS = 5;
const PROBES = 300;
const APP_CLIENTS = 4;
const PRISMA = ['20260101000001_accounts', '20260101000002_sessions', '20260101000003_audit'];
const SQL = ['1_reports', '2_report_rows'];
const MIGRATIONS = [...PRISMA, ...SQL];

const results = new ResultRecorder('8-poolers', {
  order: 8,
  title: 'Connection poolers (PgBouncer)',
  summary:
    `${RUNS} \`polymigrate up\` processes started together through a real PgBouncer 1.18 in front of the server, ` +
    `on a project of ${PRISMA.length} Prisma migrations (each sleeps 1 s) and ${SQL.length} SQL-folder migrations; every migration ` +
    'also inserts a row naming itself, so a second apply would show. "App traffic": ' +
    `${APP_CLIENTS} clients running short queries and transactions back to back through the same pooler during the runs.`,
  notes: [
    'Through a transaction-mode pooler, `up`, `down` and `resolve` refuse before taking any lock (exit 5), naming the pooler and ' +
      'the fix: a direct or session-mode URL in `directUrl` / `DIRECT_URL` / `--direct-url`. `status` and the health route keep ' +
      'working through the pooler (test/integration/poolers.test.ts).',
  ],
});
let failed = false;

/** Prisma migrations that sleep, as in the issue, and SQL ones; each records that it ran. Idempotent DDL, so a second apply would succeed and be counted, not fail. */
function poolerProject(): TempProject {
  const project = new TempProject('pm-rel-poolers-');
  const record = (id: string) => `CREATE TABLE IF NOT EXISTS applies (migration text NOT NULL);\nINSERT INTO applies VALUES ('${id}');\n`;
  for (const id of PRISMA) {
    project.write(`prisma/migrations/${id}/migration.sql`, `${record(id)}CREATE TABLE IF NOT EXISTS t_${id.slice(-5)} (id int);\nSELECT pg_sleep(1);\n`);
  }
  project.write('prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
  for (const id of SQL) project.write(`db/${id}.sql`, `${record(id)}CREATE TABLE IF NOT EXISTS t_${id} (id int);\n`);
  project.config({
    engines: [
      { kind: 'prisma', migrations: 'prisma/migrations' },
      { kind: 'sql', name: 'reports', migrations: 'db' },
    ],
  });
  return project;
}

interface Counts {
  /** How many times each migration ran (rows in `applies`). */
  applies: Record<string, number>;
  prismaRows: number;
  sqlRows: number;
  /** Advisory locks held in the test database, by any session (read on the server itself). */
  advisoryLocks: number;
}

async function counts(directUrl: string, database: string): Promise<Counts> {
  const rows = await query<{ migration: string; n: number }>(directUrl, `SELECT migration, count(*)::int AS n FROM applies GROUP BY 1`).catch(() => []);
  const count = async (sql: string) => Number((await query<{ n: number }>(directUrl, sql).catch(() => [{ n: 0 }]))[0]!.n);
  return {
    applies: Object.fromEntries(rows.map((r) => [r.migration, r.n])),
    prismaRows: await count('SELECT count(*)::int AS n FROM _prisma_migrations'),
    sqlRows: await count('SELECT count(*)::int AS n FROM polymigrate.sql_migrations'),
    advisoryLocks: await advisoryLocksLeft(database),
  };
}

/** The probe's finding, as a short name for the table. */
function evidenceKind(stderr: string): string {
  if (/both open, were served by the same server session/.test(stderr)) return 'two open connections shared one server session';
  if (/queries ran on server session \d+, then on/.test(stderr)) return 'a connection moved to another server session';
  if (/other transaction\(s\) between/.test(stderr)) return "its server session ran other clients' transactions in between";
  if (/another client's query/.test(stderr)) return "the other connection's session ran another client's query";
  if (/setting/.test(stderr)) return 'a session setting did not stay';
  if (/lock key|took a lock/.test(stderr)) return "the lock's own check (a key on a session that was not the connection's)";
  return 'other';
}

async function upTogether(project: TempProject, env: Record<string, string>) {
  const started = Date.now();
  const runs = await Promise.all(Array.from({ length: RUNS }, () => spawnCli(['up', '--lock-timeout', '60'], { cwd: project.dir, env }).done));
  return { runs, ms: Date.now() - started };
}

function withTraffic(url: string, clients: number): AppTraffic | undefined {
  return clients > 0 ? startAppTraffic(url, clients) : undefined;
}

describe.skipIf(pgbouncerMissing('test/reliability/poolers.test.ts (concurrent up through PgBouncer)'))('poolers: concurrent up through PgBouncer', () => {
  let project: TempProject;
  beforeAll(() => {
    project = poolerProject();
  });
  beforeEach(({ onTestFailed }) =>
    onTestFailed(() => {
      failed = true;
    }),
  );
  afterAll(() => {
    project?.cleanup();
    results.fact('concurrent runs', RUNS);
    results.fact('trials per transaction-mode case', TRIALS);
    results.save(!failed);
  });

  for (const poolSize of [1, 20]) {
    for (const clients of [0, APP_CLIENTS]) {
      const label = `transaction mode, pool ${poolSize}, ${clients ? 'with' : 'no'} app traffic`;
      describe(label, () => {
        let bouncer: PgBouncer;
        beforeAll(async () => {
          bouncer = await startPgBouncer(adminUrl(), { mode: 'transaction', poolSize });
        });
        afterAll(async () => {
          await bouncer?.stop();
        });

        it(
          `${RUNS} × up, ${TRIALS} trials: refused naming the pooler and the fix; no migration applied twice, no lock left`,
          async () => {
            const kinds = new Set<string>();
            const tally = { probe: 0, lock: 0, through: 0 };
            let ms = 0;
            let appQueries = 0;
            for (let trial = 0; trial < TRIALS; trial += 1) {
              const db = await createTestDatabase('relpool');
              try {
                const traffic = withTraffic(bouncer.url(db.url), clients);
                await traffic?.ready;
                const batch = await upTogether(project, { DATABASE_URL: bouncer.url(db.url) });
                const app = await traffic?.stop();
                ms = Math.max(ms, batch.ms);
                // A run the probe missed (it cannot tell a pooler that kept both connections on untouched
                // sessions from a session pooler) is refused by the lock's own checks, or, alone, runs.
                expect(batch.runs.filter((run) => run.code === 0).length).toBeLessThanOrEqual(1);
                for (const run of batch.runs.filter((r) => r.code !== 0)) {
                  expect(run.code, run.stderr).toBe(5);
                  expect(run.stderr).toContain('Refusing to migrate through a transaction-mode connection pooler');
                  expect(run.stderr).toMatch(/"directUrl" in the config, or DIRECT_URL/);
                  if (/lock key|took a lock/.test(run.stderr)) tally.lock += 1;
                  else tally.probe += 1;
                  kinds.add(evidenceKind(run.stderr));
                }
                tally.through += batch.runs.filter((run) => run.code === 0).length;
                expect(app?.errors ?? []).toEqual([]);
                appQueries += app?.queries ?? 0;
                const left = await counts(db.url, db.name);
                expect(Object.values(left.applies).every((n) => n === 1)).toBe(true);
                expect(left.advisoryLocks).toBe(0);
              } finally {
                await db.drop();
              }
            }
            // The common case, by far: the probe refuses every run before it takes anything.
            expect(tally.probe).toBeGreaterThanOrEqual(RUNS * TRIALS - 2);
            results.row({
              case: `${RUNS} × \`up\` at once through PgBouncer, ${label} (${TRIALS} trials)`,
              held:
                `${tally.probe} of ${RUNS * TRIALS} refused by the probe before any lock, ${tally.lock} by the lock's own checks, ` +
                `${tally.through} ran (probe missed); each refusal names the pooler and directUrl/DIRECT_URL; no migration ran twice; ` +
                `0 advisory locks left; what gave the pooler away: ${[...kinds].join('; ')}` +
                (clients ? `; app traffic: ${appQueries} queries, 0 errors` : ''),
              exit: 5,
              ms,
            });
          },
          budget(120_000),
        );

        it(
          `${RUNS} × up with DIRECT_URL (DATABASE_URL still the pooler): each migration applied exactly once, no lock left`,
          async () => {
            const db = await createTestDatabase('relpool');
            try {
              const traffic = withTraffic(bouncer.url(db.url), clients);
              await traffic?.ready;
              const { runs, ms } = await upTogether(project, { DATABASE_URL: bouncer.url(db.url), DIRECT_URL: db.url });
              const app = await traffic?.stop();
              for (const run of runs) expect(run.code, run.stderr).toBe(0);
              expect(runs.filter((r) => r.stdout.includes(`Applied ${MIGRATIONS.length} migration(s)`))).toHaveLength(1);
              expect(runs.filter((r) => r.stdout.includes('Nothing to apply'))).toHaveLength(RUNS - 1);
              expect(app?.errors ?? []).toEqual([]);
              const once = Object.fromEntries(MIGRATIONS.map((id) => [id, 1]));
              expect(await counts(db.url, db.name)).toEqual({ applies: once, prismaRows: PRISMA.length, sqlRows: SQL.length, advisoryLocks: 0 });
              results.row({
                case: `the same ${RUNS} × \`up\` with \`DIRECT_URL\` set to the server (${label})`,
                held:
                  `all exit 0; each of the ${MIGRATIONS.length} migrations ran once (1 row each; history ${PRISMA.length} + ${SQL.length} rows); ` +
                  `1 run applied, ${RUNS - 1} found nothing to do; 0 advisory locks left${clients ? `; app traffic: ${app!.queries} queries, 0 errors` : ''}`,
                exit: 0,
                ms,
              });
            } finally {
              await db.drop();
            }
          },
          budget(120_000),
        );
      });
    }
  }

  // The probe alone, many times per kind of pool: how often would a pooler slip through, how often
  // would a direct connection or a session pooler be refused by mistake.
  const probeCases: Array<{ label: string; mode?: 'transaction' | 'session'; poolSize?: number; roundRobin?: boolean; clients: number; ddl?: number; expectFound: boolean }> = [
    { label: 'transaction mode, pool 1, no app traffic', mode: 'transaction', poolSize: 1, clients: 0, expectFound: true },
    { label: 'transaction mode, pool 1, with app traffic', mode: 'transaction', poolSize: 1, clients: APP_CLIENTS, expectFound: true },
    { label: 'transaction mode, pool 20, no app traffic', mode: 'transaction', poolSize: 20, clients: 0, expectFound: true },
    { label: 'transaction mode, pool 20, 1 app client', mode: 'transaction', poolSize: 20, clients: 1, expectFound: true },
    { label: 'transaction mode, pool 20, with app traffic', mode: 'transaction', poolSize: 20, clients: APP_CLIENTS, expectFound: true },
    { label: 'transaction mode, pool 20, server_round_robin, 2 app clients', mode: 'transaction', poolSize: 20, roundRobin: true, clients: 2, expectFound: true },
    { label: 'session mode, pool 20, with app traffic', mode: 'session', poolSize: 20, clients: APP_CLIENTS, expectFound: false },
    { label: 'direct to PostgreSQL', clients: 0, expectFound: false },
    // Idle sessions catch up on cache invalidations with an empty transaction of their own.
    { label: 'direct to PostgreSQL, while 4 other connections create and drop tables back to back', clients: 0, ddl: 4, expectFound: false },
  ];
  for (const c of probeCases) {
    it(
      `the session probe alone, ${PROBES} times: ${c.label}`,
      async () => {
        const bouncer = c.mode ? await startPgBouncer(adminUrl(), { mode: c.mode, poolSize: c.poolSize!, roundRobin: c.roundRobin ?? false }) : undefined;
        const db = await createTestDatabase('relprobe');
        const url = bouncer ? bouncer.url(db.url) : db.url;
        const traffic = withTraffic(url, c.clients);
        const ddl = c.ddl ? startAppTraffic(url, c.ddl, (i) => `CREATE TABLE ddl_${i} (id int); DROP TABLE ddl_${i}`) : undefined;
        try {
          await Promise.all([traffic?.ready, ddl?.ready]);
          let found = 0;
          for (let i = 0; i < PROBES; i += 1) {
            const [a, b] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
            await Promise.all([a.connect(), b.connect()]);
            try {
              if (await probeSessionPinning({ name: 'A', db: a }, { name: 'B', db: b })) found += 1;
            } finally {
              await Promise.all([a.end(), b.end()]);
            }
          }
          const app = await traffic?.stop();
          expect(app?.errors ?? []).toEqual([]);
          const ddlRun = await ddl?.stop();
          expect(ddlRun?.errors ?? []).toEqual([]);
          // A pooler that happens to keep both connections on untouched sessions looks like a session
          // pooler: rare, and the lock's own checks stand behind it. A false finding is never allowed.
          if (c.expectFound) expect(found).toBeGreaterThanOrEqual(PROBES * 0.99);
          else expect(found).toBe(0);
          results.row({
            case: `the session probe alone, on two fresh connections, ${PROBES} times: ${c.label}`,
            held:
              (c.expectFound ? `saw the pooler ${found} times out of ${PROBES}` : `refused nothing: ${found} false findings out of ${PROBES}`) +
              (ddlRun ? ` (meanwhile ${ddlRun.queries} CREATE + DROP TABLE pairs)` : ''),
          });
        } finally {
          await Promise.all([traffic?.stop(), ddl?.stop()]);
          await bouncer?.stop();
          await db.drop();
        }
      },
      budget(120_000),
    );
  }

  // Session mode keeps a server session per client connection: polymigrate runs through it as it runs direct.
  describe('session mode, pool 20, with app traffic', () => {
    let bouncer: PgBouncer;
    beforeAll(async () => {
      bouncer = await startPgBouncer(adminUrl(), { mode: 'session', poolSize: 20 });
    });
    afterAll(async () => {
      await bouncer?.stop();
    });

    it(
      `${RUNS} × up through the session pooler: each migration applied exactly once, no lock left`,
      async () => {
        const db = await createTestDatabase('relpool');
        try {
          const traffic = startAppTraffic(bouncer.url(db.url), APP_CLIENTS);
          await traffic.ready;
          const { runs, ms } = await upTogether(project, { DATABASE_URL: bouncer.url(db.url) });
          const app = await traffic.stop();
          for (const run of runs) expect(run.code, run.stderr).toBe(0);
          expect(runs.filter((r) => r.stdout.includes(`Applied ${MIGRATIONS.length} migration(s)`))).toHaveLength(1);
          expect(app.errors).toEqual([]);
          const once = Object.fromEntries(MIGRATIONS.map((id) => [id, 1]));
          expect(await counts(db.url, db.name)).toEqual({ applies: once, prismaRows: PRISMA.length, sqlRows: SQL.length, advisoryLocks: 0 });
          results.row({
            case: `${RUNS} × \`up\` at once through PgBouncer in session mode, pool 20, with app traffic`,
            held:
              `all exit 0; each of the ${MIGRATIONS.length} migrations ran once; 1 run applied, ${RUNS - 1} found nothing to do; ` +
              `0 advisory locks left; app traffic: ${app.queries} queries, 0 errors`,
            exit: 0,
            ms,
          });
        } finally {
          await db.drop();
        }
      },
      budget(120_000),
    );
  });
});
