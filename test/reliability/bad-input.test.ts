import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminUrl, catalogSnapshot, query, urlFor, withClient } from '../helpers/database.js';
import type { TempProject } from '../helpers/project.js';
import { forbidInOutput, runCli } from '../helpers/run-cli.js';
import { testBudget } from '../helpers/time-budget.js';
import { ResultRecorder } from './record-results.js';
import { exampleProject, jsonLogLines } from './reliability-helpers.js';

const WRONG_PASSWORD = 'wr0ng-Passw0rd-c7e1';
forbidInOutput(WRONG_PASSWORD);

const results = new ResultRecorder('5-bad-input', {
  order: 5,
  title: 'Bad input',
  summary:
    'Each mistake on the example project (on a fresh database, or one where everything was applied): the command, its exit ' +
    'code (DESIGN.md: 1 runtime, 2 config/usage, 4 status problems, 5 refused) and the first line of its message. The schema ' +
    "catalog and every table's rows are compared before and after: nothing changed (a migration that failed at run time is " +
    "rolled back; only polymigrate's journal records the failed attempt).",
});
let failed = false;

interface Case {
  name: string;
  /** The database the case starts from. */
  base: 'empty' | 'applied';
  setup?(project: TempProject, url: string): Promise<void> | void;
  args: string[];
  /** Environment for the command (default DATABASE_URL = the case's database). */
  env?(url: string): Record<string, string | undefined>;
  exit: number;
  message: RegExp;
  /** A migration failed at run time: the journal (polymigrate.runs/steps) records the attempt. */
  journalRecords?: boolean;
}

const BROKEN = '20260124000000_broken_report';
const REPORTING_LAST = 'sql/reporting/20260123000000_daily_activity_view.sql';
const PRISMA_FIRST = 'prisma/migrations/20260101120000_init_users_accounts/migration.sql';

function reconfigure(project: TempProject, change: (engines: Array<Record<string, unknown>>) => unknown[]): void {
  const config = JSON.parse(project.read('polymigrate.config.json')) as { engines: Array<Record<string, unknown>> };
  project.config({ ...config, engines: change(config.engines) });
}

const CASES: Case[] = [
  { name: 'config file missing (--config nope.json)', base: 'empty', args: ['up', '--config', 'nope.json'], exit: 2, message: /Config file not found.*nope\.json/ },
  {
    name: 'config JSON that does not parse',
    base: 'empty',
    setup: (p) => {
      p.write('polymigrate.config.json', '{ "engines": [ { "kind": "sql", ');
    },
    args: ['up'],
    exit: 2,
    message: /polymigrate\.config\.json/,
  },
  {
    name: 'config TypeScript that does not parse',
    base: 'empty',
    setup: (p) => {
      p.remove('polymigrate.config.json');
      p.write('polymigrate.config.ts', 'export default { engines: [ { kind: "sql", name: ] };\n');
    },
    args: ['up'],
    exit: 2,
    message: /polymigrate\.config\.ts/,
  },
  {
    name: 'unknown engine kind',
    base: 'empty',
    setup: (p) => reconfigure(p, (e) => [...e, { kind: 'flyway', migrations: 'db' }]),
    args: ['up'],
    exit: 2,
    message: /engines\[3\]\.kind: unknown engine kind "flyway"/,
  },
  {
    name: 'duplicate engine names',
    base: 'empty',
    setup: (p) => reconfigure(p, (e) => [...e, { kind: 'sql', name: 'reporting', migrations: 'sql/reporting' }]),
    args: ['up'],
    exit: 2,
    message: /engines\[3\]\.name: duplicate engine name "reporting"/,
  },
  {
    name: 'migration directory missing',
    base: 'empty',
    setup: (p) => p.remove('sql/reporting'),
    args: ['up'],
    exit: 2,
    message: /reporting: migration directory .*sql\/reporting does not exist/,
  },
  {
    name: 'migration directory is a file',
    base: 'empty',
    setup: (p) => {
      p.remove('sql/reporting');
      p.write('sql/reporting', 'oops');
    },
    args: ['up'],
    exit: 2,
    message: /is a file, but "migrations" must be a directory/,
  },
  {
    name: 'DATABASE_URL that is not a URL',
    base: 'empty',
    args: ['up'],
    env: () => ({ DATABASE_URL: 'postgres://app:pw@[db:5432/app' }),
    exit: 2,
    message: /is not a valid URL: postgres:\/\/app:\*\*\*\*@/,
  },
  {
    name: 'DATABASE_URL of another database system',
    base: 'empty',
    args: ['up'],
    env: () => ({ DATABASE_URL: 'mysql://app:pw@db/app' }),
    exit: 2,
    message: /must start with postgres:\/\/ or postgresql:\/\//,
  },
  {
    name: 'wrong password (masked in the message)',
    base: 'empty',
    args: ['up'],
    env: (url) => {
      const u = new URL(url);
      u.password = WRONG_PASSWORD;
      return { DATABASE_URL: u.toString() };
    },
    exit: 1,
    message: /Authentication failed for postgres:\/\/postgres:\*\*\*\*@/,
  },
  {
    name: 'database does not exist',
    base: 'empty',
    args: ['up'],
    env: (url) => {
      const u = new URL(url);
      u.pathname = '/no_such_db_here';
      return { DATABASE_URL: u.toString() };
    },
    exit: 1,
    message: /The database does not exist: postgres:\/\/postgres:\*\*\*\*@.*no_such_db_here/,
  },
  {
    name: 'SQL syntax error',
    base: 'applied',
    journalRecords: true,
    setup: (p) => {
      p.write(`sql/reporting/${BROKEN}.sql`, '-- a report table\nCREATE TABLE reporting.broken (id int);\nCREATE TABLE reporting.worse (id int,, x int);\n');
    },
    args: ['up'],
    exit: 1,
    message: new RegExp(`reporting: up ${BROKEN} failed: syntax error at or near "," \\(at .*${BROKEN}\\.sql:3:38\\)`),
  },
  {
    name: 'applied migration edited (status)',
    base: 'applied',
    setup: (p) => {
      p.write(PRISMA_FIRST, `${p.read(PRISMA_FIRST)}\n-- edited\n`);
    },
    args: ['status'],
    exit: 4,
    message: /modified/,
  },
  {
    name: 'applied migration edited (up)',
    base: 'applied',
    setup: (p) => {
      p.write(PRISMA_FIRST, `${p.read(PRISMA_FIRST)}\n-- edited\n`);
    },
    args: ['up'],
    exit: 5,
    message: /20260101120000_init_users_accounts/,
  },
  { name: 'applied migration deleted from disk (status)', base: 'applied', setup: (p) => p.remove(REPORTING_LAST), args: ['status'], exit: 4, message: /missing/ },
  {
    name: 'applied migration deleted from disk (up: not a refusal, nothing to apply; status reports it)',
    base: 'applied',
    setup: (p) => p.remove(REPORTING_LAST),
    args: ['up'],
    exit: 0,
    message: /Nothing to apply/,
  },
  {
    name: 'Drizzle entry back-dated before the newest applied one',
    base: 'applied',
    setup: (p) => {
      const file = 'drizzle/migrations/meta/_journal.json';
      const journal = JSON.parse(p.read(file)) as { entries: Array<Record<string, unknown>> };
      journal.entries.push({ idx: journal.entries.length, version: '7', when: Number(journal.entries[0]!.when) + 1, tag: '0003_backdated', breakpoints: true });
      p.write(file, JSON.stringify(journal, null, 2));
      p.write('drizzle/migrations/0003_backdated.sql', 'CREATE TABLE "backdated" ("id" integer);\n');
    },
    args: ['up'],
    exit: 5,
    message: /0003_backdated/,
  },
  {
    name: 'Prisma failed row (P3009 state)',
    base: 'applied',
    setup: async (p, url) => {
      p.write('prisma/migrations/20260116000000_half_done/migration.sql', 'CREATE TABLE "HalfDone" ("id" integer);\n');
      await query(
        url,
        `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at, applied_steps_count)
        VALUES ('00000000-0000-4000-8000-000000000001', 'x', '20260116000000_half_done', 'boom', now(), 0)`,
      );
    },
    args: ['up'],
    exit: 5,
    message: /polymigrate resolve prisma 20260116000000_half_done/,
  },
  {
    name: 'CREATE INDEX CONCURRENTLY in a transactional migration',
    base: 'applied',
    setup: (p) => {
      p.write(`sql/reporting/${BROKEN}.sql`, 'CREATE INDEX CONCURRENTLY kpi_value ON reporting.kpi_snapshots (value);\n');
    },
    args: ['up'],
    exit: 5,
    message: /-- migrate:up transaction:false/,
  },
  {
    name: 'empty migration file',
    base: 'applied',
    setup: (p) => {
      p.write(`sql/reporting/${BROKEN}.sql`, '-- nothing yet\n');
    },
    args: ['up'],
    exit: 5,
    message: /has no SQL to apply/,
  },
];

describe('bad input: a clear error, the documented exit code, nothing changed', () => {
  let applied: string;
  let empty: string;
  const templates: string[] = [];
  const projects: TempProject[] = [];

  /** A database copied from a template (CREATE DATABASE … TEMPLATE is a file copy: fast). */
  async function databaseFrom(template: string): Promise<string> {
    const name = `relbad_${randomBytes(5).toString('hex')}`;
    await withClient(adminUrl(), (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
    templates.push(name);
    return urlFor(name);
  }

  beforeAll(async () => {
    empty = `relbad_empty_${randomBytes(4).toString('hex')}`;
    applied = `relbad_applied_${randomBytes(4).toString('hex')}`;
    await withClient(adminUrl(), async (c) => {
      await c.query(`CREATE DATABASE "${empty}"`);
      await c.query(`CREATE DATABASE "${applied}"`);
    });
    templates.push(empty, applied);
    const project = exampleProject('pm-rel-bad-');
    projects.push(project);
    const up = await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: urlFor(applied) } });
    expect(up.code, up.stderr).toBe(0);
  });
  beforeEach(({ onTestFailed }) =>
    onTestFailed(() => {
      failed = true;
    }),
  );
  afterAll(async () => {
    await withClient(adminUrl(), async (c) => {
      for (const name of templates) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
    for (const project of projects) project.cleanup();
    results.save(!failed);
  });

  const withoutJournal = (snapshot: string) =>
    JSON.stringify((JSON.parse(snapshot) as unknown[]).filter((part) => !(Array.isArray(part) && typeof part[0] === 'string' && /^polymigrate\.(runs|steps)$/.test(part[0]))));

  it.each(CASES)(
    '$name',
    async (c) => {
      const url = await databaseFrom(c.base === 'applied' ? applied : empty);
      const project = exampleProject('pm-rel-bad-');
      projects.push(project);
      await c.setup?.(project, url);
      const before = await catalogSnapshot(url);
      const env = c.env ? c.env(url) : { DATABASE_URL: url };
      const result = await runCli(c.args, { cwd: project.dir, env });
      const output = result.stdout + result.stderr;
      expect(result.code, output).toBe(c.exit);
      expect(output).toMatch(c.message);
      // The same with JSON logs: every line parses, none carries a secret, the exit code is there.
      const logged = await runCli(['--log-format', 'json', ...c.args], { cwd: project.dir, env });
      expect(logged.code).toBe(c.exit);
      const logLines = jsonLogLines(logged.stderr, [WRONG_PASSWORD]);
      if (c.exit !== 0 && c.args[0] !== 'status') expect(logLines.some((l) => l.level === 'error')).toBe(true);
      const after = await catalogSnapshot(url);
      if (c.journalRecords) expect(withoutJournal(after)).toBe(withoutJournal(before));
      else if (c.exit !== 0) expect(after).toBe(before);
      const lines = output.split('\n');
      const message = (lines.find((l) => /^(error|refused) /.test(l)) ?? lines.find((l) => c.message.test(l)) ?? '')
        .replace(/^error /, '')
        .replaceAll(project.dir, '…')
        .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s*/g, '')
        .replace(/\s+/g, ' ')
        .trim();
      results.row({
        case: c.name,
        exit: c.exit,
        held: `${shorten(message, 200)}${c.exit === 0 ? '' : c.journalRecords ? ' — rolled back; only the journal records the attempt' : ' — nothing changed'}`,
      });
    },
    testBudget({ cli: 2, query: 3 }),
  );

  it(
    'migration names with quotes, spaces and unicode apply, show in status and revert',
    async () => {
      const url = await databaseFrom(applied);
      const project = exampleProject('pm-rel-bad-');
      projects.push(project);
      const id = "20260124000000_it's a café ☕";
      project.write(`sql/reporting/${id}.sql`, 'CREATE TABLE reporting."café ☕ ""quoted""" (id int);\n-- migrate:down\nDROP TABLE reporting."café ☕ ""quoted""";\n');
      const before = await catalogSnapshot(url);
      const env = { DATABASE_URL: url };
      const up = await runCli(['up', '--json'], { cwd: project.dir, env });
      expect(up.code, up.stderr).toBe(0);
      expect(up.json().results.map((r: { id: string }) => r.id)).toEqual([id]);
      const status = await runCli(['status', '--json'], { cwd: project.dir, env });
      expect(status.json().engines[2].migrations.at(-1)).toMatchObject({ id, state: 'applied' });
      const down = await runCli(['down'], { cwd: project.dir, env });
      expect(down.code, down.stderr).toBe(0);
      expect(down.stdout).toContain(id);
      expect(withoutJournal(await catalogSnapshot(url))).toBe(withoutJournal(before));
      results.row({ case: "migration named `it's a café ☕` (quote, spaces, unicode)", exit: 0, held: 'applied, shown in status, reverted by `down`: the database is as before' });
    },
    testBudget({ cli: 3, query: 3 }),
  );

  it('an unknown flag and a bad flag value are usage errors', async () => {
    const project = exampleProject('pm-rel-bad-');
    projects.push(project);
    for (const args of [
      ['up', '--lock-timeout', 'soon'],
      ['up', '--frobnicate'],
    ]) {
      const result = await runCli(args, { cwd: project.dir, env: { DATABASE_URL: urlFor(empty) } });
      expect(result.code).toBe(2);
      results.row({ case: `\`${args.join(' ')}\``, exit: 2, held: result.stderr.split('\n')[0]!.replace(/^error: /, '') });
    }
    expect(fs.existsSync(project.dir)).toBe(true);
  });
});

/** Cut at a word boundary, so a table cell stays readable. */
function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, text.lastIndexOf(' ', max))} …`;
}
