// Benchmark 3: `status` with 100, 1,000 and 10,000 applied migrations per engine (SQL and Prisma;
// history rows inserted directly), wall time, peak RSS and queries per run.
import path from 'node:path';
import { polymigrate } from './engine-clis.mjs';
import { generateMigrations, insertHistory, tempDir, writeJsonConfig } from './fixtures.mjs';
import { formatStat, fmtMs, runOnce, runRepeated } from './measure.mjs';
import { probeRun } from './probe.mjs';

export async function statusScale({ server, reps, log, sizes = [100, 1000, 10_000] }) {
  const rows = [];
  const measured = [];
  let context;
  for (const count of sizes) {
    const dir = tempDir(`scale-${count}`);
    const files = generateMigrations(dir, count);
    const db = await server.createDatabase(`scale${count}`);
    await insertHistory(db.url, files);
    const result = { count };
    for (const engines of [['sql'], ['prisma'], ['sql', 'prisma']]) {
      const key = engines.join('+');
      const config = path.basename(writeJsonConfig(dir, engines));
      log(`  ${count} migrations per engine, ${key}: status ×${reps}`);
      const stat = await runRepeated(`status ${key} ${count}`, reps, () => polymigrate(dir, db.url, 'status', '--config', config));
      const { command, args, options } = polymigrate(dir, db.url, 'status', '--config', config);
      const rss = await runOnce(command, args, { ...options, rss: true });
      const probe = await probeRun(polymigrate(dir, db.url, 'status', '--config', config));
      result[key] = { stat, rssMb: rss.rssKb / 1024, queries: probe.queries.length };
    }
    measured.push(result);
    context = { dir, db, config: path.basename(writeJsonConfig(dir, ['sql', 'prisma'])), count };
    const both = result['sql+prisma'];
    rows.push([
      count.toLocaleString('en'),
      formatStat(result.sql.stat),
      formatStat(result.prisma.stat),
      formatStat(both.stat),
      `${result.sql.rssMb.toFixed(0)} / ${result.prisma.rssMb.toFixed(0)} / ${both.rssMb.toFixed(0)} MB`,
      `${result.sql.queries} / ${result.prisma.queries} / ${both.queries}`,
    ]);
  }
  const largest = measured.at(-1);
  const both = largest['sql+prisma'];
  const growth = [];
  for (let i = 1; i < measured.length; i += 1) {
    const a = measured[i - 1]['sql+prisma'].stat.median;
    const b = measured[i]['sql+prisma'].stat.median;
    growth.push(
      `${measured[i - 1].count.toLocaleString('en')}→${measured[i].count.toLocaleString('en')}: +${fmtMs(b - a)} (×${(b / a).toFixed(2)} for ×${measured[i].count / measured[i - 1].count} migrations; ${(((b - a) / (2 * (measured[i].count - measured[i - 1].count))) * 1000).toFixed(1)} µs per added migration)`,
    );
  }
  const base = measured[0]['sql+prisma'].stat.median;
  const perMigration10k = (both.stat.median - base) / (2 * (largest.count - measured[0].count));
  const perMigration1k = measured.length > 2 ? (measured[1]['sql+prisma'].stat.median - base) / (2 * (measured[1].count - measured[0].count)) : perMigration10k;
  return {
    title: '3. Scale — `status` with N applied migrations per engine (history rows inserted by SQL)',
    header: ['N per engine', 'sql engine', 'prisma engine', 'both (2N migrations)', 'peak RSS sql / prisma / both', 'queries sql / prisma / both'],
    rows,
    targets: [
      { target: `status < 1 s at ${largest.count.toLocaleString('en')} per engine (both engines)`, value: fmtMs(both.stat.median), met: both.stat.median < 1000 },
      { target: `peak RSS < 150 MB at ${largest.count.toLocaleString('en')} per engine (both engines)`, value: `${both.rssMb.toFixed(0)} MB`, met: both.rssMb < 150 },
      // Linear: the marginal cost per migration must not grow with N (10% + 2 µs of slack for noise).
      {
        target: 'linear or better (cost per added migration does not grow with N)',
        value: `${(perMigration1k * 1000).toFixed(1)} µs → ${(perMigration10k * 1000).toFixed(1)} µs`,
        met: perMigration10k <= perMigration1k * 1.1 + 0.002,
      },
      { target: 'one history query per engine', value: `${both.queries} queries for 2 engines`, met: both.queries <= 2 },
    ],
    notes: [`Growth (both engines): ${growth.join('; ')}.`],
    context,
  };
}
