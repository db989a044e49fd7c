import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPolymigrate } from '../../src/api/polymigrate.js';
import { startAppTraffic } from '../helpers/app-traffic.js';
import { adminUrl, createTestDatabase, query } from '../helpers/database.js';
import { pgbouncerMissing, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { TempProject } from '../helpers/project.js';
import { budget } from '../helpers/time-budget.js';
import { ResultRecorder } from './record-results.js';
import { advisoryLocksLeft } from './reliability-helpers.js';

/**
 * What holds when the session probe misses a transaction-mode pooler (it cannot tell one that keeps
 * both connections on untouched sessions from a session pooler): the probe is switched off here,
 * and concurrent runs go through PgBouncer in transaction mode anyway. The lock's own checks must
 * keep every migration to one apply, and the stranded-key cleanup must leave no lock held.
 */
vi.mock('../../src/pooler/session-probe.js', () => ({ probeSessionPinning: async () => undefined }));

const RUNS = 3;
const TRIALS = 5;
const IDS = ['1_accounts', '2_sessions', '3_audit'];

const results = new ResultRecorder('8b-pooler-backstops', {
  order: 8.5,
  title: 'Connection poolers: when the probe misses',
  summary:
    `The session probe switched off, ${RUNS} runs (the library's \`up()\`, in one process) started together through PgBouncer in ` +
    `transaction mode on ${IDS.length} SQL migrations that each record that they ran and sleep 0.5 s, ${TRIALS} trials per pool: what the lock's ` +
    'own checks (pid and foreign keys on every take and release) and the stranded-key cleanup leave.',
});
let failed = false;

function project(): TempProject {
  const p = new TempProject('pm-rel-backstop-');
  for (const id of IDS) {
    p.write(`db/${id}.sql`, `CREATE TABLE IF NOT EXISTS applies (migration text NOT NULL);\nINSERT INTO applies VALUES ('${id}');\nSELECT pg_sleep(0.5);\n`);
  }
  p.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
  return p;
}

async function runTogether(p: TempProject, url: string): Promise<string[]> {
  return Promise.all(
    Array.from({ length: RUNS }, async () => {
      const migrator = await createPolymigrate({ config: p.path('polymigrate.config.json'), databaseUrl: url, lockTimeoutSeconds: 20 });
      try {
        return (await migrator.up()).outcome;
      } catch (error) {
        return `error: ${(error as Error).message.slice(0, 60)}`;
      } finally {
        await migrator.close();
      }
    }),
  );
}

async function leftBehind(database: string, direct: string) {
  const applies = await query<{ migration: string; n: number }>(direct, 'SELECT migration, count(*)::int AS n FROM applies GROUP BY 1').catch(() => []);
  return { maxApplies: Math.max(0, ...applies.map((a) => a.n)), locks: await advisoryLocksLeft(database) };
}

describe.skipIf(pgbouncerMissing('test/reliability/pooler-backstops.test.ts (the lock behind a pooler the probe missed)'))('when the probe misses a transaction-mode pooler', () => {
  let p: TempProject;
  beforeAll(() => {
    p = project();
  });
  beforeEach(({ onTestFailed }) =>
    onTestFailed(() => {
      failed = true;
    }),
  );
  afterAll(() => {
    p?.cleanup();
    results.save(!failed);
  });

  for (const poolSize of [1, 20]) {
    it(
      `pool ${poolSize}, with app traffic: no migration applied twice, no lock left`,
      async () => {
        const bouncer: PgBouncer = await startPgBouncer(adminUrl(), { mode: 'transaction', poolSize });
        const outcomes = new Map<string, number>();
        try {
          for (let trial = 0; trial < TRIALS; trial += 1) {
            const db = await createTestDatabase('relbackstop');
            try {
              const traffic = startAppTraffic(bouncer.url(db.url), 4);
              await traffic.ready;
              for (const outcome of await runTogether(p, bouncer.url(db.url))) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
              expect((await traffic.stop()).errors).toEqual([]);
              const left = await leftBehind(db.name, db.url);
              expect(left.maxApplies).toBeLessThanOrEqual(1);
              expect(left.locks).toBe(0);
            } finally {
              await db.drop();
            }
          }
        } finally {
          await bouncer.stop();
        }
        const seen = [...outcomes].map(([outcome, n]) => `${n} × ${outcome.startsWith('error: Refusing') ? 'refused (pooler)' : outcome}`).join(', ');
        results.row({
          case: `${RUNS} × \`up()\` at once, probe off, transaction mode, pool ${poolSize}, with app traffic (${TRIALS} trials)`,
          held: `no migration ran twice; 0 advisory locks left; outcomes: ${seen}`,
        });
      },
      budget(180_000),
    );
  }
});
