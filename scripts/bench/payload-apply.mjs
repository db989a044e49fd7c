// Benchmark 4: applying the Payload example (2 migrations) with polymigrate vs `payload migrate`.
import { payloadCli, polymigrate } from './engine-clis.mjs';
import { payloadProject } from './fixtures.mjs';
import { formatStat, runInterleaved, runOnce } from './measure.mjs';
import { probeRun } from './probe.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { distDir } from './fixtures.mjs';

export async function payloadApply({ server, reps, log }) {
  const title = "4. Payload apply — the example's 2 Payload migrations into an empty database";
  const header = ['command', 'wall time: median (min–max, runs)', 'vs payload migrate'];
  const dir = payloadProject();
  const db0 = await server.createDatabase('payload');
  const check = polymigrate(dir, db0.url, 'up');
  const probe = fs.existsSync(path.join(distDir(), 'adapters/payload/payload-adapter.js')) ? await runOnce(check.command, check.args, check.options) : { code: -1, stderr: 'not built' };
  await server.dropDatabase(db0.name);
  if (probe.code !== 0) {
    log('  skipped: payload adapter not available');
    return {
      title,
      header,
      rows: [['skipped: payload adapter not available', '', '']],
      targets: [{ target: 'within 1.1× of payload migrate', value: 'skipped', met: null }],
      notes: [`polymigrate up exited ${probe.code}: ${probe.stderr.trim().split('\n').slice(-2).join(' / ')}`],
    };
  }
  const slow = Math.max(3, Math.ceil(reps / 2));
  const fresh = async () => server.createDatabase('payload');
  const drop = async (db) => server.dropDatabase(db.name);
  log(`  polymigrate up ×${slow}, payload migrate ×${slow}`);
  const { ours, theirs } = await runInterleaved(
    [
      { key: 'ours', label: 'polymigrate up (payload)', make: (db) => polymigrate(dir, db.url, 'up'), before: fresh, after: drop },
      { key: 'theirs', label: 'payload migrate', make: (db) => payloadCli(dir, db.url, 'migrate'), before: fresh, after: drop },
    ],
    slow,
  );
  const db = await fresh();
  const probed = await probeRun(polymigrate(dir, db.url, 'up'));
  await drop(db);
  const r = ours.median / theirs.median;
  return {
    title,
    header,
    rows: [
      ['`polymigrate up` (payload engine only, JSON config)', formatStat(ours), `${r.toFixed(2)}×`],
      ['`payload migrate`', formatStat(theirs), '1.00×'],
    ],
    targets: [{ target: 'within 1.1× of payload migrate', value: `${r.toFixed(2)}×`, met: r <= 1.1 }],
    notes: [`polymigrate's own process sent ${probed.queries.length} queries (Payload's runtime runs in a child process and is not counted).`],
  };
}
