import fs from 'node:fs';
import path from 'node:path';
import type { EngineDescriptor } from '../../src/adapter/descriptor.js';
import { payloadEngineSchema, payloadSecretEnvironment } from './config.js';

export const payloadDescriptor: EngineDescriptor = {
  kind: 'payload',
  optionsSchema: payloadEngineSchema,
  secretEnvironment: payloadSecretEnvironment,
  create: async (env) => (await import('./payload-adapter.js')).createPayloadAdapter(env),
  initRank: 1,
  detect({ dir, rel }) {
    for (const candidate of ['payload.config.ts', 'src/payload.config.ts', 'payload.config.js']) {
      const file = path.join(dir, candidate);
      if (!fs.existsSync(file)) continue;
      // Payload's default migrationDir is src/migrations, resolved against the cwd (the package).
      return [{ kind: 'payload', name: 'payload', migrations: rel(path.join(dir, 'src', 'migrations')), extra: { config: rel(file) }, evidence: rel(file) }];
    }
    return [];
  },
};
