import { engineDescriptor } from '../adapter/registry.js';
import type { ResolvedConfig } from '../config/config-types.js';
import { registerUrlSecrets } from '../db/mask-url.js';
import { registerEnvironmentSecrets, SECRET_ENVIRONMENT } from './secret-registry.js';

/**
 * Everything secret a config leads to, registered as soon as the config is known: PGPASSWORD (pg
 * sends it when a URL has no password), each engine's secret variables (Payload's secretEnv), and
 * the password of every URL in the config, also of engines this command will not touch.
 */
export function registerConfigSecrets(config: ResolvedConfig): void {
  const names = [...SECRET_ENVIRONMENT];
  for (const engine of config.engines) {
    if (engine.options) names.push(...(engineDescriptor(engine.kind)?.secretEnvironment?.(engine.options) ?? []));
    registerUrlSecrets(engine.url);
  }
  registerEnvironmentSecrets(names);
  registerUrlSecrets(config.databaseUrl);
  registerUrlSecrets(config.shadowUrl);
}
