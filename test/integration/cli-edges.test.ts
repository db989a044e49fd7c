import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { cliProject } from '../helpers/cli-project.js';
import { TempProject } from '../helpers/project.js';
import { logLines, runCli } from '../helpers/run-cli.js';

describe('usage errors come out the way the caller reads output', () => {
  let project: TempProject;
  beforeAll(() => {
    project = new TempProject('pm-edges-');
  });
  afterAll(() => project.cleanup());
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: 'postgres://u:pw-never-used@127.0.0.1:1/x' } });

  const CASES: Array<[args: string[], command: string, message: string]> = [
    [['frobnicate'], 'polymigrate', "unknown command 'frobnicate'"],
    // An option's value is not the command: "up" here names the config file.
    [['--config', 'up', 'frobnicate'], 'polymigrate', "unknown command 'frobnicate'"],
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

  it("without either: commander's own text on stderr, exit 2", async () => {
    const result = await cli('down', '--steps', 'abc');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("error: option '--steps <n>' argument 'abc' is invalid");
  });
});

describe("runId is the journal's numeric run id everywhere", () => {
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
    expect(steps.map((l) => [l.migration, l.level, l.runId])).toEqual([
      ['1_a', 'info', runId],
      ['2_b', 'error', runId],
    ]);
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

describe('a migration file or folder that cannot be read: exit 2, naming the engine and the path, with a hint', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let project: TempProject;
  beforeAll(async () => {
    db = await createTestDatabase('edges_read');
    project = new TempProject('pm-edges-read-');
    // Readable by another user (runs below as nobody): mkdtemp makes it 0700.
    fs.chmodSync(project.dir, 0o755);
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });
  const cli = (args: string[], user?: { uid: number; gid: number }) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url }, ...(user ? { user } : {}) });

  /** The human error, and the same under --json. */
  async function unreadable(args: string[], message: string, hint: string, user?: { uid: number; gid: number }) {
    const human = await cli(args, user);
    expect(human.code, human.stderr).toBe(2);
    expect(human.stderr).toContain(`error ${message}`);
    expect(human.stderr).toContain(`  ${hint}`);
    const json = await cli([...args, '--json'], user);
    expect(json.code).toBe(2);
    expect(json.json().error).toEqual({ message, hint: expect.stringContaining(hint), exitCode: 2 });
  }

  it('permission denied (chmod 000), as a user file permissions apply to', async () => {
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    const file = project.write('db/1_a.sql', 'CREATE TABLE a (id int);\n');
    fs.chmodSync(project.path('db'), 0o755);
    fs.chmodSync(file, 0o000);
    // Root reads a chmod 000 file anyway: run the CLI as nobody then.
    const nobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    await unreadable(['status'], `app: cannot read ${file}: permission denied (EACCES).`, 'Make it readable by the user polymigrate runs as', nobody);
    fs.chmodSync(file, 0o644);
    fs.chmodSync(project.path('db'), 0o000);
    await unreadable(['up'], `app: cannot read ${project.path('db')}: permission denied (EACCES).`, 'Make it readable by the user polymigrate runs as', nobody);
    fs.chmodSync(project.path('db'), 0o755);
  });

  it('a dangling symbolic link where a migration file is', async () => {
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    fs.symlinkSync('../shared/2_gone.sql', project.path('db/2_b.sql'));
    await unreadable(
      ['status'],
      `app: cannot read ${project.path('db/2_b.sql')}: it is a symbolic link to ../shared/2_gone.sql, which does not exist.`,
      'Restore what the link points at, or remove the link.',
    );
    // Once it points at a file, the linked migration is applied like any other (it used to be skipped silently).
    project.write('shared/2_gone.sql', 'CREATE TABLE linked (id int);\n');
    const up = await cli(['up', '--json']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.json().results.map((r: any) => r.id)).toEqual(['1_a', '2_b']);
    expect(await query(db.url, "SELECT 1 AS one FROM pg_tables WHERE tablename = 'linked'")).toEqual([{ one: 1 }]);
  });

  it("a directory where Prisma's migration.sql belongs", async () => {
    project.config({ engines: [{ kind: 'prisma', migrations: 'prisma/migrations' }] });
    fs.mkdirSync(project.path('prisma/migrations/20260101000000_init/migration.sql'), { recursive: true });
    await unreadable(
      ['status'],
      `prisma: cannot read ${project.path('prisma/migrations/20260101000000_init/migration.sql')}: it is a directory, where a file is expected.`,
      'Put the file there, or move the directory out of the migrations folder.',
    );
  });

  it('a migrations folder that is a symbolic link loop', async () => {
    fs.symlinkSync('loop', project.path('loop'));
    project.config({ engines: [{ kind: 'drizzle', name: 'analytics', migrations: 'loop' }] });
    await unreadable(['status'], `analytics: cannot read ${project.path('loop')}: it is a symbolic link that loops (ELOOP).`, 'Point the link at a real file or folder, or remove it.');
  });
});
