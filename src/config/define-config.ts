import type { PolymigrateConfig } from './config-types.js';
import type { SqlEngineConfig } from '../../adapters/sql/config.js';

/** Typed identity helper for `polymigrate.config.ts`. */
export function defineConfig(config: PolymigrateConfig): PolymigrateConfig {
  return config;
}

/** A plain SQL folder (`<version>_<name>.sql`, Supabase style). */
export function sql(options: Omit<SqlEngineConfig, 'kind'>): SqlEngineConfig {
  return { kind: 'sql', ...options };
}
