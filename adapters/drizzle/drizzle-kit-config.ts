import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { loadJiti } from '../../src/config/load-jiti.js';

/** What polymigrate needs from a project's drizzle.config.*: the rest is drizzle-kit's business. */
export interface DrizzleKitConfig {
  file: string;
  /** `out`, as written (drizzle-kit resolves it against its cwd, not against the config file). */
  out?: string;
  /** `migrations.table` / `migrations.schema`: where drizzle keeps its history. */
  table?: string;
  schema?: string;
}

export const DRIZZLE_CONFIG_NAMES = [
  'drizzle.config.ts',
  'drizzle.config.mts',
  'drizzle.config.cts',
  'drizzle.config.js',
  'drizzle.config.mjs',
  'drizzle.config.cjs',
  'drizzle.config.json',
] as const;

/** The literal `out` and `migrations` values of a drizzle.config.* file, without loading it (init, status). */
export function readDrizzleConfigLiterals(file: string): Omit<DrizzleKitConfig, 'file'> {
  return readStatically(fs.readFileSync(file, 'utf8'));
}

/**
 * The drizzle.config.* of a migrations folder: beside it or in a folder above it, stopping at the
 * package root (the first folder with a package.json), because drizzle-kit is run from there.
 */
export function findDrizzleConfig(migrationsDir: string): string | undefined {
  for (let dir = path.dirname(migrationsDir); ; dir = path.dirname(dir)) {
    for (const name of DRIZZLE_CONFIG_NAMES) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) return file;
    }
    if (fs.existsSync(path.join(dir, 'package.json')) || path.dirname(dir) === dir) return undefined;
  }
}

function pickStrings(value: unknown): Omit<DrizzleKitConfig, 'file'> {
  const config = (value ?? {}) as { out?: unknown; migrations?: { table?: unknown; schema?: unknown } };
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const out = str(config.out);
  const table = str(config.migrations?.table);
  const schema = str(config.migrations?.schema);
  return { ...(out ? { out } : {}), ...(table ? { table } : {}), ...(schema ? { schema } : {}) };
}

/** A literal reading of the file, for configs that cannot be loaded here (a dependency missing…). */
function readStatically(text: string): Omit<DrizzleKitConfig, 'file'> {
  const literal = (key: string, within: string) => new RegExp(`\\b${key}\\s*:\\s*['"\`]([^'"\`]+)['"\`]`).exec(within)?.[1];
  const migrations = /\bmigrations\s*:\s*\{([^}]*)\}/.exec(text)?.[1] ?? '';
  return pickStrings({ out: literal('out', text), migrations: { table: literal('table', migrations), schema: literal('schema', migrations) } });
}

/**
 * Read a drizzle.config.*. TypeScript/JavaScript configs are loaded with jiti (as polymigrate's
 * own config is), so computed values come out right; if loading fails, the literal values in the
 * file are used instead: reading the history table's name must not depend on every import of
 * the config resolving here. `execute: false` reads only the literals (for a config polymigrate
 * found on its own rather than one the user pointed at: we do not run code nobody asked us to).
 */
export async function readDrizzleKitConfig(file: string, options: { execute: boolean } = { execute: true }): Promise<DrizzleKitConfig> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`drizzle config ${file} does not exist.`, 'Fix "drizzleConfig" in the polymigrate config (relative to the config file), or remove it.');
  }
  if (file.endsWith('.json')) {
    try {
      return { file, ...pickStrings(JSON.parse(text)) };
    } catch (error) {
      throw new ConfigError(`Cannot parse ${file}: ${(error as Error).message}`);
    }
  }
  const literal = readStatically(text);
  if (!options.execute) return { file, ...literal };
  // Running the config imports drizzle-kit (hundreds of milliseconds on every status), so only do
  // it when a key we need is there but not as a literal (a computed `out` or `migrations` block).
  const computed = (/\bout\s*:/.test(text) && !literal.out) || (/\bmigrations\s*:/.test(text) && !literal.table && !literal.schema);
  if (!computed) return { file, ...literal };
  try {
    const jiti = loadJiti()(file, { interopDefault: true, moduleCache: false });
    const loaded = await jiti.import(file, { default: true });
    return { file, ...pickStrings(await loaded) };
  } catch {
    return { file, ...literal };
  }
}

/**
 * The folder to run drizzle-kit from. drizzle-kit resolves `out` and `schema` against its cwd, so
 * the right cwd is the folder (the config's own, or one above it) where `out` lands on our
 * migrations folder; package scripts usually run it from the package root.
 */
export function drizzleKitCwd(config: DrizzleKitConfig, migrationsDir: string): string {
  const configDir = path.dirname(config.file);
  if (config.out) {
    for (let dir = configDir; ; dir = path.dirname(dir)) {
      if (path.resolve(dir, config.out) === path.resolve(migrationsDir)) return dir;
      if (path.dirname(dir) === dir) break;
    }
  }
  return configDir;
}
