import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { loadJiti } from '../../src/config/load-jiti.js';

/**
 * What polymigrate needs from a project's Prisma config file (`prisma.config.ts`, Prisma 6.x
 * optional, Prisma 7 where the datasource lives): where the schema and the migrations are. Paths
 * are absolute, resolved against the config file's folder, as Prisma resolves them
 * (@prisma/config `transformPathsInConfigToAbsolute`).
 */
export interface PrismaConfigFile {
  file: string;
  /** `schema`: a .prisma file or a folder of them. */
  schema?: string;
  /** `migrations.path`. */
  migrations?: string;
}

/**
 * The file names Prisma looks for, in its order (@prisma/config `loadConfigFromFile`, through
 * c12 with name "prisma"; its precedence tests: prisma.config.js, .ts, .mjs, .cjs, .mts, .cts,
 * then `.config/prisma.*`). c12 also tries `.config/prisma.config.*` last. A `.json` file Prisma
 * refuses ("Unsupported Prisma config file extension"), so it is not looked for here.
 */
const EXTENSIONS = ['js', 'ts', 'mjs', 'cjs', 'mts', 'cts'] as const;
export const PRISMA_CONFIG_NAMES: readonly string[] = [
  ...EXTENSIONS.map((ext) => `prisma.config.${ext}`),
  ...EXTENSIONS.map((ext) => path.join('.config', `prisma.${ext}`)),
  ...EXTENSIONS.map((ext) => path.join('.config', `prisma.config.${ext}`)),
];

/** The Prisma config file in one folder, as Prisma run from that folder would pick it. */
export function prismaConfigIn(dir: string): string | undefined {
  for (const name of PRISMA_CONFIG_NAMES) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/**
 * The Prisma config file of a migrations folder: beside it or in a folder above it, stopping at
 * the package root (the first folder with a package.json), where Prisma's CLI is run from.
 */
export function findPrismaConfig(migrationsDir: string): string | undefined {
  for (let dir = path.dirname(migrationsDir); ; dir = path.dirname(dir)) {
    const file = prismaConfigIn(dir);
    if (file) return file;
    if (fs.existsSync(path.join(dir, 'package.json')) || path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The folder Prisma runs in for this config file: where `npx prisma` finds it on its own. For
 * `.config/prisma.ts` that is the folder holding `.config`.
 */
export function prismaProjectDir(configFile: string): string {
  const dir = path.dirname(configFile);
  return path.basename(dir) === '.config' ? path.dirname(dir) : dir;
}

/** The literal values, as written (relative paths not yet resolved). */
interface Literals {
  schema?: string;
  migrations?: string;
}

/**
 * `key: 'text'` in `text`, when the value is a plain string literal. A template literal with a
 * `${…}` in it, `path.join(…)` or `env(…)` is computed: undefined.
 */
function literalOf(key: string, text: string): string | undefined {
  const match = new RegExp(`\\b${key}\\s*:\\s*(['"\`])([^'"\`\\n]+)\\1`).exec(text);
  const value = match?.[2];
  return value && !value.includes('${') ? value : undefined;
}

/**
 * The file without its comments (a commented-out `// schema: 'old.prisma'` line must not count).
 * A `//` counts as a comment only at a line's start or after white space: `postgres://…` in a
 * string stays.
 */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
}

/** The `schema` and `migrations: { path }` literals, read without running the file. */
function readLiterals(source: string): Literals {
  const text = withoutComments(source);
  // Only the migrations block's `path`: `views` and `typedSql` have a `path` of their own.
  const migrationsBlock = /\bmigrations\s*:\s*\{([^}]*)\}/.exec(text)?.[1] ?? '';
  const schema = literalOf('schema', text);
  const migrations = literalOf('path', migrationsBlock);
  return { ...(schema ? { schema } : {}), ...(migrations ? { migrations } : {}) };
}

function resolved(file: string, literals: Literals): PrismaConfigFile {
  const dir = path.dirname(file);
  return {
    file,
    ...(literals.schema ? { schema: path.resolve(dir, literals.schema) } : {}),
    ...(literals.migrations ? { migrations: path.resolve(dir, literals.migrations) } : {}),
  };
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`Prisma config ${file} does not exist or cannot be read.`, 'Fix "prismaConfig" in the polymigrate config (relative to the config file), or remove it.');
  }
}

/** The config's literal `schema` and `migrations.path`, without loading it (init, hints). */
export function readPrismaConfigLiterals(file: string): PrismaConfigFile {
  return resolved(file, readLiterals(readText(file)));
}

/**
 * Read a Prisma config file. The literals come first: loading the file imports `prisma/config`
 * and whatever the project's config imports (dotenv, a driver adapter), and Prisma 7's `env()`
 * throws when a variable is unset. Only when `schema` or `migrations` is there but computed, and
 * the user pointed at this file (`execute`), is it loaded with jiti (as polymigrate's own config
 * is); a file that fails to load leaves the literal reading.
 */
export async function readPrismaConfig(file: string, options: { execute: boolean }): Promise<PrismaConfigFile> {
  const text = withoutComments(readText(file));
  const literals = readLiterals(text);
  const computed = (/\bschema\s*:/.test(text) && !literals.schema) || (/\bmigrations\s*:/.test(text) && !literals.migrations);
  if (!options.execute || !computed) return resolved(file, literals);
  try {
    const jiti = loadJiti()(file, { interopDefault: true, moduleCache: false });
    const loaded = await jiti.import<{ schema?: unknown; migrations?: { path?: unknown } } | undefined>(file, { default: true });
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const schema = str(loaded?.schema) ?? literals.schema;
    const migrations = str(loaded?.migrations?.path) ?? literals.migrations;
    return resolved(file, { ...(schema ? { schema } : {}), ...(migrations ? { migrations } : {}) });
  } catch {
    return resolved(file, literals);
  }
}
