import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/run-cli.js';
import { runProcess } from '../helpers/run-process.js';
import { budget, STEP_MS } from '../helpers/time-budget.js';

/**
 * The real Prisma CLI as a test oracle, offline. Prisma's normal path needs a native schema
 * engine downloaded at first run; instead prisma 6.19 runs its bundled WASM schema engine through
 * @prisma/adapter-pg (prisma-oracle/prisma.config.ts). Caveat: that path splits scripts on `;`
 * and runs statements one by one, so it is an oracle for history rows and status, not for how a
 * script runs. Never needed by users, only by these tests.
 */
const ORACLE_DIR = path.join(REPO_ROOT, 'test/compat/prisma-oracle');
const PRISMA_CLI = path.join(REPO_ROOT, 'node_modules/prisma/build/index.js');
const PRELOAD = path.join(ORACLE_DIR, 'unref-timers.cjs');

export const prismaOracleAvailable = fs.existsSync(PRISMA_CLI) && fs.existsSync(path.join(REPO_ROOT, 'node_modules/@prisma/adapter-pg'));

export interface OracleResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment that runs the oracle offline: the WASM schema engine through the pg adapter
 * (prisma-oracle/prisma.config.ts, passed with --config or found as the project's own config).
 */
export function prismaOracleEnvironment(databaseUrl: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    // The CLI checks that a query-engine library exists before it looks at the config; any file does.
    PRISMA_QUERY_ENGINE_LIBRARY: PRELOAD,
    // `migrate resolve --rolled-back` looks for the native binary without running it.
    PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    NODE_OPTIONS: `--require ${PRELOAD}`,
    NO_COLOR: '1',
  };
}

/** The oracle's Prisma config file (the WASM engine through @prisma/adapter-pg). */
export const PRISMA_ORACLE_CONFIG = path.join(ORACLE_DIR, 'prisma.config.ts');

/**
 * Run `prisma <args> --schema <schema>` against `databaseUrl`. Killed after `timeoutMs` (default:
 * the budget of one Prisma CLI run; a call that first waits for a lock passes more): an oracle call
 * must never hang a test run (a timeout is reported as an exception, not as an exit code).
 */
export async function prismaOracle(args: string[], options: { schema: string; databaseUrl: string; timeoutMs?: number }): Promise<OracleResult> {
  const env = prismaOracleEnvironment(options.databaseUrl);
  const timeoutMs = options.timeoutMs ?? budget(STEP_MS.prisma);
  const argv = [PRISMA_CLI, ...args, '--schema', options.schema, '--config', PRISMA_ORACLE_CONFIG];
  const result = await runProcess(process.execPath, argv, { cwd: path.dirname(options.schema), env, timeoutMs });
  if (result.timedOut) throw new Error(`prisma ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}
