import fs from 'node:fs';
import path from 'node:path';

/** The `prisma` package a project has installed, as Node would resolve it from the project. */
export interface InstalledPrisma {
  version: string;
  major: number;
  /** The package folder (node_modules/prisma), resolved through symlinks (pnpm). */
  packageDir: string;
  /** The CLI's entry file (package.json `bin.prisma`), run with this Node. */
  cli?: string;
}

/**
 * The first node_modules/prisma/package.json in `from` or a folder above it, for each start in
 * turn: the copy `npx prisma` run there would use. Undefined when none is installed (polymigrate
 * itself never needs Prisma) or its package.json names no usable version.
 */
export function findInstalledPrisma(from: string[]): InstalledPrisma | undefined {
  for (const start of from) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const found = readPrismaPackage(path.join(dir, 'node_modules'));
      if (found) return found;
      if (path.dirname(dir) === dir) break;
    }
  }
  return undefined;
}

function readPrismaPackage(nodeModules: string): InstalledPrisma | undefined {
  const manifest = path.join(nodeModules, 'prisma', 'package.json');
  let pkg: { version?: unknown; bin?: unknown };
  try {
    pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as typeof pkg;
  } catch {
    return undefined;
  }
  const version = typeof pkg.version === 'string' ? pkg.version : undefined;
  const major = Number(/^(\d+)\./.exec(version ?? '')?.[1]);
  if (!version || !Number.isInteger(major)) return undefined;
  const packageDir = fs.realpathSync(path.dirname(manifest));
  // Run the entry file with Node rather than node_modules/.bin's shim: no shell, same on Windows.
  const entry = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin as { prisma?: unknown } | undefined)?.prisma;
  const cli = typeof entry === 'string' ? path.resolve(packageDir, entry) : undefined;
  return { version, major, packageDir, ...(cli && fs.existsSync(cli) ? { cli } : {}) };
}
