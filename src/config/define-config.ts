import type { PolymigrateConfig } from './config-types.js';
import type { SqlEngineConfig } from '../../adapters/sql/config.js';
import type { DrizzleEngineConfig } from '../../adapters/drizzle/config.js';
import type { PrismaEngineConfig } from '../../adapters/prisma/config.js';
import type { PayloadEngineConfig } from '../../adapters/payload/config.js';

/** Typed identity helper for `polymigrate.config.ts`. */
export function defineConfig(config: PolymigrateConfig): PolymigrateConfig {
  return config;
}

/** A plain SQL folder (`<version>_<name>.sql`, Supabase style). */
export function sql(options: Omit<SqlEngineConfig, 'kind'>): SqlEngineConfig {
  return { kind: 'sql', ...options };
}

/** A Prisma Migrate folder (`prisma/migrations`), recorded in `_prisma_migrations` as Prisma does. */
export function prisma(options: Omit<PrismaEngineConfig, 'kind'>): PrismaEngineConfig {
  return { kind: 'prisma', ...options };
}

/** A drizzle-kit migrations folder (`out`), recorded in drizzle's own history table as drizzle-kit does. */
export function drizzle(options: Omit<DrizzleEngineConfig, 'kind'>): DrizzleEngineConfig {
  return { kind: 'drizzle', ...options };
}

/** A Payload CMS migration directory, run through Payload's own runtime and recorded in `payload_migrations`. */
export function payload(options: Omit<PayloadEngineConfig, 'kind'>): PayloadEngineConfig {
  return { kind: 'payload', ...options };
}
