// Benchmark 1: `polymigrate status` on the whole example project (all applied) vs the engines'
// own checks run one after another, and vs the floor (node + pg + one query).
import fs from 'node:fs';
import path from 'node:path';
import { drizzleKitMigrate, floorQuery, payloadCli, polymigrate, prismaCli } from './engine-clis.mjs';
import { exampleProject } from './fixtures.mjs';
import { formatStat, fmtMs, runInterleaved, runOnce } from './measure.mjs';
import { probeRun } from './probe.mjs';

/** Apply the example with polymigrate; with Payload when its adapter works, else without. */
async function appliedExample(server, log) {
  for (const withPayload of [true, false]) {
    const dir = exampleProject({ withPayload });
    const db = await server.createDatabase('example');
    const { command, args, options } = polymigrate(dir, db.url, 'up');
    const result = await runOnce(command, args, options);
    if (result.code === 0) return { dir, db, withPayload };
    log(`  polymigrate up on the example${withPayload ? ' with Payload' : ''} failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    if (!withPayload) throw new Error('cannot apply the example project');
  }
}

export async function combinedStatus({ server, reps, log }) {
  const { dir, db, withPayload } = await appliedExample(server, log);
  // The same engines as JSON: shows what the TypeScript config costs.
  const ts = fs.readFileSync(path.join(dir, 'polymigrate.config.ts'), 'utf8');
  const engines = Function(`return ${/engines: (\[[\s\S]*\]),\n\}\);/.exec(ts)[1]}`)();
  fs.writeFileSync(path.join(dir, 'polymigrate.config.json'), JSON.stringify({ engines }, null, 2));

  const slow = Math.max(3, Math.ceil(reps / 2));
  log(`  interleaved: polymigrate status (ts, json) and the floor ×${reps}; prisma, ${withPayload ? 'payload, ' : ''}drizzle-kit ×${slow}`);
  const stats = await runInterleaved(
    [
      { key: 'polymigrate', label: 'polymigrate status', make: () => polymigrate(dir, db.url, 'status') },
      { key: 'polymigrateJson', label: 'polymigrate status (json config)', make: () => polymigrate(dir, db.url, 'status', '--config', 'polymigrate.config.json') },
      { key: 'floor', label: 'floor', make: () => floorQuery(db.url) },
      { key: 'prisma', label: 'prisma migrate status', times: slow, make: () => prismaCli(dir, db.url, 'migrate', 'status') },
      ...(withPayload ? [{ key: 'payload', label: 'payload migrate:status', times: slow, make: () => payloadCli(dir, db.url, 'migrate:status') }] : []),
      { key: 'drizzle', label: 'drizzle-kit migrate', times: slow, make: () => drizzleKitMigrate(dir, db.url) },
    ],
    reps,
  );

  const engineSum = ['prisma', 'payload', 'drizzle'].reduce((sum, key) => sum + (stats[key]?.median ?? 0), 0);
  const probe = await probeRun(polymigrate(dir, db.url, 'status'));
  const speedup = engineSum / stats.polymigrate.median;
  const overFloor = stats.polymigrate.median / stats.floor.median;
  const rows = [
    ['`polymigrate status` (polymigrate.config.ts)', formatStat(stats.polymigrate), '1.00×'],
    ['`polymigrate status` (same config as .json)', formatStat(stats.polymigrateJson), `${(stats.polymigrateJson.median / stats.polymigrate.median).toFixed(2)}×`],
    ['floor: `node` + `pg`, connect, `SELECT 1`', formatStat(stats.floor), `${(stats.floor.median / stats.polymigrate.median).toFixed(2)}×`],
    ['`prisma migrate status` (oracle, WASM engine)', formatStat(stats.prisma), `${(stats.prisma.median / stats.polymigrate.median).toFixed(2)}×`],
    ...(withPayload ? [['`payload migrate:status`', formatStat(stats.payload), `${(stats.payload.median / stats.polymigrate.median).toFixed(2)}×`]] : []),
    ['`drizzle-kit migrate` (no-op)', formatStat(stats.drizzle), `${(stats.drizzle.median / stats.polymigrate.median).toFixed(2)}×`],
    [`engines' own checks, one after another (sum of medians)`, fmtMs(engineSum), `${speedup.toFixed(2)}×`],
  ];
  return {
    title: `1. Combined status — example project (${withPayload ? 'Prisma + Payload + Drizzle + SQL' : 'Prisma + Drizzle + SQL; Payload skipped'}, all applied)`,
    header: ['command', 'wall time: median (min–max, runs)', 'vs polymigrate'],
    rows,
    targets: [
      { target: "≥ 10× faster than the engines' own checks", value: `${speedup.toFixed(1)}×`, met: speedup >= 10 },
      { target: 'within 1.5× of the floor', value: `${overFloor.toFixed(2)}×`, met: overFloor <= 1.5 },
    ],
    notes: [
      `polymigrate sent ${probe.queries.length} queries (one per engine) and connected for the first time ${fmtMs(probe.firstConnectMs ?? NaN)} after process start (process exit at ${fmtMs(probe.exitMs ?? NaN)}; probe run).`,
      ...(withPayload ? [] : ['Payload skipped: payload adapter not available.']),
    ],
    context: { dir, db, withPayload },
  };
}
