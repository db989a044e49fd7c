import fs from 'node:fs';
import path from 'node:path';
import type { EngineDescriptor } from '../../src/adapter/descriptor.js';
import { drizzleEngineSchema } from './config.js';
import { DRIZZLE_CONFIG_NAMES, readDrizzleConfigLiterals } from './drizzle-kit-config.js';

export const drizzleDescriptor: EngineDescriptor = {
  kind: 'drizzle',
  optionsSchema: drizzleEngineSchema,
  create: async (env) => (await import('./drizzle-adapter.js')).createDrizzleAdapter(env),
  initRank: 2,
  detect({ dir, rel }) {
    for (const candidate of DRIZZLE_CONFIG_NAMES) {
      const file = path.join(dir, candidate);
      if (!fs.existsSync(file)) continue;
      // drizzle-kit resolves `out` against the cwd, which is the package folder when run from its scripts.
      const out = readDrizzleConfigLiterals(file).out ?? 'drizzle';
      return [{ kind: 'drizzle', name: 'drizzle', migrations: rel(path.join(dir, out)), extra: {}, evidence: rel(file) }];
    }
    return [];
  },
};
