import fs from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLYMIGRATE_LOCK_KEY } from '../../src/lock/advisory-lock.js';
import { createTestDatabase, query } from '../helpers/database.js';
import { PAYLOAD_EXAMPLE_MIGRATIONS, PAYLOAD_TEST_SECRET, payloadProject } from '../helpers/payload-project.js';
import { pollUntil } from '../helpers/poll-until.js';
import type { TempProject } from '../helpers/project.js';
import { forbidInOutput, runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { spawnCli } from '../reliability/reliability-helpers.js';

forbidInOutput(PAYLOAD_TEST_SECRET);

/**
 * Loaded into every node process of a run (NODE_OPTIONS, inherited by the Payload child): logs
 * each process it spawns (before the ESM CLI binds child_process) and each TCP connection it
 * opens, so a test can see whether the Payload child was started, whether it connected, and
 * whether it is still alive after polymigrate exits.
 */
const TRACER = `const fs = require('node:fs');
const net = require('node:net');
const childProcess = require('node:child_process');
const log = (pid, what) => fs.appendFileSync(process.env.PM_TRACE_FILE, pid + ' ' + what + '\\n');
const spawn = childProcess.spawn;
childProcess.spawn = function (command, args, ...rest) {
  const child = spawn.call(this, command, args, ...rest);
  log(child.pid, 'start ' + (Array.isArray(args) ? args.join(' ') : ''));
  return child;
};
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) { log(process.pid, 'connect'); return connect.apply(this, args); };
`;

interface Trace {
  /** pids of Payload runner processes. */
  runners: number[];
  /** pids that opened a TCP connection. */
  connected: Set<number>;
}

function readTrace(file: string): Trace {
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  const runners: number[] = [];
  const connected = new Set<number>();
  for (const line of lines) {
    const [pid, what, script] = line.split(' ');
    if (what === 'start' && script?.includes('payload-runner')) runners.push(Number(pid));
    if (what === 'connect') connected.add(Number(pid));
  }
  return { runners, connected };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1";
const ROWS = 'SELECT name, batch::int AS batch FROM payload_migrations ORDER BY id';

/**
 * When the lock session of polymigrate process `pid` last started a pg_try_advisory_lock (its
 * query_start in pg_stat_activity), or undefined. Each new value is one more try of a run that
 * waits for the lock (it polls with backoff).
 */
async function lastLockTry(url: string, pid: number): Promise<string | undefined> {
  const rows = await query<{ at: string }>(
    url,
    `SELECT query_start::text AS at FROM pg_stat_activity
    WHERE application_name = $1 AND query LIKE '%pg_try_advisory_lock%'`,
    [`polymigrate lock ${os.hostname()}:${pid}`.slice(0, 63)],
  );
  return rows[0]?.at;
}

/** A Payload run, or Payload's own CLI: one Payload load (seconds), with the queries around it. */
const PAYLOAD_TEST_MS = testBudget({ payload: 1, query: 2 });

/**
 * up and down start Payload's child process as soon as their plan (made under the lock) holds
 * Payload steps, so that loading Payload overlaps the journal set-up and the other engines' steps.
 * No child is started when the plan has no Payload step (or before the lock is held); the child must
 * not touch the database until it gets a request, and a child that fails while loading must report
 * what it reported before the early start.
 */
describe('payload engine: the child process started early', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let project: TempProject;
  let traceCount = 0;

  beforeAll(async () => {
    db = await createTestDatabase('payloadwarm');
    project = payloadProject('pm-payload-warm-');
    project.write('tracer.cjs', TRACER);
    project.write('sql/20270101000000_notes.sql', 'CREATE TABLE notes (id integer PRIMARY KEY);\n');
    project.write('sql/20270101000000_notes.down.sql', 'DROP TABLE notes;\n');
    project.config({
      engines: [
        { kind: 'sql', name: 'app', migrations: 'sql' },
        { kind: 'payload', name: 'cms', config: 'payload/payload.config.ts', migrations: 'payload/migrations' },
      ],
    });
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  /** The environment of a traced run, and the file its trace goes to. */
  function tracing(env: Record<string, string | undefined> = {}) {
    traceCount += 1;
    const file = project.path(`trace-${traceCount}.log`);
    return {
      file,
      env: { DATABASE_URL: db.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET, NODE_OPTIONS: `--require ${project.path('tracer.cjs')}`, PM_TRACE_FILE: file, ...env },
    };
  }

  /** Run the CLI with the tracer; returns the result and what the tracer saw. */
  async function traced(args: string[], extraEnv: Record<string, string | undefined> = {}) {
    const { file, env } = tracing(extraEnv);
    const result = await runCli(args, { cwd: project.dir, env, timeoutMs: budget(STEP_MS.payload) });
    return { result, trace: readTrace(file) };
  }

  it("up --engine of another engine never starts Payload and leaves Payload's tables alone", async () => {
    const { result, trace } = await traced(['up', '--engine', 'app']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('20270101000000_notes');
    expect(trace.runners).toEqual([]);
    expect(await query(db.url, TABLES)).not.toContainEqual({ table_name: 'payload_migrations' });
    expect(await query(db.url, "SELECT to_regclass('public.herbs') AS t")).toEqual([{ t: null }]);
  });

  it(
    'a failing config load is reported by the first Payload step, as without the early start; the child is gone',
    async () => {
      const config = project.read('payload/payload.config.ts');
      project.write('payload/payload.config.ts', `throw new Error('config exploded')\n${config}`);
      try {
        const { result, trace } = await traced(['up']);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`cms: up ${PAYLOAD_EXAMPLE_MIGRATIONS[0]} failed: config exploded`);
        expect(trace.runners).toHaveLength(1);
        expect(trace.runners.filter(alive)).toEqual([]);
        expect(await query(db.url, "SELECT to_regclass('public.payload_migrations') AS t")).toEqual([{ t: null }]);
      } finally {
        project.write('payload/payload.config.ts', config);
      }
    },
    PAYLOAD_TEST_MS,
  );

  it(
    'a config that never finishes loading fails the step instead of hanging until timeoutSeconds',
    async () => {
      const config = project.read('payload/payload.config.ts');
      project.write('payload/payload.config.ts', `await new Promise(() => {})\n${config}`);
      try {
        const { result, trace } = await traced(['up']);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`cms: up ${PAYLOAD_EXAMPLE_MIGRATIONS[0]} failed: loading the Payload config never finished`);
        expect(trace.runners.filter(alive)).toEqual([]);
      } finally {
        project.write('payload/payload.config.ts', config);
      }
    },
    PAYLOAD_TEST_MS,
  );

  it('a missing PAYLOAD_SECRET is reported as before, and no child is started', async () => {
    const { result, trace } = await traced(['up'], { PAYLOAD_SECRET: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cms: up ${PAYLOAD_EXAMPLE_MIGRATIONS[0]} failed: cms: PAYLOAD_SECRET is not set; Payload refuses to start without its secret.`);
    expect(trace.runners).toEqual([]);
    expect(await query(db.url, "SELECT to_regclass('public.payload_migrations') AS t")).toEqual([{ t: null }]);
  });

  it(
    'the child that runs the steps applies them',
    async () => {
      const { result, trace } = await traced(['up', '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.json().results.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual(PAYLOAD_EXAMPLE_MIGRATIONS.map((id) => [id, 'applied']));
      expect(trace.runners).toHaveLength(1);
      expect(trace.connected.has(trace.runners[0]!)).toBe(true);
      expect(trace.runners.filter(alive)).toEqual([]);
    },
    PAYLOAD_TEST_MS,
  );

  it(
    'a run that has to wait for the lock starts no Payload child before it holds it; once it does, one child applies the steps',
    async () => {
      const down = await runCli(['down', '--engine', 'cms'], { cwd: project.dir, env: { DATABASE_URL: db.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET }, timeoutMs: budget(STEP_MS.payload) });
      expect(down.code, down.stderr).toBe(0);
      const holder = new pg.Client({ connectionString: db.url });
      await holder.connect();
      const { file, env } = tracing();
      let run: ReturnType<typeof spawnCli> | undefined;
      try {
        await holder.query('SELECT pg_advisory_lock($1::bigint)', [POLYMIGRATE_LOCK_KEY.toString()]);
        run = spawnCli(['up', '--json'], { cwd: project.dir, env, secrets: [PAYLOAD_TEST_SECRET], timeoutMs: testBudget({ payload: 1, cli: 1 }) });
        const waiting = run;
        await pollUntil('the up to wait for the lock', () => waiting.output().stderr.includes('Waiting for the migration lock'), { detail: () => waiting.output().stderr });
        // Then it keeps trying for the lock without loading Payload: seen by its lock session's
        // tries (each a new query_start), not by a time that passed.
        const tries = new Set<string>();
        await pollUntil(
          'three more tries for the lock',
          async () => {
            const at = await lastLockTry(db.url, waiting.child.pid!);
            if (at) tries.add(at);
            return tries.size >= 3;
          },
          { detail: () => waiting.output().stderr },
        );
        expect(readTrace(file).runners).toEqual([]);
        expect(run.child.exitCode).toBeNull();
      } finally {
        await holder.end();
      }
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).results.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([[PAYLOAD_EXAMPLE_MIGRATIONS[1], 'applied']]);
      const trace = readTrace(file);
      expect(trace.runners).toHaveLength(1);
      expect(trace.connected.has(trace.runners[0]!)).toBe(true);
      expect(trace.runners.filter(alive)).toEqual([]);
    },
    testBudget({ payload: 2, cli: 1, query: 2 }),
  );

  it("with everything applied, no Payload child is started; Payload's tables and rows are unchanged", async () => {
    const tables = await query(db.url, TABLES);
    const rows = await query(db.url, ROWS);
    expect(rows).toHaveLength(PAYLOAD_EXAMPLE_MIGRATIONS.length);
    const { result, trace } = await traced(['up']);
    expect(result.code, result.stderr).toBe(0);
    expect(trace.runners).toEqual([]);
    expect(trace.runners.filter(alive)).toEqual([]);
    expect(await query(db.url, TABLES)).toEqual(tables);
    expect(await query(db.url, ROWS)).toEqual(rows);
  });

  it('down of another engine never starts Payload', async () => {
    const { result, trace } = await traced(['down', '--engine', 'app']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('20270101000000_notes');
    expect(await query(db.url, "SELECT to_regclass('public.notes') AS t")).toEqual([{ t: null }]);
    expect(trace.runners).toEqual([]);
    expect(await query(db.url, ROWS)).toHaveLength(PAYLOAD_EXAMPLE_MIGRATIONS.length);
  });
});
