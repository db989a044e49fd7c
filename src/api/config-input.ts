import path from 'node:path';
import type { PolymigrateConfig, ResolvedConfig } from '../config/config-types.js';
import { loadConfig } from '../config/load-config.js';
import { validateConfig } from '../config/validate-config.js';

/** A config object (paths relative to `cwd`), a config file path, or nothing (search from `cwd`). */
export type ConfigInput = PolymigrateConfig | string | undefined;

export async function resolveConfigInput(config: ConfigInput, cwd = process.cwd()): Promise<ResolvedConfig> {
  if (config === undefined) return loadConfig({ cwd });
  if (typeof config === 'string') return loadConfig({ cwd, configFile: config });
  return validateConfig(config, path.join(cwd, '<inline config>'));
}
