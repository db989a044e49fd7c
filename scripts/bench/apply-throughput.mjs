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
  const engines = ['sql', 'prisma'].map((engine) => ({
    engine,
    config: path.basename(writeJsonConfig(dir, [engine])),
    script: psqlScript(dir, files[engine]),
  }));
  const rows = [];
  const targets = [];
  const notes = [];
  // Both engines' pairs in one interleaved round: a change of machine speed (this machine's vary
  // by a third from minute to minute) hits both pairs alike, not one engine's pair more.
  const measure = async (on) => {
    const fresh = async () => on.createDatabase('apply');
    const drop = async (db) => on.dropDatabase(db.name);
    return runInterleaved(
      engines.flatMap(({ engine, config, script }) => [
        { key: `${engine}:ours`, label: `polymigrate up (${engine})`, make: (db) => polymigrate(dir, db.url, 'up', '--config', config), before: fresh, after: drop },
        { key: `${engine}:psql`, label: `psql (${engine} files)`, make: (db) => psqlRun(db.url, script), before: fresh, after: drop },
      ]),
      reps,
    );
  };
  log(`  polymigrate up and psql, sql and prisma engine ×${reps} each (${count} migrations per run)`);
  const fast = await measure(server);
  if (durableServer) log(`  the same on the durable server ×${reps}`);
  const durable = durableServer ? await measure(durableServer) : undefined;
  for (const { engine, config } of engines) {
    const ours = fast[`${engine}:ours`];
    const psql = fast[`${engine}:psql`];
    const r = ours.median / psql.median;
    rows.push(
      [`\`polymigrate up\`, ${engine} engine, ${count} migrations`, formatStat(ours), `${(ours.median / count).toFixed(2)} ms`, `${r.toFixed(2)}×`],
      [`\`psql -f\`, same ${count} files, BEGIN/COMMIT each`, formatStat(psql), `${(psql.median / count).toFixed(2)} ms`, '1.00×'],
    );
    targets.push({ target: `${engine} engine within 1.3× of psql`, value: `${r.toFixed(2)}×`, met: r <= 1.3 });
    if (durable) {
      const dOurs = durable[`${engine}:ours`];
      const dPsql = durable[`${engine}:psql`];
      rows.push(
        [`\`polymigrate up\`, ${engine} engine — durable server (context)`, formatStat(dOurs), `${(dOurs.median / count).toFixed(2)} ms`, `${(dOurs.median / dPsql.median).toFixed(2)}×`],
        [`\`psql -f\`, same files — durable server (context)`, formatStat(dPsql), `${(dPsql.median / count).toFixed(2)} ms`, '1.00×'],
      );
    }
    const db = await server.createDatabase('apply');
    const probe = await probeRun(polymigrate(dir, db.url, 'up', '--config', config));
    await server.dropDatabase(db.name);
    notes.push(
      `${engine} engine: ${probe.queries.length} queries for ${count} migrations (${(probe.queries.length / count).toFixed(1)} per migration; psql sends 3: BEGIN, the file, COMMIT); first connect at ${fmtMs(probe.firstConnectMs ?? NaN)}.`,
    );
  }
  if (durableServer)
    notes.push(
      'Durable server: a second embedded PostgreSQL with the default settings (fsync on, synchronous_commit on), where every commit waits for the disk — what a production database does. Shown for context; the target is judged on the fsync-off server above.',
    );
  return {
    title: `2. Apply throughput — ${count} generated migrations (CREATE TABLE + INSERT each), fresh database per run`,
    header: ['command', 'wall time: median (min–max, runs)', 'per migration', 'vs psql'],
    rows,
    targets,
    notes,
    context: { dir },
  };
}
