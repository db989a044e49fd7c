// One process of the shadow benchmark (shadow-replay.mjs): open the shadow of a project, and
// replay it (or only open it), as `verify` will. Prints one JSON line of the library's own timings
// on stdout; the parent times the whole process. Never prints a URL (they hold the password).
//
//   node scripts/bench/shadow-replay-run.mjs <config file> open|cold|warm
//
// open: start the embedded server and stop it (the first time in a folder runs initdb);
// cold: replay everything with cache: false; warm: replay with the cache (the default).
import { performance } from 'node:perf_hooks';
import { loadConfigFile } from '../../dist/src/config/load-config.js';
import { openShadow } from '../../dist/src/shadow/shadow.js';

const [configFile, mode] = process.argv.slice(2);
if (!configFile || !['open', 'cold', 'warm'].includes(mode)) {
  process.stderr.write('usage: shadow-replay-run.mjs <config file> open|cold|warm\n');
  process.exit(2);
}
const started = performance.now();
const config = await loadConfigFile(configFile);
const shadow = await openShadow({ config, cache: mode === 'warm' });
const opened = performance.now();
const out = { openMs: opened - started, startup: shadow.startup, serverVersion: shadow.serverVersion };
try {
  if (mode !== 'open') {
    const replay = await shadow.replay();
    out.replayMs = performance.now() - opened;
    out.cache = replay.cache;
    out.steps = replay.steps.length;
    await replay.drop();
  }
} finally {
  const closing = performance.now();
  await shadow.close();
  out.closeMs = performance.now() - closing;
}
out.libraryMs = performance.now() - started;
process.stdout.write(`${JSON.stringify(out)}\n`);
