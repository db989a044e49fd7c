import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { loadJiti } from './load-jiti.js';
import { validateConfig } from './validate-config.js';
import type { ResolvedConfig } from './config-types.js';

export const CONFIG_NAMES = ['polymigrate.config.ts', 'polymigrate.config.mts', 'polymigrate.config.mjs', 'polymigrate.config.js', 'polymigrate.config.json'] as const;

/** The config file: `--config` (relative to cwd), else the first CONFIG_NAMES found from cwd upwards. */
export function findConfigFile(cwd: string, explicit?: string): string {
  if (explicit) {
    const file = path.resolve(cwd, explicit);
    if (!fs.existsSync(file)) {
      throw new ConfigError(`Config file not found: ${file}`, 'Check the --config path, or run `polymigrate init` to write one.');
    }
    if (fs.statSync(file).isDirectory()) {
      throw new ConfigError(`--config points at a directory: ${file}`, 'Pass the config file itself, e.g. --config polymigrate.config.ts.');
    }
    return file;
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) return file;
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new ConfigError(
    `No polymigrate config found in ${cwd} or any directory above it (looked for ${CONFIG_NAMES.join(', ')}).`,
    'Run `polymigrate init` to write one, or pass --config FILE.',
  );
}

function jsonError(file: string, text: string, error: Error): ConfigError {
  const match = /position (\d+)/.exec(error.message);
  let where = '';
  if (match) {
    const before = text.slice(0, Number(match[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    where = ` at line ${line}, column ${column}`;
  }
  return new ConfigError(`Cannot parse ${file}${where}: ${error.message}`, 'Fix the JSON syntax (no comments or trailing commas in .json; use polymigrate.config.ts for those).');
}

async function importConfigModule(file: string): Promise<unknown> {
  const ext = path.extname(file);
  try {
    const nodeStripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);
    if ((ext === '.ts' || ext === '.mts' || ext === '.cts') && !nodeStripsTypes) {
      // jiti transpiles TypeScript on the fly (with a disk cache); loaded only for TS configs, and
      // only where Node cannot strip types itself (Node 22.6+ can, and is faster at it).
      const jiti = loadJiti()(import.meta.url, { interopDefault: true, moduleCache: false });
      return await jiti.import(file, { default: true });
    }
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    return mod.default ?? mod;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`Cannot load config ${file}: ${message}`, 'Fix the error above in the config file (or a module it imports).');
  }
}

export async function loadConfigFile(file: string): Promise<ResolvedConfig> {
  let raw: unknown;
  if (path.extname(file) === '.json') {
    const text = fs.readFileSync(file, 'utf8');
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw jsonError(file, text, error as Error);
    }
  } else {
    raw = await importConfigModule(file);
  }
  return validateConfig(await raw, file);
}

export async function loadConfig(options: { cwd?: string; configFile?: string } = {}): Promise<ResolvedConfig> {
  return loadConfigFile(findConfigFile(options.cwd ?? process.cwd(), options.configFile));
}
