import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Barrier, barrierSql } from '../helpers/barrier.js';
import { createTestDatabase, query } from '../helpers/database.js';
import { pollUntil } from '../helpers/poll-until.js';
import { TempProject } from '../helpers/project.js';
import { runCliInTerminal, type TerminalOptions } from '../helpers/pseudo-terminal.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { replayTerminal } from '../helpers/terminal-screen.js';
import { testBudget } from '../helpers/time-budget.js';

/**
 * `up`/`down` on a terminal with more than 20 steps show one live progress line, and leave a line
 * only for failed, interrupted and slow (≥ 1 s) steps; everywhere else the output stays one line
 * per step. Runs the built CLI on a real pseudo-terminal (util-linux `script`) and replays what
 * the terminal received to see the screen a person is left with.
 */

/** Wide enough for the bar (drawn from 100 columns on). */
const COLUMNS = 120;
/** Migrations 0001_t01 … 00NN_tNN, all ids of one width (step lines then have no padding). */
const id = (n: number) => `${String(n).padStart(4, '0')}_t${String(n).padStart(2, '0')}`;
/** A step line exactly as the CLI prints it off a terminal (src/cli/output/human-report.ts renderStep). */
const STEP_LINE = /^ {2}([✓✗-]) (app) {2}(\d{4}_t\d\d) {2}(applied|reverted|failed|interrupted|not run)(?: (\d+ms|\d+\.\d+s))?$/;
/** The module-load trace (scripts/bench): which files of the bundled CLI a run loaded. */
const TRACE_PRELOAD = path.join(REPO_ROOT, 'scripts/bench/module-trace.mjs');

let long: TempProject;
let plain: TempProject;
const databases: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];

beforeAll(() => {
  // 30 steps; 0012 waits at the test's barrier (a slow step when the test holds it), 0028 fails.
  long = new TempProject();
  long.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
  for (let n = 1; n <= 30; n += 1) {
    const body = n === 12 ? `CREATE TABLE t${n} (id int);\n${barrierSql()}\n` : n === 28 ? 'SELECT 1/0;\n' : `CREATE TABLE t${n} (id int);\n`;
    long.write(`db/${id(n)}.sql`, body);
  }
  // 25 steps that all succeed, each with a down.
  plain = new TempProject();
  plain.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
  for (let n = 1; n <= 25; n += 1) {
    plain.write(`db/${id(n)}.sql`, `CREATE TABLE t${n} (id int);\n`);
    plain.write(`db/${id(n)}.down.sql`, `DROP TABLE t${n};\n`);
  }
});

afterAll(async () => {
  for (const db of databases) await db.drop();
  long?.cleanup();
  plain?.cleanup();
});

async function database(): Promise<string> {
  const db = await createTestDatabase('progress');
  databases.push(db);
  return db.url;
}

/** A terminal run whose loaded modules are traced into `trace` (read with `loadedLiveProgress`). */
function inTerminal(args: string[], cwd: string, url: string, trace: string, env: Record<string, string> = {}): ReturnType<typeof runCliInTerminal> {
  const options: TerminalOptions = {
    cwd,
    columns: COLUMNS,
    env: { DATABASE_URL: url, NODE_OPTIONS: `--import=${TRACE_PRELOAD}`, BENCH_MODULE_TRACE: trace, ...env },
  };
  return runCliInTerminal(args, options);
}

function loadedLiveProgress(trace: string): boolean {
  const files = fs.readFileSync(trace, 'utf8');
  expect(files, 'the trace lists the bundled CLI').toMatch(/dist\/cli\/polymigrate\.js/);
  return /dist\/cli\/live-progress-[A-Z0-9]+\.js/.test(files);
}

/** The step lines on a screen (or in plain output), parsed. */
function stepLines(text: string): Array<{ mark: string; id: string; status: string; duration?: string }> {
  return text.split('\n').flatMap((line) => {
    const m = STEP_LINE.exec(line);
    return m ? [{ mark: m[1]!, id: m[3]!, status: m[4]!, ...(m[5] ? { duration: m[5] } : {}) }] : [];
  });
}

const seconds = (duration: string | undefined) => (duration?.endsWith('ms') ? Number(duration.slice(0, -2)) / 1000 : Number(duration?.slice(0, -1)));

describe('on a terminal, more than 20 steps', () => {
  it(
    'show a live line, then leave only the slow step, the failure and the summary on a clean screen',
    async () => {
      const url = await database();
      const trace = long.path('trace-up.txt');
      const barrier = await Barrier.hold(url);
      let result: { code: number; output: string };
      try {
        const run = inTerminal(['up'], long.dir, url, trace);
        await barrier.waiter({ detail: run.output });
        // The live line names the waiting migration and, once it has run a second, how long: it is slow now.
        await run.waitFor(new RegExp(`11/30\\D.*elapsed.*app ${id(12)}(?:\\u001b\\[33m)? +running \\d+s`), 'the live line showing 0012 running for a second');
        await barrier.release();
        result = await run.done;
      } finally {
        await barrier.release();
      }

      expect(result.code, result.output).toBe(1);
      expect(loadedLiveProgress(trace)).toBe(true);
      const screen = replayTerminal(result.output, COLUMNS);
      expect(screen.hides, 'the cursor was hidden while the line was drawn').toBe(1);
      expect(screen.cursorVisible, 'the cursor is shown again').toBe(true);
      expect(screen.text, 'the live line is gone').not.toMatch(/elapsed/);
      const steps = stepLines(screen.text);
      // Records: the slow step and the failure, in order; a quick step left nothing (each record is
      // a failure or took at least a second — on a very busy machine another step may be that slow).
      expect(steps.find((s) => s.id === id(12))).toMatchObject({ mark: '✓', status: 'applied' });
      expect(seconds(steps.find((s) => s.id === id(12))!.duration)).toBeGreaterThanOrEqual(1);
      expect(steps.at(-1)).toMatchObject({ mark: '✗', id: id(28), status: 'failed' });
      for (const step of steps.slice(0, -1)) expect(seconds(step.duration), `${step.id} left a line`).toBeGreaterThanOrEqual(1);
      expect(screen.text).toMatch(
        /app: up 0028_t28 failed: division by zero[\s\S]*27 step\(s\) completed before it and stay applied; 2 step\(s\) not run\.\n {2}Fix the migration, then run polymigrate up again\.$/,
      );
      // The raw output had the live line: counters as steps finished, the estimate, the bar.
      expect(result.output).toMatch(/\u001b\[1m *\d+\/30\u001b\[22m \[=*>? *\] +\d+%/);
      const applied = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name ~ '^t[0-9]+$'");
      expect(applied[0]!.n).toBe(27);
    },
    testBudget({ cli: 2, query: 3 }),
  );

  it(
    'Ctrl-C leaves the terminal clean: line cleared, cursor shown, the stopped step and the summary',
    async () => {
      const url = await database();
      const trace = long.path('trace-interrupt.txt');
      const barrier = await Barrier.hold(url);
      let result: { code: number; output: string };
      try {
        const run = inTerminal(['up'], long.dir, url, trace);
        await barrier.waiter({ detail: run.output });
        await run.waitFor(new RegExp(`11/30\\D.*app ${id(12)}`), 'the live line showing 0012');
        run.type('\u0003');
        result = await run.done;
      } finally {
        await barrier.release();
      }

      expect(result.code, result.output).toBe(130);
      const screen = replayTerminal(result.output, COLUMNS);
      expect(screen.cursorVisible, 'the cursor is shown again').toBe(true);
      expect(screen.text, 'the live line is gone').not.toMatch(/elapsed/);
      expect(screen.text).toMatch(/SIGINT: stopping/);
      expect(stepLines(screen.text).at(-1)).toMatchObject({ mark: '✗', id: id(12), status: 'interrupted' });
      expect(screen.text).toMatch(/Interrupted by SIGINT: 11 step\(s\) completed and stay applied[\s\S]*then polymigrate up again\.$/);
    },
    testBudget({ cli: 2, query: 3 }),
  );

  it(
    'a second Ctrl-C exits at once, and still leaves the line cleared and the cursor shown',
    async () => {
      const url = await database();
      const trace = long.path('trace-second-interrupt.txt');
      const barrier = await Barrier.hold(url);
      // Holds the journal's tables, so that after the first Ctrl-C the CLI waits to record the
      // interruption: the second one then finds it still running, with its live line on screen.
      const journal = new pg.Client({ connectionString: url, application_name: 'test journal lock' });
      await journal.connect();
      let result: { code: number; output: string };
      try {
        const run = inTerminal(['up'], long.dir, url, trace);
        await barrier.waiter({ detail: run.output });
        await run.waitFor(new RegExp(`11/30\\D.*app ${id(12)}`), 'the live line showing 0012');
        await journal.query('BEGIN');
        await journal.query('LOCK TABLE polymigrate.steps, polymigrate.runs IN ACCESS EXCLUSIVE MODE');
        run.type('\u0003');
        await pollUntil(
          'the interrupted CLI to wait for the journal',
          async () =>
            (
              await journal.query(
                `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'relation' AND NOT l.granted AND a.application_name LIKE 'polymigrate%'`,
              )
            ).rowCount! > 0,
          { detail: run.output },
        );
        expect(run.output()).toMatch(/SIGINT: stopping/);
        run.type('\u0003');
        result = await run.done;
      } finally {
        await journal.end().catch(() => undefined);
        await barrier.release();
      }

      expect(result.code, result.output).toBe(130);
      const screen = replayTerminal(result.output, COLUMNS);
      expect(screen.hides).toBe(1);
      expect(screen.cursorVisible, 'the cursor is shown again').toBe(true);
      expect(screen.text, 'the live line is gone').not.toMatch(/elapsed/);
      expect(screen.text, 'no summary: it exited at once').not.toMatch(/Interrupted by SIGINT/);
      expect(stepLines(screen.text).at(-1)).toMatchObject({ mark: '✗', id: id(12), status: 'interrupted' });
    },
    testBudget({ cli: 2, query: 4 }),
  );
});

describe('elsewhere, one line per step as before', () => {
  let url: string;
  beforeAll(async () => {
    url = await database();
  });

  /** Every step of the run, one line each, in plan order, nothing else redrawn. */
  function expectLinePerStep(text: string, status: 'applied' | 'reverted', count = 25): void {
    const steps = stepLines(text);
    const order = Array.from({ length: count }, (_, i) => id(status === 'applied' ? i + 1 : count - i));
    expect(steps.map((s) => s.id)).toEqual(order);
    for (const step of steps) expect(step).toMatchObject({ mark: '✓', status });
  }

  it(
    'piped (no terminal): up and down print one line per step, no escape sequence',
    async () => {
      const up = await runCli(['up'], { cwd: plain.dir, env: { DATABASE_URL: url, NO_COLOR: undefined, CI: undefined } });
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout + up.stderr).not.toMatch(/[\r\u001b]/);
      expectLinePerStep(up.stdout, 'applied');
      const down = await runCli(['down'], { cwd: plain.dir, env: { DATABASE_URL: url, NO_COLOR: undefined, CI: undefined } });
      expect(down.code, down.stderr).toBe(0);
      expectLinePerStep(down.stdout, 'reverted');
    },
    testBudget({ cli: 2 }),
  );

  for (const [name, env, command] of [
    ['NO_COLOR', { NO_COLOR: '1' }, 'up'],
    ['TERM=dumb', { TERM: 'dumb' }, 'down'],
    ['CI', { CI: 'true' }, 'up'],
  ] as const) {
    it(
      `on a terminal with ${name}: ${command} prints one line per step, the renderer is never loaded`,
      async () => {
        const trace = plain.path(`trace-${name}.txt`);
        const { code, output } = await inTerminal([command], plain.dir, url, trace, env).done;
        expect(code, output).toBe(0);
        expect(output).not.toMatch(/\u001b\[(2K|\?25)/);
        expectLinePerStep(replayTerminal(output, COLUMNS).text, command === 'up' ? 'applied' : 'reverted');
        expect(loadedLiveProgress(trace)).toBe(false);
      },
      testBudget({ cli: 1 }),
    );
  }

  it(
    'on a terminal with --log-format json: one JSON line per step, nothing drawn',
    async () => {
      const trace = plain.path('trace-json.txt');
      const { code, output } = await inTerminal(['down', '--log-format', 'json'], plain.dir, url, trace).done;
      expect(code, output).toBe(0);
      const lines = output.split('\r\n').filter((l) => l !== '');
      const parsed = lines.map((l) => JSON.parse(l) as { migration?: string; message: string });
      expect(parsed.filter((l) => / reverted$/.test(l.message)).map((l) => l.migration)).toEqual(Array.from({ length: 25 }, (_, i) => id(25 - i)));
      expect(loadedLiveProgress(trace)).toBe(false);
    },
    testBudget({ cli: 1 }),
  );

  it(
    'a run of 20 steps on a terminal prints its lines (the live line is for more than 20)',
    async () => {
      const trace = plain.path('trace-twenty.txt');
      const { code, output } = await inTerminal(['up', '--to', `app:${id(20)}`], plain.dir, url, trace).done;
      expect(code, output).toBe(0);
      expectLinePerStep(replayTerminal(output, COLUMNS).text, 'applied', 20);
      expect(loadedLiveProgress(trace)).toBe(false);
    },
    testBudget({ cli: 1 }),
  );

  it(
    'status and --help never load the renderer',
    async () => {
      for (const args of [['status'], ['--help']]) {
        const trace = plain.path(`trace-${args[0]}.txt`);
        const { output } = await inTerminal(args, plain.dir, url, trace).done;
        expect(output).not.toMatch(/\u001b\[(2K|\?25)/);
        expect(loadedLiveProgress(trace), args.join(' ')).toBe(false);
      }
    },
    testBudget({ cli: 2 }),
  );
});
