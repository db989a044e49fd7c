import { z } from 'zod';

/** Options of a Prisma Migrate engine (validated when the config loads). */
export const prismaEngineSchema = z.strictObject({
  kind: z.literal('prisma'),
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"').optional(),
  /** Prisma's migrations folder (usually `prisma/migrations`), relative to the config file. */
  migrations: z.string().min(1),
  /**
   * The PostgreSQL schema Prisma's URL names with `?schema=`. Unset (the usual case): like Prisma,
   * `_prisma_migrations` is unqualified and the scripts run in the connection's default schema.
   * Set: the table lives in that schema and scripts run with it as `search_path`, as Prisma does.
   */
  schema: z.string().min(1).max(63).optional(),
  /** A different database for this engine (defaults to the config's database). */
  url: z.string().optional(),
});

export type PrismaEngineConfig = z.input<typeof prismaEngineSchema>;
export type PrismaEngineOptions = z.output<typeof prismaEngineSchema>;
