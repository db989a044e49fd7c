// How to run each engine's own CLI offline against the benchmark database (the "engines' own
// checks" that polymigrate is compared with). Each returns { command, args, options }.
import path from 'node:path';
import { cliPath, ROOT } from './fixtures.mjs';

const ORACLE_DIR = path.join(ROOT, 'test/compat/prisma-oracle');

/** Prisma 6.19 with its WASM schema engine through @prisma/adapter-pg (see test/compat/prisma-oracle.ts). */
export function prismaCli(projectDir, databaseUrl, ...args) {
  const preload = path.join(ORACLE_DIR, 'unref-timers.cjs');
  const schema = path.join(projectDir, 'prisma/schema.prisma');
  return {
    command: process.execPath,
    args: [path.join(ROOT, 'node_modules/prisma/build/index.js'), ...args, '--schema', schema, '--config', path.join(ORACLE_DIR, 'prisma.config.ts')],
    options: {
      cwd: path.dirname(schema),
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PRISMA_QUERY_ENGINE_LIBRARY: preload,
        PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
        CHECKPOINT_DISABLE: '1',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        NODE_OPTIONS: `--require ${preload}`,
        NO_COLOR: '1',
      },
    },
  };
}

/** `payload <args>` with the example's config (Payload resolves its packages from the project). */
export function payloadCli(projectDir, databaseUrl, ...args) {
  return {
    command: process.execPath,
    args: [path.join(ROOT, 'node_modules/payload/bin.js'), ...args],
    options: {
      cwd: projectDir,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PAYLOAD_SECRET: 'bench-payload-secret',
        NODE_ENV: 'production',
        PAYLOAD_CONFIG_PATH: path.join(projectDir, 'payload/payload.config.ts'),
        NO_COLOR: '1',
      },
    },
  };
}

/** `drizzle-kit migrate` run from the project root, where drizzle.config.ts's relative paths resolve. */
export function drizzleKitMigrate(projectDir, databaseUrl) {
  return {
    command: process.execPath,
    args: [path.join(ROOT, 'node_modules/drizzle-kit/bin.cjs'), 'migrate', '--config', 'drizzle/drizzle.config.ts'],
    options: { cwd: projectDir, env: { ...process.env, DATABASE_URL: databaseUrl, NO_COLOR: '1' } },
  };
}

/** polymigrate's built CLI. */
export function polymigrate(projectDir, databaseUrl, ...args) {
  return {
    command: process.execPath,
    args: [cliPath(), ...args],
    options: { cwd: projectDir, env: { ...process.env, DATABASE_URL: databaseUrl, PAYLOAD_SECRET: 'bench-payload-secret', NO_COLOR: '1' } },
  };
}

/** The floor: a bare node process that loads pg, connects and runs one query. */
export function floorQuery(databaseUrl) {
  return {
    command: process.execPath,
    args: [path.join(ROOT, 'scripts/bench/floor-query.mjs')],
    options: { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl } },
  };
}

/** `psql -f script`: the same migration files, each in its own transaction, one process. */
export function psqlScript(databaseUrl, script) {
  return { command: '/usr/bin/psql', args: ['-X', '-q', '-d', databaseUrl, '-f', script], options: { env: process.env } };
}
