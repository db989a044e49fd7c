import type { EngineDescriptor } from '../../src/adapter/descriptor.js';
import { prismaEngineSchema } from './config.js';
import { detectPrisma } from './prisma-detect.js';

export const prismaDescriptor: EngineDescriptor = {
  kind: 'prisma',
  optionsSchema: prismaEngineSchema,
  create: async (env) => (await import('./prisma-adapter.js')).createPrismaAdapter(env),
  initRank: 0,
  initReason: "Prisma runs first: its auth/user tables are usually what the other engines' tables reference.",
  detect: detectPrisma,
};
