import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { logLines, runCli } from '../helpers/run-cli.js';
import type { TempProject } from '../helpers/project.js';
import { createRoleDatabase, type RoleDatabase } from '../helpers/secret-role.js';
import { ECHO_SQL, forbidSecretValues, keyValueDsn, SECRETS, storeApiKey } from '../helpers/secret-values.js';
import { ResultRecorder } from './record-results.js';
import { exampleProject } from './reliability-helpers.js';

forbidSecretValues();

const results = new ResultRecorder('7-secrets', {
  order: 7,
  title: 'Secrets in every output',
  summary:
    'The example project run with secrets PostgreSQL sees and echoes back: a password with `@ : / %` and a space, an unencoded ' +
    'one, `PGPASSWORD`, and connection strings that are wrong in the ways people write them. Each case ran three times — human ' +
    'output, `--json`, `--log-format json` — and none of the six streams held the secret in any form (raw, percent-encoded, ' +
    'or the tail an earlier mask left behind); the exit code is the same in every mode and the message still says what is wrong.',
});
let failed = false;

const ECHO = '20260124000000_echo_api_key';
/** "13 pending migration(s)" (human), "13 pending, 0 problem(s)" (log line), `pending: 13` (--json, below). */
const PENDING = /\d+ pending/;

/** What a --json document says, as lines the case's message can be matched against. */
function jsonSays(doc: any): string {
  const steps = (doc.results ?? []).filter((r: any) => r.error).map((r: any) => `${r.engine}: ${r.direction} ${r.id} failed: ${r.error.message}`);
  return [doc.error?.message, ...steps, doc.pending !== undefined ? `${doc.pending} pending` : ''].join('\n');
}

/** What --log-format json lines say, step lines in the human form. */
function logSays(lines: Array<Record<string, any>>): string {
  return lines.map((l) => (l.error ? `${l.engine}: ${l.message}: ${l.error}` : l.message)).join('\n');
}

interface Case {
  name: string;
  args: string[];
  env(): Record<string, string>;
  exit: number;
  message: RegExp;
}

describe('secrets never reach any output', () => {
  const databases: RoleDatabase[] = [];
  let special: RoleDatabase;
  let unencoded: RoleDatabase;
  let pgpassword: RoleDatabase;
  let project: TempProject;

  beforeAll(async () => {
    [special, unencoded, pgpassword] = await Promise.all([
      createRoleDatabase(SECRETS.special, 'relsec'),
      createRoleDatabase(SECRETS.unencoded, 'relsec'),
      createRoleDatabase(SECRETS.pgpassword, 'relsec'),
    ]);
    databases.push(special, unencoded, pgpassword);
    await storeApiKey(special, SECRETS.special);
    await storeApiKey(pgpassword, SECRETS.pgpassword);
    // The example project, plus a reporting migration whose PostgreSQL error quotes a value the server holds.
    project = exampleProject('pm-rel-secrets-', { reporting: { [`${ECHO}.sql`]: ECHO_SQL } });
  });
  beforeEach(({ onTestFailed }) =>
    onTestFailed(() => {
      failed = true;
    }),
  );
  afterAll(async () => {
    await Promise.all(databases.map((db) => db.drop()));
    project?.cleanup();
    results.save(!failed);
  });

  const CASES: Case[] = [
    { name: 'status, password with `@ : / %` and a space, percent-encoded', args: ['status'], env: () => ({ DATABASE_URL: special.url }), exit: 3, message: PENDING },
    {
      name: "`up`: a migration fails and PostgreSQL's error quotes that password",
      args: ['up'],
      env: () => ({ DATABASE_URL: special.url }),
      exit: 1,
      message: /reporting: up 20260124000000_echo_api_key failed: invalid input syntax for type integer: "\*\*\*\*"/,
    },
    {
      name: 'the wrong password (with `@ : / %` and a space)',
      args: ['status'],
      env: () => ({ DATABASE_URL: special.urlWith(encodeURIComponent(SECRETS.wrong)) }),
      exit: 1,
      message: /Authentication failed for postgres:\/\/relsec_\w+:\*\*\*\*@/,
    },
    {
      name: 'that password unencoded: `/` ends the host part, the URL does not parse',
      args: ['status'],
      env: () => ({ DATABASE_URL: special.urlWith(SECRETS.special) }),
      exit: 2,
      message: /is not a valid URL: postgres:\/\/relsec_\w+:\*\*\*\*@.* — its password or user name holds a character/,
    },
    {
      name: 'an unencoded `@ : %` and a space: pg reads the password to the last `@` and connects',
      args: ['status'],
      env: () => ({ DATABASE_URL: unencoded.urlWith(SECRETS.unencoded) }),
      exit: 3,
      message: PENDING,
    },
    {
      name: "`PGPASSWORD` (the URL has none), quoted by PostgreSQL's error",
      args: ['up'],
      env: () => ({ DATABASE_URL: pgpassword.urlWith(undefined), PGPASSWORD: SECRETS.pgpassword }),
      exit: 1,
      message: /invalid input syntax for type integer: "\*\*\*\*"/,
    },
    {
      name: 'a key=value (libpq) connection string',
      args: ['status'],
      env: () => ({ DATABASE_URL: keyValueDsn(SECRETS.dsn) }),
      exit: 2,
      message: /is a key=value connection string \(.*password=\*\*\*\* .*\); polymigrate needs a URL/,
    },
    {
      name: 'a URL that does not parse, with `?password=`',
      args: ['status'],
      env: () => ({ DATABASE_URL: `postgres://deploy@127.0.0.1:notaport/app?password=${encodeURIComponent(SECRETS.query)}` }),
      exit: 2,
      message: /is not a valid URL: postgres:\/\/deploy@127\.0\.0\.1:notaport\/app\?password=\*\*\*\*/,
    },
    { name: 'a password where the URL belongs (`--url <password>`)', args: ['status', '--url', SECRETS.bare], env: () => ({}), exit: 2, message: /is not a valid URL: \(not shown/ },
    {
      name: 'a URL typed where the command belongs',
      args: [`postgres://deploy:${SECRETS.typed}@db.example.com/app`],
      env: () => ({}),
      exit: 2,
      message: /unknown command 'postgres:\/\/deploy:\*\*\*\*@db\.example\.com\/app'/,
    },
  ];

  it.each(CASES)(
    '$name',
    async (c) => {
      const env = c.env();
      const run = (extra: string[]) => runCli([...c.args, ...extra], { cwd: project.dir, env });
      // runCli fails the test if any of the forbidden forms is in stdout or stderr.
      const human = await run([]);
      const json = await run(['--json']);
      const logged = await run(['--log-format', 'json']);
      expect([human.code, json.code, logged.code]).toEqual([c.exit, c.exit, c.exit]);
      const output = human.stdout + human.stderr;
      expect(output).toMatch(c.message);
      expect(jsonSays(json.json())).toMatch(c.message);
      expect(logSays(logLines(logged))).toMatch(c.message);
      const line = output.split('\n').find((l) => c.message.test(l)) ?? '';
      results.row({
        case: c.name,
        exit: c.exit,
        held: `${line
          .replace(/^error:? /, '')
          .replaceAll(project.dir, '…')
          .trim()} — the secret in no output, in any form`,
      });
    },
    60_000,
  );
});
