// What the benchmarks run against: a copy of the repository's example project, and generated
// migration folders (SQL engine and Prisma engine) with, for the scale benchmark, history rows
// inserted directly by SQL (applying 10,000 migrations for real would dominate the run).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withClient } from './postgres-server.mjs';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** The polymigrate package the benchmarks run: the repository, or a snapshot of its build. */
let packageDir = ROOT;
/** The bin that package ships (package.json "bin"). */
export const cliPath = () => path.join(packageDir, JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).bin.polymigrate);
export const distDir = () => path.join(packageDir, 'dist');

/**
 * Copy the build (dist/ + package.json, node_modules linked) to a temp folder and benchmark that:
 * a rebuild in the repository while the benchmark runs (someone else working) cannot mix two builds.
 */
export function snapshotBuild() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'polymigrate-bench-build-'));
  created.push(dir);
  // BENCH_DIST_DIR: benchmark a saved copy of dist/ instead (runs of one build while others rebuild).
  fs.cpSync(process.env.BENCH_DIST_DIR ?? path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true, preserveTimestamps: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  packageDir = dir;
  return dir;
}

const created = [];

/** Which build a run measured: a short hash of the snapshot's dist/ and its newest file's time. */
export function buildFingerprint() {
  const hash = crypto.createHash('sha256');
  let newest = 0;
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!entry.name.endsWith('.map')) {
        hash.update(entry.name).update(fs.readFileSync(full));
        newest = Math.max(newest, fs.statSync(full).mtimeMs);
      }
    }
  };
  walk(distDir());
  return `dist ${hash.digest('hex').slice(0, 12)}, newest file ${new Date(newest).toISOString()}`;
}

export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `polymigrate-bench-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Remove every temp folder this run made (the build snapshot included). */
export function removeTempDirs() {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * node_modules for a temp project: a symlink per entry of the repository's node_modules, plus
 * `polymigrate` itself, so a config that imports `defineConfig` from 'polymigrate' resolves the
 * built package exactly as in a user's project.
 */
function linkNodeModules(projectDir) {
  const target = path.join(projectDir, 'node_modules');
  fs.mkdirSync(target);
  for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (entry === '.bin' || entry === '.package-lock.json') continue;
    fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(target, entry));
  }
  fs.symlinkSync(packageDir, path.join(target, 'polymigrate'));
}

/** The example's config imports defineConfig from here: what `polymigrate init` writes. */
export const CONFIG_IMPORT = 'polymigrate/config';
/** The same config importing the whole library instead ('polymigrate'), for start-up benchmark 5. */
export const LIBRARY_IMPORT_CONFIG = 'polymigrate.library-import.ts';

/**
 * The example project (prisma/, drizzle/, sql/reporting/ and, when `withPayload`, payload/)
 * with a polymigrate.config.ts written as `polymigrate init` writes it (defineConfig from
 * 'polymigrate/config'), and LIBRARY_IMPORT_CONFIG, the same importing 'polymigrate'.
 */
export function exampleProject({ withPayload }) {
  const dir = tempDir('example');
  for (const folder of ['prisma', 'drizzle', 'sql/reporting', ...(withPayload ? ['payload'] : [])]) {
    fs.cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });
  }
  linkNodeModules(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }, null, 2));
  const engines = [
    `{ kind: 'prisma', migrations: 'prisma/migrations' }`,
    ...(withPayload ? [`{ kind: 'payload', name: 'cms', config: 'payload/payload.config.ts', migrations: 'payload/migrations' }`] : []),
    `{ kind: 'drizzle', migrations: 'drizzle/migrations', drizzleConfig: 'drizzle/drizzle.config.ts' }`,
    `{ kind: 'sql', name: 'reporting', migrations: 'sql/reporting' }`,
  ];
  const config = (from) => `import { defineConfig } from '${from}';

export default defineConfig({
  engines: [
    ${engines.join(',\n    ')},
  ],
});
`;
  fs.writeFileSync(path.join(dir, 'polymigrate.config.ts'), config(CONFIG_IMPORT));
  fs.writeFileSync(path.join(dir, LIBRARY_IMPORT_CONFIG), config('polymigrate'));
  return dir;
}

/** Only Payload: for the Payload apply benchmark. */
export function payloadProject() {
  const dir = tempDir('payload');
  fs.cpSync(path.join(ROOT, 'payload'), path.join(dir, 'payload'), { recursive: true });
  linkNodeModules(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }, null, 2));
  fs.writeFileSync(
    path.join(dir, 'polymigrate.config.json'),
    JSON.stringify(
      {
        engines: [{ kind: 'payload', name: 'cms', config: 'payload/payload.config.ts', migrations: 'payload/migrations' }],
      },
      null,
      2,
    ),
  );
  return dir;
}

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
const pad = (n) => String(n).padStart(6, '0');

/** Version numbers that sort both numerically and as strings: 20270101000000 + i seconds-ish. */
const version = (i) => String(20270101000000 + i);

/** A small, real migration: one table and one row. */
const migrationSql = (prefix, i) => `CREATE TABLE ${prefix}_${pad(i)} (id integer PRIMARY KEY, label text NOT NULL);\nINSERT INTO ${prefix}_${pad(i)} (id, label) VALUES (1, 'row ${i}');\n`;

/**
 * `count` migrations for the SQL engine (`sql/<version>_m<i>.sql`) and the Prisma engine
 * (`prisma/migrations/<version>_m<i>/migration.sql`) in `dir`, plus a JSON config naming the
 * engines asked for. Returns the files (in apply order) and their checksums.
 */
export function generateMigrations(dir, count, { engines = ['sql', 'prisma'] } = {}) {
  const sql = [];
  const prisma = [];
  if (engines.includes('sql')) {
    fs.mkdirSync(path.join(dir, 'sql'), { recursive: true });
    for (let i = 1; i <= count; i += 1) {
      const id = `${version(i)}_m${pad(i)}`;
      const file = path.join(dir, 'sql', `${id}.sql`);
      const text = migrationSql('bench_sql', i);
      fs.writeFileSync(file, text);
      sql.push({ id, file, checksum: sha256(text) });
    }
  }
  if (engines.includes('prisma')) {
    fs.mkdirSync(path.join(dir, 'prisma/migrations'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'prisma/migrations/migration_lock.toml'), 'provider = "postgresql"\n');
    for (let i = 1; i <= count; i += 1) {
      const id = `${version(i)}_m${pad(i)}`;
      const folder = path.join(dir, 'prisma/migrations', id);
      fs.mkdirSync(folder);
      const text = migrationSql('bench_prisma', i);
      fs.writeFileSync(path.join(folder, 'migration.sql'), text);
      prisma.push({ id, file: path.join(folder, 'migration.sql'), checksum: sha256(text) });
    }
  }
  return { sql, prisma };
}

/** A JSON config (no TS transpiling) for the generated engines. */
export function writeJsonConfig(dir, engines) {
  const entries = engines.map((kind) => (kind === 'sql' ? { kind: 'sql', name: 'app', migrations: 'sql' } : { kind: 'prisma', migrations: 'prisma/migrations' }));
  const file = path.join(dir, `polymigrate.${engines.join('-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ engines: entries }, null, 2));
  return file;
}

/** psql's script for the same files: each one in its own transaction, one psql process. */
export function psqlScript(dir, files) {
  const file = path.join(dir, `psql-${path.basename(path.dirname(files[0].file))}.sql`);
  const lines = ['\\set ON_ERROR_STOP 1', '\\set QUIET 1'];
  for (const { file: migration } of files) lines.push('BEGIN;', `\\i '${migration}'`, 'COMMIT;');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * Record the generated migrations as applied, as each engine would (history rows only; the
 * tables are not created — status reads only history). Bulk inserts through unnest.
 */
export async function insertHistory(url, { sql, prisma }, { journalSchema = 'polymigrate', sqlEngine = 'app' } = {}) {
  await withClient(url, async (c) => {
    if (sql.length) {
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${journalSchema};
        CREATE TABLE IF NOT EXISTS ${journalSchema}.sql_migrations (
          engine text NOT NULL, id text NOT NULL, checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz, duration_ms integer,
          PRIMARY KEY (engine, id))`);
      await c.query(
        `INSERT INTO ${journalSchema}.sql_migrations (engine, id, checksum, finished_at, duration_ms)
        SELECT $1, id, checksum, now(), 1 FROM unnest($2::text[], $3::text[]) AS t(id, checksum)`,
        [sqlEngine, sql.map((m) => m.id), sql.map((m) => m.checksum)],
      );
    }
    if (prisma.length) {
      await c.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
          "id" VARCHAR(36) NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
          "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
          "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0,
          CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id"))`);
      await c.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
        SELECT gen_random_uuid()::text, checksum, now(), name, now(), 1 FROM unnest($1::text[], $2::text[]) AS t(name, checksum)`,
        [prisma.map((m) => m.id), prisma.map((m) => m.checksum)],
      );
    }
  });
}
