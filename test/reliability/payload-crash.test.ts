import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { PAYLOAD_EXAMPLE_MIGRATIONS, PAYLOAD_TEST_SECRET, payloadProject } from '../helpers/payload-project.js';
import { pollUntil } from '../helpers/poll-until.js';
import type { TempProject } from '../helpers/project.js';
import { forbidInOutput, runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { ResultRecorder } from './record-results.js';
import { normalisedSnapshot, spawnCli, waitForNoHolder } from './reliability-helpers.js';

forbidInOutput(PAYLOAD_TEST_SECRET);

/** Payload's runner costs seconds per start, so fewer trials than the fast engines (see crash-anywhere). */
const TRIALS: Array<{ from: 'spawn' | 'runner' | 'first row'; ms: number }> = [
  { from: 'spawn', ms: 300 },
  { from: 'runner', ms: 0 },
  { from: 'runner', ms: 2000 },
  // The first migration committed (its row is visible): the kill lands between or in the next one.
  { from: 'first row', ms: 0 },
];

const results = new ResultRecorder('6-payload-crash', {
  order: 6,
  title: 'Crash at any point: Payload',
  summary:
    "`kill -9` of `up` on the Payload example (two migrations run by Payload's runtime in a child process), timed from the " +
    'start and from the moment the Payload child process exists. After each: no child process left behind, no lock, `status` agrees ' +
    "with payload_migrations, a new `up` completes and the schema and migration names equal a clean run's (Payload's batch number " +
    'counts runs, so a run split by a crash legitimately records two batches).',
  notes: [
    'Fewer trials than the fast engines: one Payload run costs seconds (loading Payload and its config dominates, its two migrations ' +
      'commit within milliseconds of each other, so no kill here landed between them).',
    'The Payload child process is not told that polymigrate died: it outlives the kill for a while (worst case in the facts above), ' +
      'without the lock; the facts above also count the migrations it applied after the kill.',
  ],
});
let failed = false;
let orphanWorstMs = 0;
let appliedByOrphan = 0;

/** Processes running polymigrate's Payload runner, with their parent pid. */
function payloadRunners(): Array<{ pid: number; ppid: number }> {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes('payload-runner'))
    .map((l) => {
      const [pid, ppid] = l.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid) };
    });
}

describe('crash at any point: Payload', () => {
  let project: TempProject;
  let clean: string;
  const env = (url: string) => ({ DATABASE_URL: url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET });
  const cli = (url: string, ...args: string[]) => runCli(args, { cwd: project.dir, env: env(url), timeoutMs: budget(STEP_MS.payload) });
  // Payload's batch counts runs; everything else must match a clean run.
  const snapshot = async (url: string) => {
    const base = JSON.parse(await normalisedSnapshot(url)) as Record<string, unknown>;
    base.payload = await query(url, 'SELECT name FROM payload_migrations ORDER BY name').catch(() => 'absent');
    return JSON.stringify(base, null, 1);
  };

  beforeAll(() => {
    project = payloadProject('pm-rel-payload-crash-');
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

  it(
    'a clean run',
    async () => {
      const db = await createTestDatabase('relpay');
      try {
        const started = Date.now();
        const up = await cli(db.url, 'up');
        expect(up.code, up.stderr).toBe(0);
        results.fact('clean Payload run (ms)', Date.now() - started);
        clean = await snapshot(db.url);
      } finally {
        await db.drop();
      }
    },
    testBudget({ payload: 1, query: 1 }),
  );

  it.each(TRIALS)(
    'kill -9 $ms ms after $from',
    async ({ from, ms }) => {
      expect(clean).toBeDefined();
      const db = await createTestDatabase('relpay');
      try {
        const run = spawnCli(['up'], { cwd: project.dir, env: env(db.url), secrets: [PAYLOAD_TEST_SECRET], timeoutMs: budget(STEP_MS.payload) });
        const ready = async () => {
          if (from === 'runner') return payloadRunners().some((r) => r.ppid === run.child.pid);
          if (from === 'first row') return (await query(db.url, 'SELECT 1 FROM payload_migrations').catch(() => [])).length > 0;
          return true;
        };
        // The kill moments are timed from these events by design (a Payload run has no step to hold).
        await pollUntil(`${from} (or the run's end)`, async () => run.child.exitCode !== null || (await ready()), {
          timeoutMs: budget(STEP_MS.payload),
          intervalMs: 10,
          detail: () => run.output().stderr,
        });
        await new Promise((r) => setTimeout(r, ms));
        const runnerAlive = payloadRunners()
          .filter((r) => r.ppid === run.child.pid)
          .map((r) => r.pid);
        const exitedBefore = run.child.exitCode !== null;
        run.child.kill('SIGKILL');
        await run.done;
        const rowsAtKill = (await query(db.url, 'SELECT name FROM payload_migrations').catch(() => [])).length;
        // The runner must not outlive polymigrate: it would keep migrating without the lock.
        const killedAt = Date.now();
        let orphanMs = 0;
        while (runnerAlive.some((pid) => payloadRunners().some((r) => r.pid === pid))) {
          await new Promise((r) => setTimeout(r, 50));
          orphanMs = Date.now() - killedAt;
          if (orphanMs > budget(STEP_MS.payload)) break;
        }
        orphanWorstMs = Math.max(orphanWorstMs, orphanMs);
        results.fact('Payload child outlived the killed polymigrate, worst (ms)', orphanWorstMs);
        expect(await waitForNoHolder(db.url)).toBeGreaterThanOrEqual(0);
        const rows = await query<{ name: string }>(db.url, 'SELECT name FROM payload_migrations ORDER BY name').catch(() => []);
        appliedByOrphan += rows.length - rowsAtKill;
        results.fact('migrations the orphaned child applied after the kill', appliedByOrphan);
        const status = await cli(db.url, 'status', '--json');
        const states = status.json().engines[0].migrations.map((m: { id: string; state: string }) => [m.id, m.state]);
        expect(states).toEqual(PAYLOAD_EXAMPLE_MIGRATIONS.map((id) => [id, rows.some((r) => r.name === id) ? 'applied' : 'pending']));
        const again = await cli(db.url, 'up');
        expect(again.code, again.stderr).toBe(0);
        expect(await snapshot(db.url)).toBe(clean);
        const applied = `${rows.length} of ${PAYLOAD_EXAMPLE_MIGRATIONS.length} applied`;
        const phase = exitedBefore
          ? 'after the run finished'
          : runnerAlive.length > 0
            ? `inside Payload's child process (${applied} when it died)`
            : rows.length > 0
              ? `after the Payload child had finished (${applied})`
              : 'before the Payload child started';
        results.row({
          case: `kill -9 ${ms} ms after ${from === 'spawn' ? 'the start' : from === 'runner' ? 'the Payload child started' : 'Payload committed its first migration'}`,
          held: `${phase}; ${runnerAlive.length ? `child process gone ${orphanMs} ms after the kill; ` : ''}status true; next up exit 0; same schema as a clean run`,
          exit: `${status.code} → 0`,
        });
        // Recorded as a fact for the report, asserted last so the row above explains a failure.
        // It notices the parent's end when its event loop is free: loading Payload may hold it a while on a busy machine.
        expect(orphanMs, 'the Payload child outlived the killed polymigrate process').toBeLessThan(budget(10_000));
      } finally {
        await db.drop();
      }
    },
    testBudget({ payload: 3, cli: 1, query: 2 }),
  );
});
