// CPU profiles of the commands that matter, summarised by owner: the evidence behind the diagnosis.
import { profileNode } from './cpu-profile.mjs';
import { polymigrate } from './engine-clis.mjs';
import { fmtMs } from './measure.mjs';

export async function profiles({ log, example, scale }) {
  const runs = [
    ['`status`, example, polymigrate.config.ts', polymigrate(example.dir, example.db.url, 'status')],
    ['`status`, example, same config as .json', polymigrate(example.dir, example.db.url, 'status', '--config', 'polymigrate.config.json')],
    ['`--help`', polymigrate(example.dir, example.db.url, '--help')],
  ];
  if (scale) runs.push([`\`status\`, ${scale.count.toLocaleString('en')} per engine (sql + prisma)`, polymigrate(scale.dir, scale.db.url, 'status', '--config', scale.config)]);
  const rows = [];
  const details = [];
  for (const [label, { args, options }] of runs) {
    log(`  cpu profile: ${label}`);
    const profile = await profileNode(args, options);
    const top = profile.self.filter(([owner]) => owner !== '(idle)').slice(0, 6);
    const idle = profile.self.find(([owner]) => owner === '(idle)')?.[1] ?? 0;
    rows.push([label, fmtMs(profile.totalMs), fmtMs(idle), top.map(([owner, ms]) => `${owner} ${ms.toFixed(0)}`).join(', ')]);
    details.push({ label, ...profile });
  }
  return {
    title: 'Profiles (one run each under `node --cpu-prof`; self time in ms per owner)',
    header: ['run', 'profiled time', 'idle (waiting on I/O)', 'largest self time (ms)'],
    rows,
    targets: [],
    notes: [
      'In the start-up-bound runs "node (internals)" is mostly module compilation and loading (compileSourceTextModule, cjs-module-lexer, wrapSafe) and, on Node 20, the undici bootstrap pg triggers when it probes for Cloudflare (`new Response()` in pg/lib/stream.js). At 10,000 migrations it is mostly reading the files (one readFileSync per SQL file and per Prisma migration.sql, one existsSync per Prisma folder for its down.sql).',
    ],
    details,
  };
}
