import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Barrier, barrierSql } from '../helpers/barrier.js';
import { withClient } from '../helpers/database.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/embedded-server.js';
import { pollUntil } from '../helpers/poll-until.js';
import type { TempProject } from '../helpers/project.js';
import { forbidInOutput, runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { ResultRecorder } from './record-results.js';
import { DRIZZLE_TAGS, PRISMA_IDS, REPORTING_IDS, exampleProject, historyCounts, jsonLogLines, spawnCli } from './reliability-helpers.js';

forbidInOutput(TEST_PASSWORD);

const SLOW = '20260121500000_slow_report';
/** `up --wait`'s retry window while the server is down: long enough for the server to start again on a busy machine. */
const WAIT_S = Math.round(budget(20_000) / 1000);
const SERVER_MS = budget(STEP_MS.server);

const results = new ResultRecorder('3-database-goes-away', {
  order: 3,
  title: 'The database goes away',
  summary: 'A dedicated PostgreSQL server is stopped (fast shutdown: sessions terminated) in the middle of a run, ' + 'or is down when `up` starts.',
});
let failed = false;

/** A server of its own: stopping it must not disturb the other test files. */
describe('the database goes away', () => {
  let server: TestServer;
  let project: TempProject;
  let url: string;
  const cli = (args: string[], timeoutMs = budget(STEP_MS.cli)) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: url }, timeoutMs });

  beforeAll(async () => {
    server = await startTestServer();
    const admin = new URL(server.adminUrl);
    admin.pathname = '/restart';
    url = admin.toString();
    await withClient(server.adminUrl, (c) => c.query('CREATE DATABASE restart'));
    project = exampleProject('pm-rel-restart-', {
      // Waits at the test's barrier while the test holds it: the server is stopped under it there.
      reporting: { [`${SLOW}.sql`]: `CREATE TABLE reporting.slow_report (id int);\n${barrierSql()}\n` },
    });
  });
  beforeEach(({ onTestFailed }) =>
    onTestFailed(() => {
      failed = true;
    }),
  );
  afterAll(async () => {
    await server?.stop();
    project?.cleanup();
    results.save(!failed);
  });

  it(
    'a server restart in the middle of a migration: exit 1 with a clear message, no hang; the next up completes',
    async () => {
      // The barrier's session goes down with the server, and with it the barrier.
      const barrier = await Barrier.hold(url);
      const run = spawnCli(['up', '--log-format', 'json'], { cwd: project.dir, env: { DATABASE_URL: url } });
      let failedAfterMs: number;
      let dead: Awaited<typeof run.done>;
      try {
        // The slow migration waits at the barrier on the server: restart the server under it.
        await barrier.waiter({ detail: () => run.output().stderr });
        const stoppedAt = Date.now();
        await server.pause();
        const restarted = server.resume();
        dead = await run.done;
        failedAfterMs = Date.now() - stoppedAt;
        await restarted;
      } finally {
        await barrier.release();
      }
      expect(dead.code, dead.stderr).toBe(1);
      expect(failedAfterMs).toBeLessThan(budget(15_000));
      const logs = jsonLogLines(dead.stderr);
      const messages = logs.map((l) => String(l.message)).join('\n');
      // The step that was running fails, naming engine, migration and PostgreSQL's reason.
      const step = logs.find((l) => l.migration === SLOW && l.level === 'error');
      expect(step?.error, messages).toMatch(/terminating connection due to administrator command/);
      const error = logs.find((l) => l.level === 'error' && l.exitCode === 1);
      expect(error, messages).toBeDefined();
      const masked = url.replace(encodeURIComponent(TEST_PASSWORD), '****');
      expect(String(error!.message)).toContain(`Lost the connection to ${masked} during the run`);

      // The interrupted transactional step left nothing; the next up applies it and the rest.
      const status = await cli(['status', '--json']);
      expect(status.code).toBe(3);
      const again = await cli(['up', '--wait', '10']);
      expect(again.code, again.stderr).toBe(0);
      expect(await historyCounts(url)).toEqual({ prisma: PRISMA_IDS.length, drizzle: DRIZZLE_TAGS.length, reporting: REPORTING_IDS.length + 1 });
      expect((await cli(['status'])).code).toBe(0);
      results.row({
        case: 'server stopped (fast shutdown) and restarted while a migration runs',
        held: `\`up\` failed after ${failedAfterMs} ms (no hang), exit 1: "${firstLine(String(error!.message))}"; the next \`up\` completed`,
        exit: '1 → 0',
        ms: failedAfterMs,
      });
    },
    testBudget({ cli: 4 }) + 2 * SERVER_MS,
  );

  it(
    `--wait ${WAIT_S} while the server is down: it retries with backoff and succeeds once the server is back`,
    async () => {
      await withClient(server.adminUrl, async (c) => {
        await c.query('DROP DATABASE restart WITH (FORCE)');
        await c.query('CREATE DATABASE restart');
      });
      await server.pause();
      const started = Date.now();
      const run = spawnCli(['up', '--wait', String(WAIT_S)], { cwd: project.dir, env: { DATABASE_URL: url }, timeoutMs: WAIT_S * 1000 + budget(STEP_MS.cli) });
      let downMs: number;
      try {
        // The server comes back once the run has seen it down and said it retries.
        await pollUntil('up to retry the connection', () => run.output().stderr.includes('Database not reachable yet'), { detail: () => run.output().stderr });
        expect(run.child.exitCode).toBeNull();
        downMs = Date.now() - started;
      } finally {
        await server.resume();
      }
      const done = await run.done;
      const ms = Date.now() - started;
      expect(done.code, done.stderr).toBe(0);
      const retries = done.stderr.match(/Database not reachable yet/g) ?? [];
      expect(retries.length).toBeGreaterThan(0);
      expect(done.stderr).not.toContain(TEST_PASSWORD);
      expect(await historyCounts(url)).toEqual({ prisma: PRISMA_IDS.length, drizzle: DRIZZLE_TAGS.length, reporting: REPORTING_IDS.length + 1 });
      results.row({
        case: `\`up --wait ${WAIT_S}\` started while the server is down; server started again once \`up\` said it retries (${downMs} ms after the start)`,
        held: `${retries.length} retries with backoff, then every migration applied`,
        exit: 0,
        ms,
      });
    },
    testBudget({ cli: 2 }) + WAIT_S * 1000 + 2 * SERVER_MS,
  );

  it(
    '--wait 2 with the server down: gives up with a clear message naming the masked URL, exit 1',
    async () => {
      await server.pause();
      try {
        const started = Date.now();
        const result = await cli(['up', '--wait', '2']);
        const ms = Date.now() - started;
        expect(result.code).toBe(1);
        const masked = url.replace(encodeURIComponent(TEST_PASSWORD), '****');
        expect(result.stderr).toContain(`Cannot connect to ${masked} after retrying for 2s`);
        expect(ms).toBeLessThan(budget(10_000));
        const json = await cli(['up', '--wait', '1', '--json', '--log-format', 'json']);
        expect(json.code).toBe(1);
        expect(json.json().error.message).toContain(masked);
        jsonLogLines(json.stderr);
        results.row({
          case: '`up --wait 2` with the server down',
          held: `gave up after ${ms} ms: "${result.stderr
            .split('\n')
            .find((l) => l.startsWith('error '))!
            .slice(6)}"`,
          exit: 1,
          ms,
        });
      } finally {
        await server.resume();
      }
    },
    testBudget({ cli: 2 }) + 2 * SERVER_MS,
  );
});

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
