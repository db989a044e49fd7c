import path from 'node:path';
import type { Queryable } from '../adapter/contract.js';
import { connect, type DbClient } from '../db/connect.js';
import { validateDatabaseUrl } from '../db/database-url.js';
import { maskUrl } from '../db/mask-url.js';
import { ConfigError } from '../errors.js';
import { acquireEmbeddedServer } from './embedded-server.js';
import { memoryPlaceFor, type MemoryPlace } from './memory-tablespace.js';

/**
 * The PostgreSQL server the shadow's databases live on: the embedded one (ours alone), or the
 * user's `shadowUrl` (shared: polymigrate creates, clones and drops only databases it named, see
 * shadow-databases.ts).
 */
export interface ShadowServer {
  readonly kind: 'embedded' | 'url';
  /** "15.18" (server_version). */
  readonly version: string;
  /** 150018 (server_version_num). */
  readonly versionNum: number;
  /** Where the cache lives, for messages: the data folder, or the server's masked URL. */
  readonly location: string;
  /** Only this process uses the server (the embedded one): leftovers of earlier runs are all stale. */
  readonly exclusive: boolean;
  /** How CREATE DATABASE … TEMPLATE copies (FILE_COPY where a checkpoint is cheap: no fsync). */
  readonly cloneStrategy: 'FILE_COPY' | undefined;
  readonly warnings: string[];
  /** The embedded server's package and whether this start ran initdb (its first start). */
  readonly embedded?: { packageVersion: string; initialised: boolean };
  /** Where scratch databases may go in memory: the embedded server on Linux (memory-tablespace.ts). */
  readonly memoryScratch?: MemoryPlace;
  /**
   * The maintenance connection: creates, clones, lists and drops the shadow's databases. Its
   * queries go one at a time, whoever sends them (replays of one shadow may run side by side).
   */
  readonly admin: Queryable;
  urlFor(database: string): string;
  /** The embedded server's log lines (a user's server keeps its log to itself). */
  onLogLine?(listener: (line: string) => void): () => void;
  close(): Promise<void>;
}

/** The embedded server of a project: data under `<configDir>/.polymigrate/shadow/`. */
export async function embeddedShadowServer(configDir: string): Promise<ShadowServer> {
  const embedded = await acquireEmbeddedServer(path.join(configDir, '.polymigrate', 'shadow'), configDir);
  let admin: DbClient;
  try {
    admin = await connect(embedded.urlFor('postgres'), { purpose: 'shadow' });
  } catch (error) {
    await embedded.release();
    throw error;
  }
  const { version, versionNum } = await serverVersion(admin);
  const memoryScratch = memoryPlaceFor(embedded.dataDir, embedded.binaries.major, embedded.user);
  return {
    kind: 'embedded',
    version,
    versionNum,
    location: embedded.dataDir,
    exclusive: true,
    // STRATEGY is PostgreSQL 15's; before it every copy is a file copy.
    cloneStrategy: versionNum >= 150000 ? 'FILE_COPY' : undefined,
    warnings: [...embedded.warnings],
    admin: oneAtATime(admin),
    embedded: { packageVersion: embedded.binaries.packageVersion, initialised: embedded.initialised },
    ...(memoryScratch ? { memoryScratch } : {}),
    urlFor: (database) => embedded.urlFor(database),
    onLogLine: (listener) => embedded.onLogLine(listener),
    async close() {
      await admin.end().catch(() => undefined);
      await embedded.release();
    },
  };
}

/** The user's server (`shadowUrl` / --shadow-url): its role must be allowed to create databases. */
export async function urlShadowServer(url: string, where: string): Promise<ShadowServer> {
  const checked = validateDatabaseUrl(url, where);
  const admin = await connect(checked, { purpose: 'shadow' });
  try {
    const { rows } = await admin.query<{ allowed: boolean }>('SELECT rolcreatedb OR rolsuper AS allowed FROM pg_roles WHERE rolname = current_user');
    if (!rows[0]?.allowed) {
      throw new ConfigError(
        `The shadow server ${maskUrl(checked)} (${where}) does not let this role create databases.`,
        'Grant it CREATEDB (ALTER ROLE … CREATEDB), or use a server where it has it; polymigrate creates and drops only databases named polymigrate_shadow_….',
      );
    }
    const { version, versionNum } = await serverVersion(admin);
    return {
      kind: 'url',
      version,
      versionNum,
      location: maskUrl(checked),
      exclusive: false,
      cloneStrategy: undefined,
      warnings: [],
      admin: oneAtATime(admin),
      urlFor: (database) => urlWithDatabase(checked, database),
      close: () => admin.end().catch(() => undefined),
    };
  } catch (error) {
    await admin.end().catch(() => undefined);
    throw error;
  }
}

async function serverVersion(admin: DbClient): Promise<{ version: string; versionNum: number }> {
  const { rows } = await admin.query<{ version: string; num: string }>("SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num");
  return { version: rows[0]!.version.split(' ')[0]!, versionNum: Number(rows[0]!.num) };
}

/** The same server, user and options, another database. */
export function urlWithDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** PostgreSQL's major version from server_version_num (170004 → 17; before 10 the x of 9.x is left out). */
export function majorOf(versionNum: number): number {
  return Math.floor(versionNum / 10000);
}

/** A client whose queries wait for the one before them (pg 9 refuses to queue them itself). */
function oneAtATime(client: DbClient): Queryable {
  let last: Promise<unknown> = Promise.resolve();
  return {
    query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]) {
      const next = last.then(() => client.query<R>(text, values));
      last = next.catch(() => undefined);
      return next;
    },
  };
}
