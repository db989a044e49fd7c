// The CLI ships as an esbuild bundle (dist/cli/*.js, see scripts/build-cli.mjs): one file holds
// many modules, commander's included. Its source maps say which: profiles and module lists use
// them to keep naming owners (commander, polymigrate core, an adapter) rather than chunk files.
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';

const BUNDLED_FILE = /\/dist\/cli\/[^/]+\.js$/;
const maps = new Map();

/** The parsed source map beside a bundled file, or null (not bundled, or no map). */
function sourceMapOf(file) {
  if (!BUNDLED_FILE.test(file)) return null;
  if (!maps.has(file)) {
    let map = null;
    try {
      map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')));
    } catch {
      // no map: attributed to the file itself
    }
    maps.set(file, map);
  }
  return maps.get(file);
}

const absolute = (bundled, source) => path.resolve(path.dirname(bundled), source.replace(/^file:\/\//, ''));

/**
 * The original file behind a position (0-based line and column, as in CPU profiles) of a bundled
 * file; the file itself when it is not bundled or the position maps to nothing (esbuild's glue).
 */
export function originalFile(file, line, column) {
  const map = sourceMapOf(file);
  if (!map || line === undefined || line < 0) return file;
  const entry = map.findEntry(line, column ?? 0);
  return entry?.originalSource ? absolute(file, entry.originalSource) : file;
}

/** The original files a bundled file holds (its map's sources); `[file]` for any other file. */
export function sourcesOf(file) {
  const map = sourceMapOf(file);
  return map ? map.payload.sources.map((source) => absolute(file, source)) : [file];
}

/** Whether a file is part of the bundled CLI. */
export const isBundled = (file) => BUNDLED_FILE.test(file);

/**
 * Who owns an original file of a bundle: polymigrate's core (src/…, and esbuild's own glue, which
 * maps to no source) or one of its adapters; null for a bundled npm package (named by its path).
 */
export function bundledOwner(bundle, original) {
  const relative = path.relative(path.resolve(path.dirname(bundle), '../..'), original);
  const adapter = /^adapters\/([^/]+)\//.exec(relative);
  if (adapter) return `polymigrate adapters/${adapter[1]}`;
  if (relative.startsWith('src/') || original === bundle) return 'polymigrate core';
  return null;
}
