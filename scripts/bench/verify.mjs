// verify and plan benchmark: the realistic history (realistic-history.mjs, SQL engine files)
// applied to a live database by `polymigrate up`, then, each run a whole CLI process:
//
// - cold `verify --no-cache`: plain replay (attribution only on drift) + introspection of both sides, interleaved with
//   psql running the same files into an empty database (one session, BEGIN/COMMIT per file); the
//   bar: within 1.3× of psql + the shadow server's start-up;
// - warm `verify` (nothing changed: the cache answers); the bar: the whole process under 1 s;
// - `plan` with 10 pending migrations and a warm cache; the bar: the whole process under 2 s;
//   the live database's queries during `plan` counted from pg_stat_statements-free means: the
//   document's own count of catalog reads (`live.queries`).
// Peak RSS of each CLI process is reported (the bar: verify under 200 MB).
//
//   npm run build && node scripts/bench/verify.mjs [--count 800] [--reps 3] [--seed 1]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, removeTempDirs, tempDir } from './fixtures.mjs';
import { fmtMs, formatStat, runOnce, summarize } from './measure.mjs';
import { timePsqlOnFreshDatabase, writePsqlScript } from './realistic-apply.mjs';
import { generateRealisticHistory } from './realistic-history.mjs';
import { startPostgres } from './postgres-server.mjs';

const argv = process.argv.slice(2);
const arg = (name, fallback) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const count = arg('--count', 800);
const reps = arg('--reps', 3);
const seed = arg('--seed', 1);
const log = (line) => process.stderr.write(`${line}\n`);

async function cli(dir, url, args) {
  const run = await runOnce(process.execPath, [cliPath(), ...args], { cwd: dir, env: { ...process.env, DATABASE_URL: url }, rss: true, timeoutMs: 900_000 });
  if (run.code !== 0 && !(args[0] === 'plan' && run.code === 4)) throw new Error(`polymigrate ${args.join(' ')}: exit ${run.code}\n${run.stderr.slice(-2000)}`);
  return run;
}

function pending(dir, n) {
  for (let i = 1; i <= n; i += 1) {
    const id = `99990101${String(i).padStart(6, '0')}_pending_${i}`;
    fs.writeFileSync(
      path.join(dir, 'sql', `${id}.sql`),
      `CREATE TABLE bench_pending_${i} (id bigint PRIMARY KEY, note text);\nCREATE INDEX bench_pending_${i}_note_idx ON bench_pending_${i} (note);\n`,
    );
  }
}

async function main() {
  const dir = tempDir('verify');
  fs.chmodSync(dir, 0o755); // the embedded shadow server runs as the postgres OS user when we are root
  const history = generateRealisticHistory(path.join(dir, 'sql'), { count, seed, format: 'sql' });
  const n = history.files.length;
  fs.writeFileSync(path.join(dir, 'polymigrate.config.json'), JSON.stringify({ engines: [{ kind: 'sql', name: 'app', migrations: 'sql' }] }, null, 2));
  const script = writePsqlScript(path.join(dir, 'psql-script.sql'), history.files, history.concurrently);
  log(`verify benchmark: ${n} migrations (seed ${seed}), ${reps} runs each; load ${os.loadavg()[0].toFixed(1)}`);
  const server = await startPostgres();
  try {
    const live = await server.createDatabase('verifylive');
    await cli(dir, live.url, ['up']);
    const first = JSON.parse((await cli(dir, live.url, ['verify', '--json', '--no-cache'])).stdout);
    log(`  first verify (may start the shadow server for the first time): matches ${first.matches}, startup ${fmtMs(first.shadow.startupMs)}`);
    const psql = [];
    const cold = [];
    const startups = [];
    for (let i = 0; i < reps; i += 1) {
      const psqlMs = await timePsqlOnFreshDatabase(server, 'verifypsql', script);
      psql.push(psqlMs);
      const result = await cli(dir, live.url, ['verify', '--json', '--no-cache']);
      const doc = JSON.parse(result.stdout);
      if (!doc.matches || doc.shadow.cache.replayed !== n) throw new Error(`cold verify: ${JSON.stringify(doc.shadow)}`);
      cold.push({ ms: result.ms, rss: result.rssKb });
      startups.push(doc.shadow.startupMs);
      log(`  round ${i + 1}: psql ${fmtMs(psqlMs)}, cold verify ${fmtMs(result.ms)} (replay ${fmtMs(doc.shadow.replayMs)})`);
    }
    await cli(dir, live.url, ['verify', '--json']); // fills the cache
    const warm = [];
    for (let i = 0; i < reps; i += 1) {
      const result = await cli(dir, live.url, ['verify', '--json']);
      const doc = JSON.parse(result.stdout);
      if (doc.shadow.cache.hit !== n) throw new Error(`warm verify: ${JSON.stringify(doc.shadow.cache)}`);
      warm.push({ ms: result.ms, rss: result.rssKb });
    }
    pending(dir, 10);
    const plans = [];
    let queries;
    for (let i = 0; i < reps; i += 1) {
      const result = await cli(dir, live.url, ['plan', '--json']);
      const doc = JSON.parse(result.stdout);
      if (doc.migrations.length !== 10) throw new Error(`plan: ${doc.migrations.length} migrations`);
      queries = doc.live?.queries;
      plans.push({ ms: result.ms, rss: result.rssKb });
    }
    const s = (xs) => summarize(xs);
    const psqlStat = s(psql);
    const coldStat = s(cold.map((r) => r.ms));
    const startup = s(startups).median;
    const ratio = coldStat.median / (psqlStat.median + startup);
    const maxRss = (rs) => `${Math.round(Math.max(...rs.map((r) => r.rss ?? 0)) / 1024)} MB`;
    const out = [
      `| verify / plan, realistic history (${n} migrations, sql engine), whole CLI process | wall time: median (min–max, runs) | peak RSS |`,
      '| --- | --- | --- |',
      [`psql into an empty database, ${n} files, one session`, formatStat(psqlStat), ''],
      [
        `cold \`verify --no-cache\` (plain replay, attribution only on drift; both schemas introspected)`,
        `${formatStat(coldStat)}: ${ratio.toFixed(2)}× psql + start-up (${fmtMs(startup)})`,
        maxRss(cold),
      ],
      ['warm `verify` (nothing changed: the cache answers)', formatStat(s(warm.map((r) => r.ms))), maxRss(warm)],
      ['`plan`, 10 pending migrations, warm cache', `${formatStat(s(plans.map((r) => r.ms)))}; live database: ${queries} catalog queries`, maxRss(plans)],
    ].map((row) => (Array.isArray(row) ? `| ${row.join(' | ')} |` : row));
    process.stdout.write(
      `${out.join('\n')}\n\nBars: cold ≤ 1.3× psql + start-up (${ratio.toFixed(2)}×), warm verify < 1 s, plan < 2 s, verify < 200 MB. 1-minute load at the end ${os.loadavg()[0].toFixed(1)}.\n`,
    );
  } finally {
    await server.stop();
    removeTempDirs();
  }
}

await main();
