#!/usr/bin/env node
// `npm run bench [-- --quick] [--no-readme] [--only 1,3] [--keep] [--without-begin]` (--keep: leave the temp projects;
// --without-begin, or BENCH_WITHOUT_BEGIN=1: benchmark 6 leaves out the files with their own BEGIN/SET TRANSACTION/COMMIT):
// polymigrate against the engines' own CLIs, psql and a bare node process, on a throwaway embedded PostgreSQL. Expects `npm run build`.
import fs from 'node:fs';
import os from 'node:os';
import { applyThroughput } from './apply-throughput.mjs';
import { combinedStatus } from './combined-status.mjs';
import { buildFingerprint, cliPath, removeTempDirs, snapshotBuild } from './fixtures.mjs';
import { payloadApply } from './payload-apply.mjs';
import { startPostgres } from './postgres-server.mjs';
import { loadBreakdown } from './load-breakdown.mjs';
import { profiles } from './profiles.mjs';
import { realisticApply } from './realistic-apply.mjs';
import { renderMarkdown, writeReadme } from './report.mjs';
import { startup } from './startup.mjs';
import { statusScale } from './status-scale.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.includes('--only') ? new Set(argv[argv.indexOf('--only') + 1].split(',')) : null;
if (only && (only.has('5') || only.has('p'))) only.add('1');
const reps = quick ? 3 : 7;
const log = (line) => process.stderr.write(`${line}\n`);

if (!fs.existsSync(cliPath())) {
  log(`${cliPath()} is missing: run \`npm run build\` first (\`npm run bench\` does).`);
  process.exit(2);
}
log(`Benchmarking a snapshot of the build: ${snapshotBuild()} (${buildFingerprint()})`);

const loadBefore = os.loadavg()[0];
const server = await startPostgres();
const sections = [];
let failed = false;
async function section(id, title, body) {
  if (only && !only.has(id)) return undefined;
  log(`\n${title}`);
  try {
    const result = await body();
    sections.push(result);
    // A section that measured what it could but found a failure (benchmark 6's correctness check).
    if (result?.failed) failed = true;
    return result;
  } catch (error) {
    failed = true;
    log(`  failed: ${error.stack ?? error}`);
    sections.push({ title, header: ['error'], rows: [[`failed: ${String(error.message ?? error).split('\n')[0]}`]], targets: [] });
    return undefined;
  }
}

try {
  const ctx = { server, reps, log };
  const example = await section('1', '1. Combined status', () => combinedStatus(ctx));
  await section('2', '2. Apply throughput', async () => {
    const durableServer = await startPostgres({ durable: true });
    try {
      // More runs than elsewhere: the ratio compares two noisy medians of similar size.
      return await applyThroughput({ ...ctx, reps: quick ? 3 : 9, durableServer, count: quick ? 200 : 500 });
    } finally {
      await durableServer.stop();
    }
  });
  const scale = await section('3', '3. Scale', () => statusScale({ ...ctx, reps: quick ? 3 : 5 }));
  await section('4', '4. Payload apply', () => payloadApply(ctx));
  await section('6', '6. Apply throughput — realistic history (~800 Prisma-shaped migrations)', () =>
    realisticApply({
      ...ctx,
      // As in benchmark 2: the ratio compares two noisy medians of similar size.
      reps: quick ? 3 : 9,
      withBegin: !argv.includes('--without-begin') && !['1', 'true'].includes(process.env.BENCH_WITHOUT_BEGIN ?? ''),
    }),
  );
  if (example) {
    await section('5', '5. Start-up', () => startup({ ...ctx, example: example.context }));
    await section('p', 'Load breakdown', () => loadBreakdown({ ...ctx, example: example.context }));
    await section('p', 'Profiles', () => profiles({ ...ctx, example: example.context, scale: scale?.context }));
  }
} finally {
  await server.stop();
  if (!argv.includes('--keep')) removeTempDirs();
}

const markdown = renderMarkdown(sections, { quick, load: [loadBefore, os.loadavg()[0]] });
process.stdout.write(`${markdown}\n`);
if (!argv.includes('--no-readme') && !only) {
  writeReadme(markdown);
  log('\nREADME.md updated between <!-- bench:start --> and <!-- bench:end -->.');
}
process.exit(failed ? 1 : 0);
