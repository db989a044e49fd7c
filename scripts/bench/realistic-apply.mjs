// Benchmark 6: applying a realistic history (~800 Prisma-shaped migrations, realistic-history.mjs)
// into an empty database: `polymigrate up` with the Prisma engine and with the SQL engine (the
// same SQL as <version>_<name>.sql files) against psql running the same files in ONE session,
// each inside BEGIN/COMMIT, except the CREATE INDEX CONCURRENTLY ones, which run bare. A fresh
// database per run; runs interleaved. Before timing, one run of each is checked: the schema each
// engine built must be psql's (pg_dump --schema-only, history tables left out), and so must the
// number of rows in every table; the section fails loudly otherwise.
//
// `withBegin: false` (main.mjs --without-begin, or BENCH_WITHOUT_BEGIN=1) leaves out the ~1% of
// files that hold their own BEGIN; SET TRANSACTION …; COMMIT;.
//
// `node scripts/bench/realistic-apply.mjs --check [--count 800] [--seeds 1,2,3]` checks the
// generator instead: every file applies in order with psql file by file (autocommit), with psql
// inside BEGIN/COMMIT per file, and as one simple-protocol query per file (as Prisma sends it), and
// the three schemas are the same.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { polymigrate } from './engine-clis.mjs';
import { tempDir } from './fixtures.mjs';
import { formatStat, fmtMs, runInterleaved, runOnce } from './measure.mjs';
import { probeRun } from './probe.mjs';
import { generateRealisticHistory } from './realistic-history.mjs';
import { withClient } from './postgres-server.mjs';

const PSQL = '/usr/bin/psql';
const PG_DUMP = '/usr/bin/pg_dump';
const TARGET = 1.1;

/** psql's script: per file in order `BEGIN;` `\i file` `COMMIT;`, CONCURRENTLY files `\i file` bare. */
export function writePsqlScript(file, files, concurrently, { wrap = true } = {}) {
  const lines = [];
  for (const migration of files) {
    if (!wrap || concurrently.has(migration)) lines.push(`\\i '${migration}'`);
    else lines.push('BEGIN;', `\\i '${migration}'`, 'COMMIT;');
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export function psqlCommand(databaseUrl, script) {
  return { command: PSQL, args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', databaseUrl, '-f', script], options: { env: process.env } };
}

/**
 * The schema as pg_dump prints it, without the engines' history (_prisma_migrations, the
 * polymigrate schema) and without the lines that differ from dump to dump (\restrict keys).
 */
/** The baseline the shadow benchmarks compare with: psql runs `script` in a new database (dropped after); its time. */
export async function timePsqlOnFreshDatabase(server, name, script) {
  const db = await server.createDatabase(name);
  const { command, args, options } = psqlCommand(db.url, script);
  const run = await runOnce(command, args, options);
  await server.dropDatabase(db.name);
  if (run.code !== 0) throw new Error(`psql: exit ${run.code}\n${run.stderr.slice(-2000)}`);
  return run.ms;
}

export function schemaDump(databaseUrl) {
  const result = spawnSync(PG_DUMP, ['--schema-only', '--no-owner', '--no-privileges', '--exclude-schema=polymigrate', '--exclude-table=public._prisma_migrations', '-d', databaseUrl], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`pg_dump failed: ${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l) && !/^-- Dumped (from|by) /.test(l))
    .join('\n');
}

/** Rows per table in "public" (the history table left out): the backfills ran alike. */
export async function rowCounts(databaseUrl) {
  return withClient(databaseUrl, async (c) => {
    const { rows } = await c.query(`SELECT c.relname AS name,
        (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', c.relname), false, true, '')))[1]::text AS n
      FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
      WHERE ns.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '_prisma_migrations' ORDER BY c.relname`);
    return rows.map((r) => `${r.name} ${r.n}`).join('\n');
  });
}

/** The first lines where two texts differ (for the failure message). */
function firstDifference(a, b, label) {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) {
      return `${label} differs from line ${i + 1}:\n  psql:        ${JSON.stringify(x.slice(i, i + 3).join(' ⏎ '))}\n  polymigrate: ${JSON.stringify(y.slice(i, i + 3).join(' ⏎ '))}`;
    }
  }
  return undefined;
}

function writeConfig(dir, name, engine) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ engines: [engine] }, null, 2));
  return name;
}

const lastLines = (text, n = 12) => text.trim().split('\n').slice(-n).join('\n');

export async function realisticApply({ server, reps, log, count = 800, seed = 1, withBegin = true }) {
  const dir = tempDir('realistic');
  const prisma = generateRealisticHistory(path.join(dir, 'prisma'), { count, seed, format: 'prisma', withBegin });
  generateRealisticHistory(path.join(dir, 'sql'), { count, seed, format: 'sql', withBegin });
  const n = prisma.files.length;
  const script = writePsqlScript(path.join(dir, 'psql-script.sql'), prisma.files, prisma.concurrently);
  const engines = [
    { engine: 'prisma', config: writeConfig(dir, 'polymigrate.prisma.json', { kind: 'prisma', migrations: 'prisma/migrations' }) },
    { engine: 'sql', config: writeConfig(dir, 'polymigrate.sql.json', { kind: 'sql', name: 'app', migrations: 'sql' }) },
  ];
  const { stats } = prisma;
  log(
    `  generated ${n} migrations (seed ${seed}${withBegin ? '' : ', without the transaction-control files'}): ${(stats.totalBytes / 1024).toFixed(0)} kB, ${stats.statements} statements, ${prisma.concurrently.size} CONCURRENTLY, ${prisma.transactionControl.size} BEGIN/SET TRANSACTION`,
  );

  // Correctness, once: psql's schema and rows against each engine's.
  log('  checking: psql, then each engine, into fresh databases; schemas and row counts compared');
  const reference = await server.createDatabase('realistic');
  const reference_ = psqlCommand(reference.url, script);
  const psqlRun = await runOnce(reference_.command, reference_.args, reference_.options);
  if (psqlRun.code !== 0) throw new Error(`psql failed on the generated history (a generator bug):\n${lastLines(psqlRun.stderr)}`);
  const expected = { schema: schemaDump(reference.url), rows: await rowCounts(reference.url) };
  await server.dropDatabase(reference.name);
  const failures = [];
  for (const e of engines) {
    const db = await server.createDatabase('realistic');
    const { command, args, options } = polymigrate(dir, db.url, 'up', '--config', e.config);
    const run = await runOnce(command, args, options);
    if (run.code !== 0) {
      const applied = await withClient(db.url, (c) =>
        c
          .query(
            e.engine === 'prisma'
              ? `SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`
              : `SELECT count(*)::int AS n FROM polymigrate.sql_migrations WHERE finished_at IS NOT NULL`,
          )
          .then((r) => r.rows[0].n)
          .catch(() => '?'),
      );
      // The line that names the failing migration and PostgreSQL's error, without the file's path.
      const output = `${run.stdout}\n${run.stderr}`;
      const reason = (output.split('\n').find((l) => / failed: /.test(l)) ?? lastLines(output, 3)).trim().replace(/ \(at [^)]*\)/, '');
      e.failed = `exit ${run.code}, ${applied} of ${n} migrations applied; ${reason}`;
      log(`  ${e.engine} engine FAILED (${e.failed})`);
      failures.push(`${e.engine} engine: ${e.failed}`);
    } else {
      const diff = firstDifference(expected.schema, schemaDump(db.url), 'schema (pg_dump --schema-only)') ?? firstDifference(expected.rows, await rowCounts(db.url), 'rows per table');
      if (diff) {
        e.failed = `applied, but ${diff}`;
        log(`  ${e.engine} engine: ${diff}`);
        failures.push(`${e.engine} engine: ${diff}`);
      } else {
        log(`  ${e.engine} engine: same schema and rows as psql`);
      }
    }
    await server.dropDatabase(db.name);
  }

  const running = engines.filter((e) => !e.failed);
  log(`  polymigrate up (${running.map((e) => e.engine).join(', ') || 'no engine'}) and psql ×${reps} each, interleaved (${n} migrations per run)`);
  const fresh = async () => server.createDatabase('realistic');
  const drop = async (db) => server.dropDatabase(db.name);
  const stat = await runInterleaved(
    [
      ...running.map((e) => ({ key: e.engine, label: `polymigrate up (${e.engine})`, make: (db) => polymigrate(dir, db.url, 'up', '--config', e.config), before: fresh, after: drop })),
      { key: 'psql', label: 'psql (one session)', make: (db) => psqlCommand(db.url, script), before: fresh, after: drop },
    ],
    reps,
  );

  const psql = stat.psql;
  const per = (s) => `${(s.median / n).toFixed(2)} ms`;
  const rows = [];
  const targets = [];
  const notes = [];
  for (const e of engines) {
    const label = `\`polymigrate up\`, ${e.engine} engine, ${n} migrations`;
    if (e.failed) {
      rows.push([label, `failed: ${e.failed}`, '—', '—']);
      targets.push({ target: `${e.engine} engine within ${TARGET}× of psql (realistic history)`, value: 'failed', met: false });
      continue;
    }
    const r = stat[e.engine].median / psql.median;
    rows.push([label, formatStat(stat[e.engine]), per(stat[e.engine]), `${r.toFixed(2)}×`]);
    targets.push({ target: `${e.engine} engine within ${TARGET}× of psql (realistic history)`, value: `${r.toFixed(2)}×`, met: r <= TARGET });
  }
  rows.push([`\`psql\`, one session: BEGIN; \\i file; COMMIT; per file (CONCURRENTLY bare)`, formatStat(psql), per(psql), '1.00×']);

  for (const e of running) {
    const db = await server.createDatabase('realistic');
    const probe = await probeRun(polymigrate(dir, db.url, 'up', '--config', e.config));
    await server.dropDatabase(db.name);
    notes.push(`${e.engine} engine: ${probe.queries.length} queries for ${n} migrations; first connect at ${fmtMs(probe.firstConnectMs ?? NaN)}.`);
  }
  const shapes = Object.entries(stats.shapes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  notes.push(
    `History (seed ${seed}): ${n} migrations, ${(stats.totalBytes / 1024).toFixed(0)} kB, ~${stats.statements} statements; file size median ${stats.bytes.median} B, p90 ${stats.bytes.p90} B, max ${(stats.bytes.max / 1024).toFixed(1)} kB (${stats.over4kB} over 4 kB); ends with ${stats.tables} tables, ${stats.enums} enums, ${stats.indexes} indexes besides primary keys. Migrations holding each shape (one migration can hold several): ${shapes}.`,
  );
  notes.push(
    withBegin
      ? `${prisma.transactionControl.size} files hold their own \`BEGIN; SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; … COMMIT;\` around a backfill; ${prisma.concurrently.size} are a single \`CREATE INDEX CONCURRENTLY\` (run outside a transaction by every contender).`
      : `Run with --without-begin: the ${count - n} files holding their own BEGIN/SET TRANSACTION/COMMIT are left out; the other files are byte for byte the same. ${prisma.concurrently.size} are a single \`CREATE INDEX CONCURRENTLY\`.`,
  );
  notes.push(
    failures.length
      ? `Correctness, checked once before timing: **failed** — ${failures.join('; ')}. A failed engine is not timed.`
      : "Correctness, checked once before timing: each engine's database has the same `pg_dump --schema-only` (history tables left out) and the same number of rows in every table as psql's.",
  );
  const result = {
    title: `6. Apply throughput — realistic history (~${count} Prisma-shaped migrations)${withBegin ? '' : ', without the transaction-control files'}`,
    header: ['command', 'wall time: median (min–max, runs)', 'per migration', 'vs psql'],
    rows,
    targets,
    notes,
    context: { dir },
  };
  if (failures.length) {
    // Loud: the numbers of the engines that worked are in the table; main.mjs exits non-zero.
    result.failed = failures;
    for (const f of failures) log(`  FAILED: ${f}`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// --check: the generated history applies three ways, to the same schema.

async function check() {
  const { startPostgres } = await import('./postgres-server.mjs');
  const { removeTempDirs } = await import('./fixtures.mjs');
  const argv = process.argv.slice(2);
  const arg = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const count = Number(arg('--count', 800));
  const seeds = arg('--seeds', '1').split(',').map(Number);
  const server = await startPostgres();
  let ok = true;
  try {
    for (const seed of seeds) {
      for (const withBegin of [true, false]) {
        const dir = tempDir('realistic-check');
        const { files, concurrently, stats } = generateRealisticHistory(dir, { count, seed, withBegin });
        const dumps = {};
        for (const mode of ['psql file by file', 'psql BEGIN/COMMIT per file', 'one query per file']) {
          const db = await server.createDatabase('check');
          const started = Date.now();
          if (mode === 'one query per file') {
            await withClient(db.url, async (c) => {
              for (const file of files) {
                try {
                  await c.query(fs.readFileSync(file, 'utf8'));
                } catch (error) {
                  throw new Error(`${file}: ${error.message}`, { cause: error });
                }
              }
            });
          } else {
            const script = writePsqlScript(path.join(dir, `${mode.replace(/\W+/g, '-')}.sql`), files, concurrently, { wrap: mode !== 'psql file by file' });
            const { command, args, options } = psqlCommand(db.url, script);
            const run = await runOnce(command, args, options);
            if (run.code !== 0) throw new Error(`seed ${seed}, ${mode}: psql exit ${run.code}\n${lastLines(run.stderr)}`);
          }
          dumps[mode] = `${schemaDump(db.url)}\n${await rowCounts(db.url)}`;
          process.stderr.write(
            `seed ${seed}${withBegin ? '' : ' (without BEGIN files)'}, ${mode}: ${files.length} files (${(stats.totalBytes / 1024).toFixed(0)} kB) applied in ${Date.now() - started} ms\n`,
          );
          await server.dropDatabase(db.name);
        }
        const [first, ...rest] = Object.entries(dumps);
        for (const [mode, dump] of rest) {
          const diff = firstDifference(first[1], dump, `${mode} vs ${first[0]}`);
          if (diff) {
            ok = false;
            process.stderr.write(`seed ${seed}: ${diff}\n`);
          }
        }
      }
    }
  } finally {
    await server.stop();
    removeTempDirs();
  }
  process.stderr.write(ok ? 'every mode built the same schema and rows\n' : 'MISMATCH\n');
  process.exit(ok ? 0 : 1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname) && process.argv.includes('--check')) {
  await check();
}
