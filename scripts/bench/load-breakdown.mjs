// Where `status`'s time goes before and after the first query: load-stage.mjs run `reps` times per
// config, median of each stage's marginal cost.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distDir } from './fixtures.mjs';
import { fmtMs, runOnce, summarize } from './measure.mjs';

const STAGE = fileURLToPath(new URL('./load-stage.mjs', import.meta.url));

export async function loadBreakdown({ reps, log, example }) {
  const { dir, db } = example;
  const configs = [['polymigrate.config.ts', path.join(dir, 'polymigrate.config.ts')], ['polymigrate.config.json', path.join(dir, 'polymigrate.config.json')]];
  const columns = [];
  let stages;
  for (const [label, file] of configs) {
    log(`  stages with ${label} ×${reps}`);
    const samples = [];
    for (let i = 0; i < reps; i += 1) {
      const result = await runOnce(process.execPath, [STAGE, file], { cwd: dir, env: { ...process.env, DATABASE_URL: db.url, PAYLOAD_SECRET: 'bench', BENCH_DIST: distDir() } });
      if (result.code !== 0) throw new Error(`load-stage.mjs exit ${result.code}: ${result.stderr.slice(-1500)}`);
      samples.push(JSON.parse(result.stdout.trim().split('\n').at(-1)));
    }
    stages = Object.keys(samples[0]);
    columns.push(stages.map((stage, i) => summarize(samples.map((s) => (i === 0 ? s[stage] : s[stage] - s[stages[i - 1]]))).median));
  }
  const rows = stages.map((stage, i) => [stage === 'start' ? 'node bootstrap (to first line of the script)' : `+ ${stage}`, ...columns.map((c) => fmtMs(c[i]))]);
  rows.push(['total (in-process)', ...columns.map((c) => fmtMs(c.reduce((a, b) => a + b, 0)))]);
  return {
    title: '`status` stage by stage (in one process, marginal cost of each step in the order the CLI takes them; medians)',
    header: ['stage', ...configs.map(([label]) => label)], rows, targets: [], notes: [],
  };
}
