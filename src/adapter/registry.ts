import type { GenericSchema } from 'valibot';
import type { MigrationAdapter } from './contract.js';
import { sqlEngineSchema } from '../../adapters/sql/config.js';
import { drizzleEngineSchema } from '../../adapters/drizzle/config.js';
import { prismaEngineSchema } from '../../adapters/prisma/config.js';
import { payloadEngineSchema, payloadSecretEnvironment } from '../../adapters/payload/config.js';

/** What the core needs to build an adapter from a config entry. */
export interface AdapterEnvironment {
  /** The engine entry, validated, with `name` filled in and `migrations` made absolute. */
  options: Record<string, unknown> & { name: string; kind: string; migrations: string };
  /** Directory of the config file: the base of every relative path. */
  configDir: string;
  /** polymigrate's own schema (journal, SQL-folder history). */
  journalSchema: string;
}

interface KindEntry {
  schema: GenericSchema;
  /** Environment variables whose values the engine's runtime receives as secrets (never to be printed). */
  secretEnvironment?(options: Record<string, unknown>): string[];
  /** Loaded lazily so commands only pay for the engines they use. */
  load(): Promise<(env: AdapterEnvironment) => MigrationAdapter>;
}

/** The engine kinds polymigrate ships. Custom engines are adapter objects in the config. */
export const engineKinds: Record<string, KindEntry> = {
  sql: {
    schema: sqlEngineSchema,
    load: async () => (await import('../../adapters/sql/sql-adapter.js')).createSqlAdapter,
  },
  drizzle: {
    schema: drizzleEngineSchema,
    load: async () => (await import('../../adapters/drizzle/drizzle-adapter.js')).createDrizzleAdapter,
  },
  prisma: {
    schema: prismaEngineSchema,
    load: async () => (await import('../../adapters/prisma/prisma-adapter.js')).createPrismaAdapter,
  },
  payload: {
    schema: payloadEngineSchema,
    secretEnvironment: payloadSecretEnvironment,
    load: async () => (await import('../../adapters/payload/payload-adapter.js')).createPayloadAdapter,
  },
};
