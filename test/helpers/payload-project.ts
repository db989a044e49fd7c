import fs from 'node:fs';
import path from 'node:path';
import { TempProject } from './project.js';
import { REPO_ROOT } from './run-cli.js';
import { runProcess } from './run-process.js';
import { budget, STEP_MS } from './time-budget.js';

/** A distinctive PAYLOAD_SECRET: the tests forbid it in every output. */
export const PAYLOAD_TEST_SECRET = 'pm-payload-Secr3t-71d0';

/** The example's migrations, in Payload's (name) order. */
export const PAYLOAD_EXAMPLE_MIGRATIONS = ['20261122_040610_initial', '20261122_040616_herb_nature_practitioner_email'];

/**
 * A copy of the repository's payload/ example in a temp project: payload.config.ts and
 * migrations/ under payload/, a "type": "module" package, node_modules linked to the
 * repository's (Payload resolves from the config's folder) unless `linkNodeModules` is false,
 * and a polymigrate config with one engine "cms".
 */
export function payloadProject(prefix: string, options: { linkNodeModules?: boolean; engine?: Record<string, unknown> } = {}): TempProject {
  const project = new TempProject(prefix);
  fs.cpSync(path.join(REPO_ROOT, 'payload'), project.path('payload'), { recursive: true });
  if (options.linkNodeModules !== false) fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), project.path('node_modules'), 'dir');
  project.config({ engines: [{ kind: 'payload', name: 'cms', config: 'payload/payload.config.ts', migrations: 'payload/migrations', ...options.engine }] });
  return project;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Payload's own CLI (the oracle), run in the project with what it needs in the environment. */
export function payloadCli(project: TempProject, databaseUrl: string, ...args: string[]): Promise<{ code: number; output: string }> {
  return runPayloadCli(project, databaseUrl, 'production', args);
}

/**
 * Payload's dev mode on an empty database: `getPayload` outside production pushes the config's
 * schema (drizzle-kit's pushSchema) and writes the dev marker row (name 'dev', batch -1).
 */
export function payloadDevPush(project: TempProject, databaseUrl: string): Promise<{ code: number; output: string }> {
  project.write(
    'payload/dev-push.ts',
    `import { getPayload } from 'payload'
import config from './payload.config.ts'
await getPayload({ config })
process.exit(0)
`,
  );
  return runPayloadCli(project, databaseUrl, 'development', ['run', 'payload/dev-push.ts']);
}

async function runPayloadCli(project: TempProject, databaseUrl: string, nodeEnv: string, args: string[]): Promise<{ code: number; output: string }> {
  const result = await runProcess(path.join(REPO_ROOT, 'node_modules', '.bin', 'payload'), args, {
    cwd: project.dir,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PAYLOAD_SECRET: PAYLOAD_TEST_SECRET,
      NODE_ENV: nodeEnv,
      PAYLOAD_CONFIG_PATH: project.path('payload', 'payload.config.ts'),
      NO_COLOR: '1',
    },
    timeoutMs: budget(STEP_MS.payload),
  });
  return { code: result.code, output: result.output.replace(ANSI, '') };
}

/** `payload migrate:status` (always exits 0): its table as [name, batch, ran] rows. */
export async function payloadStatus(project: TempProject, databaseUrl: string): Promise<Array<[string, string, string]>> {
  const { output } = await payloadCli(project, databaseUrl, 'migrate:status');
  const rows: Array<[string, string, string]> = [];
  for (const line of output.split('\n')) {
    const cells = line
      .split('│')
      .map((c) => c.trim())
      .filter((c, i, all) => i > 0 && i < all.length - 1);
    if (cells.length === 3 && cells[0] !== 'Name') rows.push(cells as [string, string, string]);
  }
  if (rows.length === 0) throw new Error(`payload migrate:status printed no table:\n${output}`);
  return rows;
}
