import fs from 'node:fs';
import path from 'node:path';
import { prismaSyntaxFor, type PrismaSyntax } from './prisma-commands.js';
import { findPrismaConfig, prismaProjectDir, readPrismaConfig, readPrismaConfigLiterals, type PrismaConfigFile } from './prisma-config-file.js';
import { findInstalledPrisma, type InstalledPrisma } from './prisma-installed.js';

/**
 * The Prisma project around a migrations folder, as far as the commands polymigrate prints or runs
 * need it. Only `create` and the rollback hints look: `status`, `up` and `down` read the
 * migrations folder and never pay for this.
 */
export interface PrismaProject {
  /** The folder Prisma's CLI runs in: the config file's project folder, else the package root. */
  dir: string;
  /** The Prisma config file in use, if any (explicit, or found beside/above the migrations). */
  config?: PrismaConfigFile;
  /** The schema: a .prisma file or a folder of them (Prisma 6.7+ / 7). */
  schema: string;
  schemaIsFolder: boolean;
  /** The `prisma` package the project has installed, if any. */
  installed?: InstalledPrisma;
  /** Which major's command syntax to print. */
  syntax: PrismaSyntax;
}

export interface PrismaProjectOptions {
  /** The migrations folder, absolute. */
  migrations: string;
  /** `prismaConfig`, absolute, when the polymigrate config names one. */
  prismaConfig?: string;
}

/**
 * The project, from the config file's literals only (synchronous: for the rollback hint). A hint
 * must not turn `down`'s report into a crash: an unreadable config file is left out here (`create`
 * reports it).
 */
export function prismaProjectSync(options: PrismaProjectOptions): PrismaProject {
  const file = options.prismaConfig ?? findPrismaConfig(options.migrations);
  let config: PrismaConfigFile | undefined;
  try {
    config = file ? readPrismaConfigLiterals(file) : undefined;
  } catch {
    config = undefined;
  }
  return projectOf(options.migrations, config);
}

/** The project; a config file the user named is loaded when its paths are computed (for `create`). */
export async function prismaProject(options: PrismaProjectOptions): Promise<PrismaProject> {
  const file = options.prismaConfig ?? findPrismaConfig(options.migrations);
  return projectOf(options.migrations, file ? await readPrismaConfig(file, { execute: options.prismaConfig !== undefined }) : undefined);
}

function projectOf(migrations: string, config: PrismaConfigFile | undefined): PrismaProject {
  const dir = config ? prismaProjectDir(config.file) : packageRoot(migrations);
  const schema = config?.schema ?? defaultSchema(dir, config !== undefined) ?? schemaBeside(migrations);
  const installed = findInstalledPrisma([dir, migrations]);
  return {
    dir,
    ...(config ? { config } : {}),
    schema,
    schemaIsFolder: isFolder(schema),
    ...(installed ? { installed } : {}),
    syntax: prismaSyntaxFor(installed?.major),
  };
}

/**
 * Prisma's own default when its config names no schema: `./schema.prisma`, then
 * `./prisma/schema.prisma` in the folder it runs in (@prisma/internals `getDefaultSchema`). Only
 * asked when there is a config file: without one, the schema beside the migrations is the truer guess.
 */
function defaultSchema(dir: string, hasConfig: boolean): string | undefined {
  if (!hasConfig) return undefined;
  return [path.join(dir, 'schema.prisma'), path.join(dir, 'prisma', 'schema.prisma')].find((f) => fs.existsSync(f));
}

/**
 * The schema Prisma keeps with these migrations (its migrations folder defaults to
 * `<schema folder>/migrations`): `schema.prisma` beside the migrations folder, a `schema/` folder
 * of .prisma files there, or that folder itself when it holds the .prisma files. When none exists
 * yet, `schema.prisma` beside the migrations folder, Prisma's conventional place.
 */
function schemaBeside(migrations: string): string {
  const parent = path.dirname(migrations);
  const file = path.join(parent, 'schema.prisma');
  if (fs.existsSync(file)) return file;
  const folder = path.join(parent, 'schema');
  if (isFolder(folder) && holdsPrismaFiles(folder)) return folder;
  if (holdsPrismaFiles(parent)) return parent;
  return file;
}

/** The first folder at or above the migrations' parent with a package.json (where `npx prisma` runs). */
function packageRoot(migrations: string): string {
  const start = path.dirname(migrations);
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    // No package.json: the folder above `prisma/`, Prisma's conventional layout.
    if (path.dirname(dir) === dir) return path.basename(start) === 'prisma' ? path.dirname(start) : start;
  }
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function holdsPrismaFiles(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((name) => name.endsWith('.prisma'));
  } catch {
    return false;
  }
}
