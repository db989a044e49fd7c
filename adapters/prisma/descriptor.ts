import fs from 'node:fs';
import path from 'node:path';
import type { EngineDescriptor } from '../../src/adapter/descriptor.js';
import { prismaEngineSchema } from './config.js';

export const prismaDescriptor: EngineDescriptor = {
  kind: 'prisma',
  optionsSchema: prismaEngineSchema,
  create: async (env) => (await import('./prisma-adapter.js')).createPrismaAdapter(env),
  initRank: 0,
  initReason: 'Prisma runs first: its auth/user tables are usually what the other engines\' tables reference.',
  detect({ dir, rel }) {
    const migrations = path.join(dir, 'prisma', 'migrations');
    if (!fs.existsSync(path.join(dir, 'prisma', 'schema.prisma')) && !fs.existsSync(migrations)) return [];
    return [{ kind: 'prisma', name: 'prisma', migrations: rel(migrations), extra: {}, evidence: rel(path.join(dir, 'prisma')) }];
  },
};
