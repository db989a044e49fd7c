import { randomBytes } from 'node:crypto';
import { quoteIdent } from '../db/quote.js';
import { sqlLiteral } from '../db/sql-literal.js';
import type { ShadowServer } from './shadow-server.js';

/**
 * Every database polymigrate makes on a shadow server starts with this; it creates, clones,
 * comments and drops no other (each statement below goes through `own`). A server given as
 * shadowUrl may hold anything else: it is never touched.
 */
export const SHADOW_DATABASE_PREFIX = 'polymigrate_shadow_';
/** A replay's working database, dropped when the caller is done with it. */
export const SCRATCH_PREFIX = `${SHADOW_DATABASE_PREFIX}run_`;
/** A template being made, renamed to its cache name once complete (template-cache.ts). */
export const NEW_TEMPLATE_PREFIX = `${SHADOW_DATABASE_PREFIX}new_`;
/** A cached prefix (template-cache.ts). */
export const CACHE_PREFIX = `${SHADOW_DATABASE_PREFIX}cache_`;

/** A scratch database left by a process that died is dropped after this long (on a shared server). */
const STALE_SCRATCH_MS = 24 * 60 * 60 * 1000;

/**
 * Transient names this process made and has not dropped: another shadow opened in the same process
 * (a library caller running two at once) clears out leftovers on start, and must not take these.
 */
const madeHere = new Set<string>();

/** `<prefix><seconds, base 36>_<random>`: when it was made, readable from its name. */
export function transientName(prefix: typeof SCRATCH_PREFIX | typeof NEW_TEMPLATE_PREFIX, now = Date.now()): string {
  const name = `${prefix}${Math.floor(now / 1000).toString(36)}_${randomBytes(4).toString('hex')}`;
  madeHere.add(name);
  return name;
}

/** The quoted name, after checking it is one of ours. */
function own(name: string): string {
  if (!name.startsWith(SHADOW_DATABASE_PREFIX) || name.length > 63) {
    throw new Error(`internal: refusing to touch database "${name}", which polymigrate did not create`);
  }
  return quoteIdent(name);
}

/** CREATE / DROP / clone of the shadow's own databases, on the server's maintenance connection. */
export class ShadowDatabases {
  constructor(private readonly server: ShadowServer) {}

  /**
   * An empty database: template0, so nothing added to template1 on a shared server comes along.
   * Copied as a clone is (FILE_COPY on the embedded server: PostgreSQL 15's default writes the
   * whole ~8 MB of catalog through the WAL, the larger part of a short replay's time).
   * `tablespace`: its default tablespace (memory-tablespace.ts); default: the server's default.
   */
  async createEmpty(name: string, tablespace?: string): Promise<void> {
    await this.server.admin.query(`CREATE DATABASE ${own(name)} TEMPLATE template0${inTablespace(tablespace)}${this.strategy()}`);
  }

  /**
   * A copy of `source`, which must have no session: PostgreSQL refuses to copy a database anyone
   * is connected to, so this waits for the backends of closed connections to finish exiting.
   * `tablespace`: the copy's default tablespace; without it the copy has the source's.
   */
  async clone(source: string, target: string, tablespace?: string): Promise<void> {
    await this.waitUntilUnused(source);
    await this.server.admin.query(`CREATE DATABASE ${own(target)} TEMPLATE ${own(source)}${inTablespace(tablespace)}${this.strategy()}`);
  }

  async drop(name: string): Promise<void> {
    // WITH (FORCE) ends sessions still on it — only ever sessions on a database of ours.
    const force = this.server.versionNum >= 130000 ? ' WITH (FORCE)' : '';
    await this.server.admin.query(`DROP DATABASE IF EXISTS ${own(name)}${force}`);
    madeHere.delete(name);
  }

  async comment(name: string, text: string): Promise<void> {
    await this.server.admin.query(`COMMENT ON DATABASE ${own(name)} IS ${sqlLiteral(text)}`);
  }

  /** A template opened for reading (closed again by closeToConnections). */
  async openToConnections(name: string): Promise<void> {
    await this.server.admin.query(`ALTER DATABASE ${own(name)} ALLOW_CONNECTIONS true`);
  }

  /** A template nobody may connect to, so nothing ever blocks a copy of it. */
  async closeToConnections(name: string): Promise<void> {
    await this.server.admin.query(`ALTER DATABASE ${own(name)} ALLOW_CONNECTIONS false`);
  }

  async rename(name: string, to: string): Promise<void> {
    await this.server.admin.query(`ALTER DATABASE ${own(name)} RENAME TO ${own(to)}`);
  }

  /**
   * Scratch databases and half-made templates of runs that ended without dropping theirs (a
   * killed process): on the embedded server every one this process did not make (only this process
   * uses the server); on a shared server those older than a day that nobody is connected to.
   */
  async dropStaleTransients(now = Date.now()): Promise<number> {
    const { rows } = await this.server.admin.query<{ name: string; sessions: number }>(
      `SELECT d.datname AS name, (SELECT count(*)::int FROM pg_stat_activity a WHERE a.datname = d.datname) AS sessions
         FROM pg_database d WHERE d.datname LIKE $1 OR d.datname LIKE $2`,
      [likePrefix(SCRATCH_PREFIX), likePrefix(NEW_TEMPLATE_PREFIX)],
    );
    let dropped = 0;
    for (const { name, sessions } of rows) {
      if (madeHere.has(name)) continue;
      const made = parseInt(name.split('_').at(-2) ?? '', 36) * 1000;
      const stale = this.server.exclusive || (sessions === 0 && Number.isFinite(made) && now - made > STALE_SCRATCH_MS);
      if (!stale) continue;
      await this.drop(name).then(
        () => {
          dropped += 1;
        },
        () => undefined,
      );
    }
    return dropped;
  }

  private strategy(): string {
    return this.server.cloneStrategy ? ` STRATEGY ${this.server.cloneStrategy}` : '';
  }

  private async waitUntilUnused(name: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await this.server.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      // PostgreSQL's own wait (5 s) takes over at the deadline, and names the problem if it stays.
      if (rows[0]!.n === 0 || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

function inTablespace(tablespace: string | undefined): string {
  return tablespace ? ` TABLESPACE ${quoteIdent(tablespace)}` : '';
}

/** A LIKE pattern for names starting with `prefix` (its underscores taken literally). */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/_/g, '\\_')}%`;
}
