import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Barrier, barrierSql } from '../helpers/barrier.js';
import { createTestDatabase, query } from '../helpers/database.js';
import { pollUntil } from '../helpers/poll-until.js';
import type { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { ResultRecorder } from './record-results.js';
import { DRIZZLE_TAGS, advisoryHolders, PRISMA_IDS, REPORTING_IDS, exampleProject, historyTruth, normalisedSnapshot, spawnCli, statusTruth, waitForNoHolder } from './reliability-helpers.js';

/**
 * kill -9 of `up` at moments spread over a whole run of the example project. Two migrations are
 * added to the copy's reporting SQL folder: a transactional one that pauses, and a
 * non-transactional one (CREATE INDEX CONCURRENTLY, the test's barrier, a pause, another
 * CONCURRENTLY) whose interruption leaves the `failed` state a user has to resolve. The pauses
 * only widen the span the timed kills are spread over, so that more of them land inside those
 * steps; no assertion relies on them. The kill that must land inside the non-transactional step
 * holds the barrier and kills the run while the step waits there; in the other trials nobody
 * holds it and the step runs straight through.
 */
const PAUSE = '20260120500000_pause';
const CONCURRENT = '20260122500000_concurrent_pause';
const EXTRA = {
  [`${PAUSE}.sql`]: '-- A transactional migration that takes a while.\nCREATE TABLE reporting.pause_marker (id int);\nSELECT pg_sleep(0.3);\n',
  [`${CONCURRENT}.sql`]: [
    '-- migrate:up transaction:false',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS kpi_snapshots_value_idx ON reporting.kpi_snapshots (value);',
    barrierSql(),
    'SELECT pg_sleep(0.3);',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS kpi_definitions_label_idx ON reporting.kpi_definitions (label);',
    '',
  ].join('\n'),
};
const ALL_IDS = [...PRISMA_IDS.map((id) => `prisma ${id}`), ...DRIZZLE_TAGS.map((id) => `drizzle ${id}`), ...[...REPORTING_IDS, PAUSE, CONCURRENT].sort().map((id) => `reporting ${id}`)];
const TRIALS = 26;
/** Trials run this many at a time, each on its own database (the CPU, not the database, is the limit). */
const PARALLEL = 1;

interface Trial {
  /** What the delay is measured from ('barrier': the non-transactional step waits at the test's barrier). */
  from: 'spawn' | 'lock' | 'barrier';
  ms: number;
}

const results = new ResultRecorder('2-crash-anywhere', {
  order: 2,
  title: 'Crash at any point',
  summary:
    '`kill -9` of `up` at moments spread over a whole run of the example project (Prisma → Drizzle → SQL, plus a ' +
    'pausing transactional migration and a non-transactional `CREATE INDEX CONCURRENTLY` one). After each kill: `status` ' +
    "agrees with every engine's history table, no advisory lock is left, a failed non-transactional step is resolved as a user " +
    "would, a new `up` completes, and the database equals a clean run's (schema catalog + every engine's history). " +
    '"during X" means X was the next migration to apply when the process died (the phase is read from the history tables afterwards).',
  notes: [
    'Recipe after a crash inside a non-transactional migration (what these tests do): `polymigrate status` shows it `failed` (exit 4) and ' +
      '`up` refuses (exit 5) naming `polymigrate resolve ENGINE ID`. Check what it left — an interrupted `CREATE INDEX CONCURRENTLY` leaves an ' +
      'INVALID index (`SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid`): drop it. Then `polymigrate resolve ENGINE ID ' +
      '--rolled-back` and `polymigrate up` runs it again (write such files idempotently: `IF NOT EXISTS`), or `--applied` if you finished it by hand.',
    "A killed process's lock is released as soon as PostgreSQL sees its idle lock session close; a statement that was already running " +
      "on another of its sessions finishes first on the server. A transactional step's query ends with its COMMIT, so a step that was " +
      'running commits there with its history row (and so does the one step whose query was already sent behind it); its session ' +
      'holds the step guard until then, and the next run waits for it before reading any history.',
  ],
});
let failed = false;

describe('crash at any point: kill -9 during up', () => {
  let project: TempProject;
  let cleanSnapshot: string;
  let cleanMs: number;
  let lockedAt: number;
  const cli = (url: string, ...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: url } });

  beforeAll(() => {
    project = exampleProject('pm-rel-crash-', { reporting: EXTRA });
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

  it('a clean run: the reference database and the duration the kills are spread over', async () => {
    const db = await createTestDatabase('relcrash');
    try {
      const started = Date.now();
      const run = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
      let exited = false;
      void run.done.then(() => {
        exited = true;
      });
      // When the run takes polymigrate's lock: before it, the process starts, loads and connects.
      while (!exited && (await advisoryHolders(db.url)).length === 0) await new Promise((r) => setTimeout(r, 5));
      lockedAt = Date.now() - started;
      const up = await run.done;
      cleanMs = Date.now() - started;
      expect(up.code, up.stderr).toBe(0);
      cleanSnapshot = await normalisedSnapshot(db.url);
      expect(JSON.parse(cleanSnapshot).indexes.some((i: { relname: string }) => i.relname === 'kpi_definitions_label_idx')).toBe(true);
      results.fact('clean run (ms)', cleanMs);
      results.fact('of which under the lock (ms)', cleanMs - lockedAt);
      results.fact('migrations', ALL_IDS.length);
    } finally {
      await db.drop();
    }
  });

  it(
    `${TRIALS} kills spread over the run: status tells the truth, resolve + up complete it, same database as a clean run`,
    async () => {
      expect(cleanMs).toBeGreaterThan(0);
      // A few kills while the process starts, loads and connects (timed from the spawn); most spread
      // evenly over the part of the run that holds the lock (timed from the moment the lock is seen
      // taken); and one while the non-transactional step waits at the test's barrier, between its
      // two statements, so that one certainly lands inside it whatever the machine's load.
      const early = 3;
      const inside = [0];
      const window = cleanMs - lockedAt;
      const spread = TRIALS - early - inside.length;
      const delays: Trial[] = [
        ...Array.from({ length: early }, (_, i) => ({ from: 'spawn' as const, ms: Math.round((lockedAt * i) / early) })),
        ...Array.from({ length: spread }, (_, i) => ({ from: 'lock' as const, ms: Math.round((window * i) / (spread - 1)) })),
        ...inside.map((ms) => ({ from: 'barrier' as const, ms })),
      ];
      const phases: string[] = [];
      const byPhase = new Map<string, { kills: string[]; statusExit: Set<number>; resolved: boolean }>();
      let refusalChecked = false;
      let lingerMax = 0;
      let lockReleasedMax = 0;
      const trial = async ({ from, ms: delay }: Trial) => {
        const db = await createTestDatabase('relcrash');
        const barrier = from === 'barrier' ? await Barrier.hold(db.url) : undefined;
        try {
          const run = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
          if (barrier) {
            const waiter = await barrier.waiter({ detail: () => run.output().stderr });
            expect(waiter.applicationName).toContain(`:${run.child.pid}`);
          } else if (from === 'lock') {
            // The delays are timed from here: the kill moments are spread over the run by design.
            while (run.child.exitCode === null && (await advisoryHolders(db.url)).length === 0) await new Promise((r) => setTimeout(r, 5));
          }
          await new Promise((r) => setTimeout(r, delay));
          const exitedBefore = run.child.exitCode !== null;
          run.child.kill('SIGKILL');
          const dead = await run.done;
          // The step waiting at the barrier goes on on the server (its backend notices the dead client after it).
          await barrier?.release();
          // PostgreSQL ends the dead client's sessions (and with them its locks) once it notices.
          const lockGoneMs = await waitForNoHolder(db.url);
          expect(lockGoneMs, "the killed process's advisory lock must be released").toBeGreaterThanOrEqual(0);
          // A statement already running finishes on the server before its backend notices: what the
          // history says is read once every session of the dead run has ended.
          const pid = dead.signal ? run.child.pid : undefined;
          const lingerStarted = Date.now();
          if (pid) {
            await pollUntil(
              `the killed run's sessions to end (after a kill ${delay} ms after ${from})`,
              async () => (await query(db.url, `SELECT 1 FROM pg_stat_activity WHERE application_name LIKE $1`, [`polymigrate % %:${pid}`])).length === 0,
              { timeoutMs: budget(STEP_MS.query), intervalMs: 50 },
            );
          }
          lingerMax = Math.max(lingerMax, Date.now() - lingerStarted);
          lockReleasedMax = Math.max(lockReleasedMax, lockGoneMs);

          const truth = await historyTruth(db.url);
          const status = await cli(db.url, 'status', '--json');
          const doc = status.json();
          expect(statusTruth(doc), "status must say what the engines' history tables say").toEqual([...truth].sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : 0)));
          const failedSteps = truth.filter((t) => t[2] === 'failed');
          const applied = truth.filter((t) => t[2] === 'applied').length;
          expect(status.code).toBe(failedSteps.length > 0 ? 4 : applied === ALL_IDS.length ? 0 : 3);

          let phase: string;
          if (exitedBefore || dead.code === 0) phase = 'after the process had exited (kill too late)';
          else if (failedSteps.length > 0) phase = `inside non-transactional ${failedSteps[0]![1]}`;
          else if (applied === ALL_IDS.length) phase = 'after the last step (finishing the journal)';
          else if (applied === 0 && (await query(db.url, `SELECT to_regclass('polymigrate.runs') AS t`))[0]!.t === null) phase = 'before the run started (connect, lock, plan)';
          else phase = `during ${ALL_IDS[applied]}`;

          if (failedSteps.length > 0) {
            // The user's recipe: up refuses and names the command; check what the step left
            // (an interrupted CONCURRENTLY leaves an INVALID index: drop it), then mark it rolled
            // back so it runs again.
            const [engine, id] = failedSteps[0]!;
            if (!refusalChecked) {
              refusalChecked = true;
              const refused = await cli(db.url, 'up');
              expect(refused.code).toBe(5);
              expect(refused.stderr).toContain(`polymigrate resolve ${engine} ${id}`);
            }
            const invalid = await query<{ name: string }>(
              db.url,
              `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid`,
            );
            for (const { name } of invalid) await query(db.url, `DROP INDEX ${name}`);
            const resolved = await cli(db.url, 'resolve', engine, id, '--rolled-back');
            expect(resolved.code, resolved.stderr).toBe(0);
          }
          if (barrier) expect(phase, 'a kill at the barrier lands inside the non-transactional step').toBe(`inside non-transactional ${CONCURRENT}`);
          const again = await cli(db.url, 'up');
          expect(again.code, `after a kill ${delay} ms after ${from} (${phase}):\n${again.stderr}`).toBe(0);
          expect(await normalisedSnapshot(db.url), `after a kill ${delay} ms after ${from} (${phase})`).toBe(cleanSnapshot);
          expect(await waitForNoHolder(db.url)).toBeGreaterThanOrEqual(0);
          phases.push(phase);
          const group = byPhase.get(phase) ?? { kills: [], statusExit: new Set<number>(), resolved: false };
          group.kills.push(from === 'barrier' ? 'at the barrier between its statements' : `${delay} ms after ${from === 'spawn' ? 'start' : 'lock'}`);
          group.statusExit.add(status.code);
          group.resolved ||= failedSteps.length > 0;
          byPhase.set(phase, group);
        } finally {
          await barrier?.release();
          await db.drop();
        }
      };
      for (let i = 0; i < delays.length; i += PARALLEL) await Promise.all(delays.slice(i, i + PARALLEL).map(trial));

      for (const [phase, group] of byPhase) {
        results.row({
          case: `kill -9 ${phase} (${group.kills.length}×: ${group.kills.join(', ')})`,
          held: `status true to the history tables (exit ${[...group.statusExit].join('/')}); ${group.resolved ? 'up refuses (5) until `resolve reporting ID --rolled-back`; ' : ''}next up exit 0; database = clean run's; no lock left`,
          exit: `${[...group.statusExit].join('/')} → 0`,
        });
      }
      const distinct = new Set(phases);
      results.fact('kill trials', TRIALS);
      results.fact('lock gone after the kill, worst (ms)', lockReleasedMax);
      results.fact('its server sessions gone, worst (ms)', lingerMax);
      results.fact('distinct phases hit', distinct.size);
      // Spread over the run: many different moments, including inside the non-transactional step.
      expect(distinct.size).toBeGreaterThanOrEqual(5);
      expect(phases.some((p) => p.startsWith('inside non-transactional'))).toBe(true);
      // Each trial: the killed up, status, maybe resolve (and once the refused up), the next up.
    },
    testBudget({ cli: TRIALS * 4, query: TRIALS }),
  );
});
