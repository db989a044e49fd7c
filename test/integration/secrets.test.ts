import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthHandler } from '../../src/health/health-handler.js';
import { adminUrl, createTestDatabase, query } from '../helpers/database.js';
import { PAYLOAD_EXAMPLE_MIGRATIONS, payloadProject } from '../helpers/payload-project.js';
import { TempProject } from '../helpers/project.js';
import { logLines, runCli } from '../helpers/run-cli.js';
import { createRoleDatabase, type RoleDatabase } from '../helpers/secret-role.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { ECHO_SQL, ECHOED, forbidSecretValues, keyValueDsn, SECRETS, storeApiKey } from '../helpers/secret-values.js';

/**
 * No output of the shipped CLI (human, --json, --log-format json), nor the health handler's body,
 * may contain a secret — also where PostgreSQL or an engine echoes it back. Every value in SECRETS
 * is forbidden in every CLI run of this file.
 */
forbidSecretValues();
const {
  special: SPECIAL,
  unencoded: UNENCODED,
  pgpassword: PGPASSWORD,
  wrong: WRONG,
  dsn: DSN_PASSWORD,
  query: QUERY_PASSWORD,
  bare: BARE,
  typed: TYPED,
  token: TOKEN,
  cms: CMS_SECRET,
} = SECRETS;

function sqlProject(): TempProject {
  const project = new TempProject('pm-secrets-');
  project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
  project.write('db/1_ok.sql', 'CREATE TABLE ok (id int);\n');
  project.write('db/2_echo.sql', ECHO_SQL);
  return project;
}

describe('a password with @ : / % and a space, percent-encoded in the URL', () => {
  let db: RoleDatabase;
  let project: TempProject;
  const cli = (args: string[], url = db.url) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: url } });

  beforeAll(async () => {
    db = await createRoleDatabase(SPECIAL);
    await storeApiKey(db, SPECIAL);
    project = sqlProject();
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it('status connects with it; up fails where PostgreSQL echoes it, and every output mode masks it', async () => {
    expect((await cli(['status'])).code).toBe(3);
    const human = await cli(['up']);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain(`app: up 2_echo failed: ${ECHOED}`);
    const json = await cli(['up', '--json']);
    expect(json.code).toBe(1);
    const said = `${ECHOED} (at ${project.path('db/2_echo.sql')}:1:1)`;
    expect(json.json().results.find((r: any) => r.id === '2_echo').error.message).toBe(said);
    const logged = await cli(['up', '--log-format', 'json']);
    expect(logged.code).toBe(1);
    const failed = logLines(logged).find((l) => l.migration === '2_echo');
    expect(failed).toMatchObject({ level: 'error', error: said });
  });

  it('a wrong password: authentication fails, named with the masked URL', async () => {
    const wrong = db.urlWith(encodeURIComponent(WRONG));
    const result = await cli(['status'], wrong);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Authentication failed for postgres://${db.role}:****@${db.host}/${db.name}: password authentication failed for user "${db.role}"`);
    const json = await cli(['status', '--json'], wrong);
    expect(json.json().error.message).toContain(`postgres://${db.role}:****@`);
  });

  it('the same password unencoded breaks the URL: refused (exit 2) saying why, none of it shown', async () => {
    const broken = db.urlWith(SPECIAL);
    const human = await cli(['status'], broken);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain(`is not a valid URL: postgres://${db.role}:****@${db.host}/${db.name} — its password or user name holds a character`);
    expect(human.stderr).toContain('encodeURIComponent');
    const json = await cli(['status', '--json'], broken);
    expect(json.code).toBe(2);
    expect(json.json().error).toMatchObject({ exitCode: 2, message: expect.stringContaining('is not a valid URL') });
    const logged = await cli(['status', '--log-format', 'json'], broken);
    expect(logLines(logged).at(-1)).toMatchObject({ level: 'error', exitCode: 2 });
  });
});

describe('an unencoded @, :, % and space: pg reads the password to the last @', () => {
  let db: RoleDatabase;
  let project: TempProject;

  beforeAll(async () => {
    db = await createRoleDatabase(UNENCODED);
    await storeApiKey(db, UNENCODED);
    project = sqlProject();
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it('connects with what pg sends, and masks exactly that', async () => {
    const env = { DATABASE_URL: db.urlWith(UNENCODED) };
    const status = await runCli(['status'], { cwd: project.dir, env });
    expect(status.code, status.stderr).toBe(3);
    const up = await runCli(['up', '--json', '--log-format', 'json'], { cwd: project.dir, env });
    expect(up.code).toBe(1);
    const said = `${ECHOED} (at ${project.path('db/2_echo.sql')}:1:1)`;
    expect(up.json().results.find((r: any) => r.id === '2_echo').error.message).toBe(said);
    expect(logLines(up).find((l) => l.migration === '2_echo')?.error).toBe(said);
  });
});

describe('PGPASSWORD, sent when the URL has none', () => {
  let db: RoleDatabase;
  let project: TempProject;

  beforeAll(async () => {
    db = await createRoleDatabase(PGPASSWORD);
    await storeApiKey(db, PGPASSWORD);
    project = sqlProject();
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it('is masked where PostgreSQL echoes it, in human output, --json and JSON logs', async () => {
    const env = { DATABASE_URL: db.urlWith(undefined), PGPASSWORD };
    const human = await runCli(['up'], { cwd: project.dir, env });
    expect(human.code, human.stderr).toBe(1);
    expect(human.stderr).toContain(`app: up 2_echo failed: ${ECHOED}`);
    const both = await runCli(['up', '--json', '--log-format', 'json'], { cwd: project.dir, env });
    const said = `${ECHOED} (at ${project.path('db/2_echo.sql')}:1:1)`;
    expect(both.json().results.find((r: any) => r.id === '2_echo').error.message).toBe(said);
    expect(logLines(both).some((l) => l.error === said)).toBe(true);
  });
});

describe('connection strings that are refused or cannot be parsed', () => {
  let project: TempProject;
  const host = () => new URL(adminUrl()).hostname;
  const port = () => new URL(adminUrl()).port;
  /** The same case in the three output modes: exit 2 each time, the messages returned. */
  async function refused(args: string[], env: Record<string, string>) {
    const run = (extra: string[]) => runCli([...args, ...extra], { cwd: project.dir, env });
    const [human, json, logged] = await Promise.all([run([]), run(['--json']), run(['--log-format', 'json'])]);
    for (const result of [human, json, logged]) expect(result.code).toBe(2);
    const line = logLines(logged).at(-1)!;
    expect(line).toMatchObject({ level: 'error', exitCode: 2 });
    return { human: human.stderr, json: json.json().error as { message: string; hint?: string }, log: line.message as string };
  }

  beforeAll(() => {
    project = new TempProject('pm-secrets-url-');
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    project.write('db/1_ok.sql', 'SELECT 1;\n');
  });
  afterAll(() => project.cleanup());

  it('a key=value (libpq) connection string: refused, with the URL to write instead', async () => {
    const { human, json, log } = await refused(['status'], { DATABASE_URL: keyValueDsn(DSN_PASSWORD) });
    const said = `is a key=value connection string (host=${host()} port=${port()} dbname=app user=deploy password=**** sslmode=disable); polymigrate needs a URL.`;
    expect(human).toContain(said);
    expect(human).toContain(`Write it as postgres://deploy:PASSWORD@${host()}:${port()}/app?sslmode=disable`);
    expect(json.message).toContain(said);
    expect(json.hint).toContain('PGPASSWORD');
    expect(log).toContain(said);
  });

  it('an unparsable URL with ?password=: the parameter is masked', async () => {
    const url = `postgres://deploy@${host()}:notaport/app?password=${encodeURIComponent(QUERY_PASSWORD)}&sslmode=disable`;
    const { human, json } = await refused(['status'], { DATABASE_URL: url });
    expect(human).toContain(`is not a valid URL: postgres://deploy@${host()}:notaport/app?password=****&sslmode=disable`);
    expect(human).toContain('check the host, port and database name');
    expect(json.message).toContain('?password=****');
  });

  it('a value that is no URL at all (a password in the wrong variable) is not shown', async () => {
    const { human } = await refused(['status', '--url', BARE], {});
    expect(human).toContain('The database URL from --url is not a valid URL: (not shown');
  });

  it('a URL typed where a command belongs: the usage error masks its password', async () => {
    const { human, json } = await refused([`postgres://deploy:${TYPED}@db.example.com/app`], {});
    expect(human).toContain("unknown command 'postgres://deploy:****@db.example.com/app'");
    expect(json.message).toBe("unknown command 'postgres://deploy:****@db.example.com/app'");
  });
});

describe('health handler', () => {
  let db: RoleDatabase;
  let project: TempProject;

  beforeAll(async () => {
    db = await createRoleDatabase(SPECIAL);
    await storeApiKey(db, SPECIAL);
    project = new TempProject('pm-secrets-health-');
    project.config({ engines: [{ kind: 'prisma', migrations: 'prisma/migrations' }] });
    project.write('prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
    // Outside a transaction (CONCURRENTLY), so it runs Prisma's way: a failure is recorded in
    // _prisma_migrations.logs with PostgreSQL's error, which here quotes the password.
    project.write('prisma/migrations/20260101000000_echo/migration.sql', `CREATE TABLE "Thing" ("id" integer);\nCREATE INDEX CONCURRENTLY "Thing_id" ON "Thing" ("id");\n${ECHO_SQL}`);
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it('the failure PostgreSQL recorded is shown masked by status and by the health body; the token never appears', async () => {
    const env = { DATABASE_URL: db.url };
    expect((await runCli(['up'], { cwd: project.dir, env })).code).toBe(1);
    const [logs] = await query<{ logs: string }>(db.url, 'SELECT logs FROM _prisma_migrations');
    expect(logs!.logs).toContain(SPECIAL); // the history holds it, as Prisma's own CLI would have written it
    const status = await runCli(['status'], { cwd: project.dir, env });
    expect(status.code).toBe(4);
    expect(status.stdout).toContain(ECHOED);

    const handler = createHealthHandler({ config: project.path('polymigrate.config.json'), databaseUrl: db.url, token: TOKEN });
    const response = await handler(new Request('http://localhost/api/health', { headers: { authorization: `Bearer ${TOKEN}` } }));
    const text = await response.text();
    expect(response.status).toBe(503);
    const body = JSON.parse(text);
    expect(body.migrations.status).toBe('failed');
    expect(body.engines[0].migrations[0].reason).toContain(ECHOED);
    for (const secret of [SPECIAL, encodeURIComponent(SPECIAL), TOKEN]) expect(text).not.toContain(secret);
  });

  it('an unreachable database with a special-character password: 503 "unknown", nothing of the URL', async () => {
    const handler = createHealthHandler({ config: project.path('polymigrate.config.json'), databaseUrl: db.urlWith(SPECIAL) });
    const text = await (await handler(new Request('http://localhost/api/health'))).text();
    expect(JSON.parse(text).migrations.status).toBe('unknown');
    for (const secret of [SPECIAL, '7:w/rd', db.host]) expect(text).not.toContain(secret);
  });
});

describe("Payload: the engine's configured secretEnv", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let project: TempProject;
  const BROKEN = '20261122_060000_echo_secret';

  beforeAll(async () => {
    db = await createTestDatabase('payload_secret');
    project = payloadProject('pm-secrets-payload-', { engine: { secretEnv: 'CMS_PAYLOAD_SECRET' } });
    // A migration that uses the secret in SQL (seeding a signing key): PostgreSQL's error quotes it.
    project.write(
      `payload/migrations/${BROKEN}.ts`,
      `import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

export async function up({ db, payload }: MigrateUpArgs): Promise<void> {
  payload.logger.info('seeding with ' + process.env.CMS_PAYLOAD_SECRET)
  await db.execute(sql\`SELECT \${process.env.CMS_PAYLOAD_SECRET}::integer\`)
}

export async function down({ db }: MigrateDownArgs): Promise<void> {}
`,
    );
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it(
    "is masked in Payload's log lines and in PostgreSQL's error, in --json and JSON logs",
    async () => {
      const result = await runCli(['up', '--json', '--log-format', 'json'], {
        cwd: project.dir,
        env: { DATABASE_URL: db.url, CMS_PAYLOAD_SECRET: CMS_SECRET },
        timeoutMs: budget(STEP_MS.payload + STEP_MS.cli),
      });
      expect(result.code, result.stderr).toBe(1);
      expect(result.json().results.map((r: any) => [r.id, r.status])).toEqual([...PAYLOAD_EXAMPLE_MIGRATIONS.map((id) => [id, 'applied']), [BROKEN, 'failed']]);
      expect(result.json().results[2].error.message).toBe(ECHOED);
      expect(logLines(result).some((l) => l.message === 'seeding with ****')).toBe(true);
    },
    testBudget({ payload: 1, cli: 1 }),
  );
});
