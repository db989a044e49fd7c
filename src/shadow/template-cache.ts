import { DISK_TABLESPACE } from './memory-tablespace.js';
import { CACHE_PREFIX, likePrefix, NEW_TEMPLATE_PREFIX, transientName, type ShadowDatabases } from './shadow-databases.js';
import type { ShadowServer } from './shadow-server.js';

/** How much the cache may keep; the least recently used templates go first. */
export interface CacheCap {
  /** Default 10: the checkpoints of about two histories (two branches, or before and after an edit). */
  templates?: number;
  /** Total size of the templates on the server. */
  bytes?: number;
}

export const DEFAULT_CACHE_TEMPLATES = 10;

/** One cached prefix: a database nobody connects to, copied to start a replay from it. */
export interface CachedTemplate {
  name: string;
  /** The chain key of the prefix (replay-steps.ts). */
  key: string;
  /** How many migrations it holds. */
  length: number;
  /** Milliseconds since the epoch: made or last copied. */
  usedAt: number;
  /** The last migration it holds, for people looking at the server. */
  last?: string;
}

/**
 * The cache index is the server's own catalog: a template's name carries its key, its comment the
 * rest (COMMENT ON DATABASE, JSON), so two processes sharing a shadowUrl server see one cache and
 * nothing beside the databases can go stale. Racing processes that make the same template: one
 * wins, the other's CREATE DATABASE fails harmlessly.
 */
export class TemplateCache {
  constructor(
    private readonly server: ShadowServer,
    private readonly databases: ShadowDatabases,
  ) {}

  static nameFor(key: string): string {
    return `${CACHE_PREFIX}${key.slice(0, 32)}`;
  }

  async list(): Promise<CachedTemplate[]> {
    const { rows } = await this.server.admin.query<{ name: string; meta: string | null }>(
      `SELECT datname AS name, shobj_description(oid, 'pg_database') AS meta FROM pg_database WHERE datname LIKE $1`,
      [likePrefix(CACHE_PREFIX)],
    );
    const templates: CachedTemplate[] = [];
    for (const row of rows) {
      const meta = parseMeta(row.meta);
      // A cache name without a readable description is not one of this version's: evicted.
      templates.push(meta && TemplateCache.nameFor(meta.key) === row.name ? { name: row.name, ...meta } : { name: row.name, key: '', length: 0, usedAt: 0 });
    }
    return templates;
  }

  /** The longest cached prefix of a replay whose prefix keys are `keys` (keys[i]: the first i+1 steps). */
  longest(templates: CachedTemplate[], keys: readonly string[]): CachedTemplate | undefined {
    const byKey = new Map(templates.filter((t) => t.key).map((t) => [t.key, t]));
    for (let i = keys.length - 1; i >= 0; i -= 1) {
      const found = byKey.get(keys[i]!);
      if (found && found.length === i + 1) return found;
    }
    return undefined;
  }

  /** Let sessions read the template itself (a replay that only reads, when every migration is cached). */
  async openForReading(template: CachedTemplate): Promise<void> {
    await this.databases.openToConnections(template.name);
    await this.describe({ ...template, usedAt: Date.now() });
  }

  /** Copy a prefix out of it into a new database (the replay's scratch database, in `tablespace` if given). */
  async restore(template: CachedTemplate, into: string, tablespace?: string): Promise<void> {
    await this.databases.clone(template.name, into, tablespace);
    await this.describe({ ...template, usedAt: Date.now() });
  }

  /**
   * Keep `source` (no session on it) as the template of a prefix: made under a passing name, closed
   * to connections, described, then renamed — so a template under its cache name is always
   * complete, whoever looks. False: another process made the same one meanwhile.
   *
   * On a server that keeps scratch databases in memory, the template says pg_default: a copy
   * otherwise keeps its source's default tablespace, and a cache in memory is gone at a reboot.
   * Not on a user's server, where nothing of ours leaves pg_default, and a role with CREATEDB
   * alone may not name a tablespace.
   */
  async save(source: string, key: string, length: number, last: string): Promise<boolean> {
    const name = TemplateCache.nameFor(key);
    const making = transientName(NEW_TEMPLATE_PREFIX);
    await this.databases.clone(source, making, this.server.memoryScratch ? DISK_TABLESPACE : undefined);
    try {
      await this.databases.closeToConnections(making);
      await this.describe({ name: making, key, length, usedAt: Date.now(), last });
      await this.databases.rename(making, name);
      return true;
    } catch (error) {
      await this.databases.drop(making).catch(() => undefined);
      if ((error as { code?: string }).code === '42P04') return false; // duplicate_database
      throw error;
    }
  }

  /** Drop the least recently used templates beyond the cap; a template in use by a copy right now stays. */
  async evict(cap: CacheCap): Promise<number> {
    const templates = (await this.list()).sort((a, b) => b.usedAt - a.usedAt);
    const sizes = cap.bytes === undefined ? undefined : await this.sizes();
    const maxTemplates = cap.templates ?? DEFAULT_CACHE_TEMPLATES;
    let kept = 0;
    let bytes = 0;
    let evicted = 0;
    for (const template of templates) {
      const size = sizes?.get(template.name) ?? 0;
      const fits = template.usedAt > 0 && kept < maxTemplates && (cap.bytes === undefined || bytes + size <= cap.bytes);
      if (fits) {
        kept += 1;
        bytes += size;
        continue;
      }
      await this.databases.drop(template.name).then(
        () => {
          evicted += 1;
        },
        () => undefined,
      );
    }
    return evicted;
  }

  private async sizes(): Promise<Map<string, number>> {
    const { rows } = await this.server.admin.query<{ name: string; bytes: string }>('SELECT datname AS name, pg_database_size(oid)::text AS bytes FROM pg_database WHERE datname LIKE $1', [
      likePrefix(CACHE_PREFIX),
    ]);
    return new Map(rows.map((r) => [r.name, Number(r.bytes)]));
  }

  private async describe(template: CachedTemplate): Promise<void> {
    const { name, ...meta } = template;
    await this.databases.comment(name, JSON.stringify({ v: 1, ...meta }));
  }
}

function parseMeta(text: string | null): Omit<CachedTemplate, 'name'> | undefined {
  if (!text) return undefined;
  try {
    const meta = JSON.parse(text) as Partial<CachedTemplate> & { v?: number };
    if (meta.v !== 1 || typeof meta.key !== 'string' || typeof meta.length !== 'number' || typeof meta.usedAt !== 'number') return undefined;
    return { key: meta.key, length: meta.length, usedAt: meta.usedAt, ...(meta.last ? { last: meta.last } : {}) };
  } catch {
    return undefined;
  }
}
