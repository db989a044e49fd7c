// Where `status`'s time goes, stage by stage, in the process a user runs: the shipped bin with
// stage-probe.cjs preloaded (it reads the CLI's own start-up marks), `reps` times per config;
// the median of each stage's marginal cost.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { polymigrate } from './engine-clis.mjs';
import { tempDir } from './fixtures.mjs';
import { fmtMs, runOnce, summarize } from './measure.mjs';

const PROBE = fileURLToPath(new URL('./stage-probe.cjs', import.meta.url));

/** [key, label]: marks set by src/cli (bin, cli, command, config), then the probe's connect and exit. */
const STAGES = [
  ['bin', 'node bootstrap (to the first line of the bin)'],
  ['cli', '+ CLI module and commander; arguments parsed'],
  ['command', '+ command modules (config loader, session, pg)'],
  ['config', '+ load and validate the config file'],
  ['connect', '+ engine adapters, migration files read: first connect'],
  ['exit', '+ status queries and report, to exit'],
];

async function stageTimes(dir, db, configFile) {
  const out = path.join(tempDir('stages'), 'stages.json');
  const { command, args, options } = polymigrate(dir, db.url, 'status', '--config', configFile);
  const result = await runOnce(command, ['--require', PROBE, ...args], { ...options, env: { ...options.env, BENCH_STAGE_PROBE: out } });
  if (result.code !== 0) throw new Error(`status exit ${result.code}: ${result.stderr.slice(-1500)}`);
  const probe = JSON.parse(fs.readFileSync(out, 'utf8'));
  const times = { ...probe.marks, connect: probe.connect, exit: probe.exit };
  const missing = STAGES.filter(([key]) => typeof times[key] !== 'number').map(([key]) => key);
  if (missing.length) throw new Error(`status passed no ${missing.join(', ')} mark (a build without start-up marks?)`);
  return STAGES.map(([key]) => times[key]);
}

export async function loadBreakdown({ reps, log, example }) {
  const { dir, db } = example;
  const configs = ['polymigrate.config.ts', 'polymigrate.config.json'];
  const columns = [];
  for (const file of configs) {
    log(`  stages with ${file} ×${reps}`);
    const samples = [];
    for (let i = 0; i < reps; i += 1) samples.push(await stageTimes(dir, db, file));
    columns.push(STAGES.map((_, i) => summarize(samples.map((s) => (i === 0 ? s[0] : s[i] - s[i - 1]))).median));
  }
  const rows = STAGES.map(([, label], i) => [label, ...columns.map((c) => fmtMs(c[i]))]);
  rows.push(['total (sum of the medians)', ...columns.map((c) => fmtMs(c.reduce((a, b) => a + b, 0)))]);
  return {
    title: '`status` stage by stage (the shipped bin, marginal cost of each stage in the order it takes them; medians)',
    header: ['stage', ...configs],
    rows,
    targets: [],
    notes: [],
  };
}
