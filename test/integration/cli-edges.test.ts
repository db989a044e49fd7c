import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../helpers/database.js';
import { cliProject } from '../helpers/cli-project.js';
import { TempProject } from '../helpers/project.js';
import { logLines, runCli } from '../helpers/run-cli.js';

describe('usage errors come out the way the caller reads output', () => {
  let project: TempProject;
  beforeAll(() => { project = new TempProject('pm-edges-'); });
  afterAll(() => project.cleanup());
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: 'postgres://u:pw-never-used@127.0.0.1:1/x' } });

  const CASES: Array<[args: string[], command: string, message: string]> = [
    [['frobnicate'], 'polymigrate', "unknown command 'frobnicate'"],
    [['status', '--frobnicate'], 'status', "unknown option '--frobnicate'"],
    [['down', '--steps', 'abc'], 'down', "option '--steps <n>' argument 'abc' is invalid. expected a whole number of at least 1."],
    [['--log-format', 'xml', 'status'], 'status', "option '--log-format <format>' argument 'xml' is invalid. Allowed choices are pretty, json."],
    [['deploy', '--to'], 'up', "option '--to <engine:id>' argument missing"],
    [['status', 'extra'], 'status', "too many arguments for 'status'. Expected 0 arguments but got 1."],
    [[], 'polymigrate', 'No command given.'],
  ];

  it.each(CASES)('%j under --json: the error document on stdout, exit 2', async (args, command, message) => {
    const result = await cli(...args, '--json');
    expect(result.code).toBe(2);
    expect(result.json()).toEqual({ version: 1, command, error: { message, hint: expect.stringContaining('polymigrate --help'), exitCode: 2 } });
  });

  it.each(CASES.filter(([args]) => !args.includes('xml')))('%j under --log-format json: one JSON log line on stderr, nothing else', async (args, _command, message) => {
    const result = await cli(...args, '--log-format', 'json');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = logLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({ time: expect.any(String), level: 'error', message, instance: expect.stringMatching(/:\d+$/), exitCode: 2 });
  });

  it('without either: commander\'s own text on stderr, exit 2', async () => {
    const result = await cli('down', '--steps', 'abc');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("error: option '--steps <n>' argument 'abc' is invalid");
  });
});

describe('runId is the journal\'s numeric run id everywhere', () => {
  const t = cliProject('edges_runid', (project) => {
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    project.write('db/1_a.sql', 'CREATE TABLE a (id int);\n');
    project.write('db/2_b.sql', 'CREATE TABLE a (id int);\n'); // fails: a exists
  });

  it('the --json document and every log line written once the run is recorded carry the same number', async () => {
    const result = await t.cli('up', '--json', '--log-format', 'json');
    expect(result.code).toBe(1);
    const { runId } = result.json();
    expect(typeof runId).toBe('number');
    const [row] = await query<{ id: string }>(t.db.url, 'SELECT max(id) AS id FROM polymigrate.runs');
    expect(runId).toBe(Number(row!.id));
    const steps = logLines(result).filter((l) => l.migration !== undefined);
    expect(steps.map((l) => [l.migration, l.level, l.runId])).toEqual([['1_a', 'info', runId], ['2_b', 'error', runId]]);
    for (const line of logLines(result)) if ('runId' in line) expect(line.runId).toBe(runId);
  });

  it('a command that records no run (status) writes no runId; the next run has a larger one', async () => {
    const status = await t.cli('status', '--log-format', 'json');
    expect(logLines(status).map((l) => 'runId' in l)).toEqual([false]);
    t.project.write('db/2_b.sql', 'CREATE TABLE b (id int);\n');
    const first = (await t.cli('down', '--engine', 'app', '--json')).json().runId;
    const second = (await t.cli('up', '--json')).json().runId;
    expect(second).toBeGreaterThan(first);
  });
});
