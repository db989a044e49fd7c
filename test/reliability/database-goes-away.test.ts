import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { query, withClient } from '../helpers/database.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/embedded-server.js';
import type { TempProject } from '../helpers/project.js';
import { forbidInOutput, runCli } from '../helpers/run-cli.js';
import { ResultRecorder } from './record-results.js';
import { DRIZZLE_TAGS, PRISMA_IDS, REPORTING_IDS, exampleProject, historyCounts, jsonLogLines, spawnCli } from './reliability-helpers.js';

forbidInOutput(TEST_PASSWORD);

const SLOW = '20260121500000_slow_report';

const results = new ResultRecorder('3-database-goes-away', {
  order: 3,
  title: 'The database goes away',
  summary: 'A dedicated PostgreSQL server is stopped (fast shutdown: sessions terminated) in the middle of a run, ' +
    'or is down when `up` starts.',
});
let failed = false;

/** A server of its own: stopping it must not disturb the other test files. */
describe('the database goes away', () => {
  let server: TestServer;
  let project: TempProject;
  let url: string;
  const cli = (args: string[], timeoutMs = 60_000) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: url }, timeoutMs });

  beforeAll(async () => {
    server = await startTestServer();
    const admin = new URL(server.adminUrl);
    admin.pathname = '/restart';
    url = admin.toString();
    await withClient(server.adminUrl, (c) => c.query('CREATE DATABASE restart'));
    project = exampleProject('pm-rel-restart-', {
      reporting: { [`${SLOW}.sql`]: 'CREATE TABLE reporting.slow_report (id int);\nSELECT pg_sleep(3);\n' },
    });
  });
  beforeEach(({ onTestFailed }) => onTestFailed(() => { failed = true; }));
  afterAll(async () => {
    await server?.stop();
    project?.cleanup();
    results.save(!failed);
  });

  it('a server restart in the middle of a migration: exit 1 with a clear message, no hang; the next up completes', async () => {
    const run = spawnCli(['up', '--log-format', 'json'], { cwd: project.dir, env: { DATABASE_URL: url } });
    // Wait until the slow migration is running on the server, then restart the server under it.
    for (let i = 0; ; i += 1) {
      const rows = await query(url, `SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()`);
      if (rows.length > 0) break;
      expect(i, 'the slow migration never started').toBeLessThan(600);
      await new Promise((r) => setTimeout(r, 25));
    }
    const stoppedAt = Date.now();
    await server.pause();
    const restarted = server.resume();
    const dead = await run.done;
    const failedAfterMs = Date.now() - stoppedAt;
    await restarted;
    expect(dead.code, dead.stderr).toBe(1);
    expect(failedAfterMs).toBeLessThan(15_000);
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
      exit: '1 → 0', ms: failedAfterMs,
    });
  }, 90_000);

  it('--wait 20 while the server is down: it retries with backoff and succeeds once the server is back', async () => {
    await withClient(server.adminUrl, async (c) => {
      await c.query('DROP DATABASE restart WITH (FORCE)');
      await c.query('CREATE DATABASE restart');
    });
    await server.pause();
    const started = Date.now();
    const run = spawnCli(['up', '--wait', '20'], { cwd: project.dir, env: { DATABASE_URL: url } });
    await new Promise((r) => setTimeout(r, 2_000));
    await server.resume();
    const done = await run.done;
    const ms = Date.now() - started;
    expect(done.code, done.stderr).toBe(0);
    const retries = done.stderr.match(/Database not reachable yet/g) ?? [];
    expect(retries.length).toBeGreaterThan(0);
    expect(done.stderr).not.toContain(TEST_PASSWORD);
    expect(await historyCounts(url)).toEqual({ prisma: PRISMA_IDS.length, drizzle: DRIZZLE_TAGS.length, reporting: REPORTING_IDS.length + 1 });
    results.row({ case: '`up --wait 20` started while the server is down; server back after 2 s', held: `${retries.length} retries with backoff, then every migration applied`, exit: 0, ms });
  }, 60_000);

  it('--wait 2 with the server down: gives up with a clear message naming the masked URL, exit 1', async () => {
    await server.pause();
    try {
      const started = Date.now();
      const result = await cli(['up', '--wait', '2']);
      const ms = Date.now() - started;
      expect(result.code).toBe(1);
      const masked = url.replace(encodeURIComponent(TEST_PASSWORD), '****');
      expect(result.stderr).toContain(`Cannot connect to ${masked} after retrying for 2s`);
      expect(ms).toBeLessThan(10_000);
      const json = await cli(['up', '--wait', '1', '--json', '--log-format', 'json']);
      expect(json.code).toBe(1);
      expect(json.json().error.message).toContain(masked);
      jsonLogLines(json.stderr);
      results.row({ case: '`up --wait 2` with the server down', held: `gave up after ${ms} ms: "${result.stderr.split('\n').find((l) => l.startsWith('error '))!.slice(6)}"`, exit: 1, ms });
    } finally {
      await server.resume();
    }
  }, 60_000);
});

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
