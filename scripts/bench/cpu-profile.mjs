// Where a process spends its CPU: run it under `node --cpu-prof`, then add up self time per owner
// (an npm package, polymigrate's core or one of its adapters, Node's internals, GC, idle).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledOwner, isBundled, originalFile } from './bundled-sources.mjs';
import { tempDir } from './fixtures.mjs';
import { runOnce } from './measure.mjs';

/**
 * Who owns a script URL: "@scope/pkg", "pkg", "polymigrate core", "polymigrate adapters/x",
 * "node:internal". In the bundled CLI the position (0-based line and column) says which module.
 */
export function ownerOf(url, line, column) {
  if (!url) return null;
  let file = url.startsWith('file:') ? fileURLToPath(url) : url;
  if (isBundled(file)) {
    const original = originalFile(file, line, column);
    const owner = bundledOwner(file, original);
    if (owner) return owner;
    file = original;
  }
  const inModules = file.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const parts = file.slice(inModules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const adapter = /\/dist\/adapters\/([^/]+)\//.exec(file);
  if (adapter) return `polymigrate adapters/${adapter[1]}`;
  if (/\/dist\/src\//.test(file)) return 'polymigrate core';
  if (file.startsWith('node:') || !file.includes('/')) return 'node (internals)';
  return `other: ${path.basename(file)}`;
}

/** Self time (ms) per owner, largest first, from a .cpuprofile. */
export function selfTimeByOwner(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map();
  const add = (key, ms) => totals.set(key, (totals.get(key) ?? 0) + ms);
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    if (!url && /^\((garbage collector|program|idle|root)\)$/.test(functionName)) add(functionName, ms);
    else add(ownerOf(url, lineNumber, columnNumber) ?? 'node (internals)', ms);
  });
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

/**
 * Inclusive time per owner: a sample counts for every owner on its stack (once each). Shows e.g.
 * that jiti's transpiling happens *under* config loading.
 */
export function inclusiveTimeByOwner(profile) {
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map();
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const owners = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const { url, lineNumber, columnNumber } = byId.get(cur).callFrame;
      const owner = ownerOf(url, lineNumber, columnNumber);
      if (owner) owners.add(owner);
    }
    for (const owner of owners) totals.set(owner, (totals.get(owner) ?? 0) + ms);
  });
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

/** Run `node <args>` once under --cpu-prof; returns { self, inclusive, totalMs, file }. */
export async function profileNode(args, options) {
  const dir = tempDir('cpuprof');
  const result = await runOnce(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200', ...args], options);
  const file = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))[0];
  if (!file) throw new Error(`no CPU profile written (exit ${result.code}): ${result.stderr.slice(-1000)}`);
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  return { self: selfTimeByOwner(profile), inclusive: inclusiveTimeByOwner(profile), totalMs, file, code: result.code };
}
