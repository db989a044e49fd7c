// Preload (`node --import <this file>`): records every module the process loads, whichever way it
// is loaded, into the file named by $BENCH_MODULE_TRACE (one path or URL a line):
// - ESM imports, through a resolve hook registered with module.register (runs on the hooks thread);
// - CommonJS requires (pg, commander, …), from require.cache at exit;
// - files that jiti transpiles itself (a TS config and what it imports), by watching readFileSync.
// The hooks slow loading down: use this only to list modules, never in timed runs.
import fs from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.BENCH_MODULE_TRACE;
if (out) {
  register('./module-trace-hooks.mjs', import.meta.url, { data: { out } });
  const seen = new Set();
  const readFileSync = fs.readFileSync;
  fs.readFileSync = function tracedReadFileSync(file, ...rest) {
    if (typeof file === 'string' && /\.(c|m)?(j|t)s$/.test(file)) seen.add(file);
    return readFileSync.call(this, file, ...rest);
  };
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    for (const key of Object.keys(require.cache)) seen.add(key);
    fs.appendFileSync(out, `${[...seen].join('\n')}\n`);
  });
}
