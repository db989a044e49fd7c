// Benchmark 2: applying 500 generated migrations (one table + one row each) through the SQL engine
// and through the Prisma engine, vs psql running the same files, each in its own transaction.
// The target is judged on the benchmark's fsync-off server (tool overhead exposed); the same pairs
// on a server with PostgreSQL's default durability are reported beside it, as production runs.
import path from 'node:path';
import { polymigrate, psqlScript as psqlRun } from './engine-clis.mjs';
import { generateMigrations, psqlScript, tempDir, writeJsonConfig } from './fixtures.mjs';
import { formatStat, fmtMs, runInterleaved } from './measure.mjs';
import { probeRun } from './probe.mjs';

export async function applyThroughput({ server, durableServer, reps, log, count = 500 }) {
  const dir = tempDir('apply');
  const files = generateMigrations(dir, count);
  const rows = [];
  const targets = [];
  const notes = [];
  const pair = async (on, engine, config, script) => {
    const fresh = async () => on.createDatabase('apply');
    const drop = async (db) => on.dropDatabase(db.name);
    return runInterleaved([
      { key: 'ours', label: `polymigrate up (${engine})`, make: (db) => polymigrate(dir, db.url, 'up', '--config', config), before: fresh, after: drop },
      { key: 'psql', label: `psql (${engine} files)`, make: (db) => psqlRun(db.url, script), before: fresh, after: drop },
    ], reps);
  };
  const fresh = async () => server.createDatabase('apply');
  const drop = async (db) => server.dropDatabase(db.name);
  for (const engine of ['sql', 'prisma']) {
    const config = path.basename(writeJsonConfig(dir, [engine]));
    const script = psqlScript(dir, files[engine]);
    log(`  ${engine}: polymigrate up ×${reps}, psql ×${reps} (${count} migrations each)`);
    const { ours, psql } = await pair(server, engine, config, script);
    const db = await fresh();
    const probe = await probeRun(polymigrate(dir, db.url, 'up', '--config', config));
    await drop(db);
    const r = ours.median / psql.median;
    rows.push(
      [`\`polymigrate up\`, ${engine} engine, ${count} migrations`, formatStat(ours), `${(ours.median / count).toFixed(2)} ms`, `${r.toFixed(2)}×`],
      [`\`psql -f\`, same ${count} files, BEGIN/COMMIT each`, formatStat(psql), `${(psql.median / count).toFixed(2)} ms`, '1.00×'],
    );
    targets.push({ target: `${engine} engine within 1.3× of psql`, value: `${r.toFixed(2)}×`, met: r <= 1.3 });
    if (durableServer) {
      log(`  ${engine}, durable server: polymigrate up ×${reps}, psql ×${reps}`);
      const durable = await pair(durableServer, engine, config, script);
      const rd = durable.ours.median / durable.psql.median;
      rows.push(
        [`\`polymigrate up\`, ${engine} engine — durable server (context)`, formatStat(durable.ours), `${(durable.ours.median / count).toFixed(2)} ms`, `${rd.toFixed(2)}×`],
        [`\`psql -f\`, same files — durable server (context)`, formatStat(durable.psql), `${(durable.psql.median / count).toFixed(2)} ms`, '1.00×'],
      );
    }
    notes.push(`${engine} engine: ${probe.queries.length} queries for ${count} migrations (${(probe.queries.length / count).toFixed(1)} per migration; psql sends 3: BEGIN, the file, COMMIT); first connect at ${fmtMs(probe.firstConnectMs ?? NaN)}.`);
  }
  if (durableServer) notes.push('Durable server: a second embedded PostgreSQL with the default settings (fsync on, synchronous_commit on), where every commit waits for the disk — what a production database does. Shown for context; the target is judged on the fsync-off server above.');
  return {
    title: `2. Apply throughput — ${count} generated migrations (CREATE TABLE + INSERT each), fresh database per run`,
    header: ['command', 'wall time: median (min–max, runs)', 'per migration', 'vs psql'],
    rows, targets, notes, context: { dir },
  };
}
