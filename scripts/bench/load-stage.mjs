// One process, the stages `polymigrate status` goes through, each timed (ms since process start):
// run by load-breakdown.mjs with the config file as argv[2]; prints one JSON line.
// Imports the built modules directly, in the order the CLI loads them.
import { performance } from 'node:perf_hooks';

import { pathToFileURL } from 'node:url';

const dist = process.env.BENCH_DIST ? pathToFileURL(`${process.env.BENCH_DIST}/src/`) : new URL('../../dist/src/', import.meta.url);
const marks = { start: performance.now() };
const mark = (name) => { marks[name] = performance.now(); };

await import('commander');
mark('commander');
// The config validation library, whichever this build uses.
let validator = 'none';
for (const name of ['valibot', 'zod']) {
  try {
    await import(name);
    validator = name;
    break;
  } catch { /* not this one */ }
}
mark(`validation library (${validator})`);
await import('pg');
mark('pg');
const { loadConfigFile } = await import(new URL('config/load-config.js', dist).href);
mark('config modules');
const config = await loadConfigFile(process.argv[2]);
mark('load config file');
const [{ Session }, { status }, { engineKinds }] = await Promise.all([
  import(new URL('session.js', dist).href), import(new URL('operations/status.js', dist).href), import(new URL('adapter/registry.js', dist).href),
]);
mark('session + status modules');
await Promise.all(config.engines.map((e) => engineKinds[e.kind]?.load()));
mark('adapter modules');
const session = new Session({ config, databaseUrl: process.env.DATABASE_URL });
try {
  await status(session);
  mark('status (connect, discover, history)');
} finally {
  await session.close();
}
process.stdout.write(`${JSON.stringify(marks)}\n`);
process.exit(0);
