import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { prismaOracle, prismaOracleAvailable } from '../compat/prisma-oracle.js';
import { createTestDatabase, query } from '../helpers/database.js';
import { pollUntil } from '../helpers/poll-until.js';
import type { TempProject } from '../helpers/project.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { ResultRecorder } from './record-results.js';
import { PRISMA_LOCK_KEY } from '../../adapters/prisma/prisma-adapter.js';
import { POLYMIGRATE_STEP_GUARD_KEY } from '../../src/lock/advisory-lock.js';
import { DRIZZLE_TAGS, advisoryHolders, PRISMA_IDS, REPORTING_IDS, exampleProject, historyCounts, spawnCli, waitForNoHolder } from './reliability-helpers.js';

const REPLICAS = 20;
const TOTAL = PRISMA_IDS.length + DRIZZLE_TAGS.length + REPORTING_IDS.length;
/**
 * How long a replica may wait for the lock: one full run by whichever replica won, then each of
 * the others in turn (they only read and find nothing to do), with Prisma's CLI sharing the machine.
 */
const STAMPEDE_MS = testBudget({ cli: 4 });

const results = new ResultRecorder('1-concurrent-deploys', {
  order: 1,
  title: 'Concurrent deploys',
  summary:
    `${REPLICAS} \`polymigrate up\` processes started at the same moment on a fresh database (replicas booting together), ` +
    "with Prisma's own `prisma migrate deploy` started alongside them.",
});
let failed = false;

describe('concurrent deploys: replicas booting together', () => {
  let project: TempProject;
  beforeAll(() => {
    project = exampleProject('pm-rel-concurrent-');
  });
  beforeEach(({ onTestFailed }) =>
    onTestFailed(() => {
      failed = true;
    }),
  );
  afterAll(() => {
    project.cleanup();
    results.save(!failed);
  });

  /** Start every process at once; resolve when all have exited. */
  async function stampede(url: string, withOracle: boolean) {
    const started = Date.now();
    const cli = Array.from({ length: REPLICAS }, (_, i) =>
      spawnCli(['up', '--json', '--lock-timeout', String(STAMPEDE_MS / 1000)], {
        cwd: project.dir,
        env: { DATABASE_URL: url, REPLICA: String(i) },
        timeoutMs: STAMPEDE_MS + budget(STEP_MS.cli),
      }),
    );
    const oracle = withOracle
      ? prismaOracle(['migrate', 'deploy'], { schema: project.path('prisma/schema.prisma'), databaseUrl: url, timeoutMs: testBudget({ prisma: 1, cli: 2 }) })
      : undefined;
    const [runs, oracleResult] = await Promise.all([Promise.all(cli.map((c) => c.done)), oracle]);
    return { runs, oracle: oracleResult, ms: Date.now() - started };
  }

  it(
    `${REPLICAS} up processes and prisma migrate deploy at once: everything applied exactly once, one run applied it`,
    async () => {
      const db = await createTestDatabase('relconc');
      try {
        const { runs, oracle, ms } = await stampede(db.url, prismaOracleAvailable);
        for (const run of runs) expect(run.code, run.stderr).toBe(0);
        const docs = runs.map((r) => JSON.parse(r.stdout) as { outcome: string; results: Array<{ engine: string; id: string; status: string }> });
        expect(docs.every((d) => d.outcome === 'succeeded')).toBe(true);

        // Every migration of every engine recorded exactly once, in the engine's own table.
        expect(await historyCounts(db.url)).toEqual({ prisma: PRISMA_IDS.length, drizzle: DRIZZLE_TAGS.length, reporting: REPORTING_IDS.length });
        const prismaRows = await query<{ migration_name: string; finished: boolean; rolled_back: boolean }>(
          db.url,
          'SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM _prisma_migrations ORDER BY 1',
        );
        expect(prismaRows).toEqual(PRISMA_IDS.map((id) => ({ migration_name: id, finished: true, rolled_back: false })));

        // Who applied Prisma's migrations: polymigrate (one run) or Prisma's CLI, never both.
        const appliedBy = docs.filter((d) => d.results.length > 0);
        expect(appliedBy).toHaveLength(1);
        const prismaByUs = appliedBy[0]!.results.filter((r) => r.engine === 'prisma').length;
        expect([0, PRISMA_IDS.length]).toContain(prismaByUs);
        expect(appliedBy[0]!.results.every((r) => r.status === 'applied')).toBe(true);
        expect(appliedBy[0]!.results).toHaveLength(TOTAL - (PRISMA_IDS.length - prismaByUs));
        let oracleSays = 'not run (Prisma CLI not installed)';
        if (oracle) {
          expect(oracle.code, oracle.stdout + oracle.stderr).toBe(0);
          const output = oracle.stdout + oracle.stderr;
          if (prismaByUs === 0) {
            expect(output).toMatch(/successfully applied|have been applied/i);
            oracleSays = 'exit 0; applied the Prisma migrations itself (it held 72707369 first), polymigrate skipped them';
          } else {
            expect(output).toContain('No pending migrations to apply');
            oracleSays = 'exit 0; found the Prisma migrations applied (polymigrate held 72707369 first)';
          }
        }

        // The journal: exactly one run applied steps, every other run applied nothing.
        const journal = await query<{ id: string; outcome: string; steps: number; applied: number }>(
          db.url,
          `SELECT r.id, r.outcome, count(s.seq)::int AS steps, count(s.seq) FILTER (WHERE s.status = 'applied')::int AS applied
           FROM polymigrate.runs r LEFT JOIN polymigrate.steps s ON s.run_id = r.id GROUP BY r.id ORDER BY r.id`,
        );
        expect(journal).toHaveLength(REPLICAS);
        expect(journal.every((r) => r.outcome === 'succeeded')).toBe(true);
        expect(journal.filter((r) => r.applied > 0)).toHaveLength(1);
        expect(journal.filter((r) => r.steps === 0)).toHaveLength(REPLICAS - 1);
        expect(await waitForNoHolder(db.url)).toBeGreaterThanOrEqual(0);

        results.fact('replicas', REPLICAS);
        results.row({
          case: `${REPLICAS} × \`up\` started together on a fresh database`,
          held: `all exit 0; each of the ${TOTAL} migrations recorded once per engine table; journal: 1 run applied ${appliedBy[0]!.results.length} steps, ${REPLICAS - 1} runs applied nothing`,
          exit: 0,
          ms,
        });
        results.row({ case: "`prisma migrate deploy` (Prisma's CLI) started at the same moment", held: oracleSays, exit: oracle?.code ?? '—' });
      } finally {
        await db.drop();
      }
    },
    STAMPEDE_MS + testBudget({ cli: 2, query: 2 }),
  );

  it.runIf(prismaOracleAvailable)(
    "prisma migrate deploy wins Prisma's lock while an up waits for it: the up skips what Prisma applied",
    async () => {
      const db = await createTestDatabase('relconc');
      // Stands in for a deploy in progress elsewhere: it holds Prisma's key while `up` plans.
      const other = new pg.Client({ connectionString: db.url });
      await other.connect();
      try {
        const started = Date.now();
        await other.query('SELECT pg_advisory_lock($1::bigint)', [PRISMA_LOCK_KEY.toString()]);
        const lockWait = testBudget({ prisma: 1, cli: 1 });
        const upRun = spawnCli(['up', '--json', '--lock-timeout', String(lockWait / 1000)], { cwd: project.dir, env: { DATABASE_URL: db.url }, timeoutMs: lockWait + budget(STEP_MS.cli) });
        // The up holds polymigrate's lock and the step guard: what it does next is poll for Prisma's
        // key (pg_try_advisory_lock), before it reads any history.
        await pollUntil('the up to hold the step guard', async () => (await advisoryHolders(db.url, POLYMIGRATE_STEP_GUARD_KEY)).length > 0, { detail: () => upRun.output().stderr });
        expect((await advisoryHolders(db.url)).length).toBe(1);
        // Prisma's CLI queues behind the key (a blocking pg_advisory_lock): PostgreSQL grants it the
        // key at the release, before the up's next try.
        const oracle = prismaOracle(['migrate', 'deploy'], { schema: project.path('prisma/schema.prisma'), databaseUrl: db.url, timeoutMs: lockWait });
        await pollUntil(
          "Prisma's CLI to wait for its key",
          async () =>
            (
              await query(
                db.url,
                `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
              )
            ).length > 0,
          { timeoutMs: budget(STEP_MS.prisma) },
        );
        await other.query('SELECT pg_advisory_unlock($1::bigint)', [PRISMA_LOCK_KEY.toString()]);
        const [run, oracleResult] = await Promise.all([upRun.done, oracle]);
        expect(oracleResult.code, oracleResult.stdout + oracleResult.stderr).toBe(0);
        expect(run.code, run.stderr).toBe(0);
        expect(await historyCounts(db.url)).toEqual({ prisma: PRISMA_IDS.length, drizzle: DRIZZLE_TAGS.length, reporting: REPORTING_IDS.length });
        const doc = JSON.parse(run.stdout) as { results: Array<{ engine: string; status: string }> };
        const prismaByUs = doc.results.filter((r) => r.engine === 'prisma').length;
        const prismaByOracle = /successfully applied|applied successfully/.test(oracleResult.stdout + oracleResult.stderr) ? PRISMA_IDS.length : 0;
        // Prisma's CLI was first in the queue for its key, so it applied them all; the up, none.
        expect(prismaByOracle, oracleResult.stdout + oracleResult.stderr).toBe(PRISMA_IDS.length);
        expect(prismaByUs).toBe(0);
        results.row({
          case: "`prisma migrate deploy` queued on Prisma's key (72707369) while an `up` held polymigrate's lock and waited for that key",
          held: `both exit 0; Prisma's ${PRISMA_IDS.length} rows once (${prismaByOracle} applied by Prisma's CLI, ${prismaByUs} by polymigrate); the \`up\` applied the other ${doc.results.length - prismaByUs} steps`,
          exit: 0,
          ms: Date.now() - started,
        });
      } finally {
        await other.end();
        await db.drop();
      }
    },
    testBudget({ prisma: 2, cli: 2, query: 2 }),
  );
});
