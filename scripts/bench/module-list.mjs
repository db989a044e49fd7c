// Which packages a command loads: run it once with module-trace.mjs preloaded and group the
// traced files by owner (npm package, polymigrate core, a polymigrate adapter). A file of the
// bundled CLI counts as the modules bundled into it (from its source map).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledOwner, isBundled, sourcesOf } from './bundled-sources.mjs';
import { ownerOf } from './cpu-profile.mjs';
import { tempDir } from './fixtures.mjs';
import { runOnce } from './measure.mjs';

const TRACE = fileURLToPath(new URL('./module-trace.mjs', import.meta.url));

/**
 * Run `node --import module-trace.mjs <args>`; returns { owners: Map(owner → module count), files
 * (the files loaded), modules (how many modules they hold), bundled (how many of the files are
 * bundles), code }.
 */
export async function tracedModules(args, { cwd, env }) {
  const out = path.join(tempDir('trace'), 'modules.txt');
  const result = await runOnce(process.execPath, ['--import', TRACE, ...args], { cwd, env: { ...env, BENCH_MODULE_TRACE: out } });
  const files = new Set();
  for (const line of fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n') : []) {
    if (!line || line.startsWith('node:')) continue;
    const file = line.startsWith('file:') ? fileURLToPath(line) : line;
    if (file === TRACE || file.includes('/scripts/bench/')) continue;
    files.add(fs.existsSync(file) ? fs.realpathSync(file) : file);
  }
  const owners = new Map();
  let modules = 0;
  let bundled = 0;
  for (const file of files) {
    if (isBundled(file)) bundled += 1;
    for (const source of sourcesOf(file)) {
      modules += 1;
      const owner = isBundled(file) ? (bundledOwner(file, source) ?? ownerOf(source)) : ownerOf(file);
      if (owner) owners.set(owner, (owners.get(owner) ?? 0) + 1);
    }
  }
  return { owners: new Map([...owners].sort((a, b) => b[1] - a[1])), files: [...files], modules, bundled, code: result.code };
}

/** npm packages among the owners (not polymigrate's own files, not the user's config). */
export function packagesOf(owners) {
  return [...owners.keys()].filter((o) => !o.startsWith('polymigrate') && !o.startsWith('other:') && !o.startsWith('node '));
}
