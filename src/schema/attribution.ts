/**
 * Attribution: which migration created each object of the shadow, and which one last changed it.
 *
 * The shadow replays migrations one at a time; after each, `afterMigration` brings the tracker's
 * model up to date and records owners (src/schema/ownership.ts). Two modes, same result:
 * - `event-trigger`: the DDL log (src/schema/ddl-log.ts) says which relations, functions, types,
 *   schemas and extensions the migration touched, from whichever session ran it; only those are
 *   introspected again (one round trip to read the log, one to introspect).
 * - `full-introspection`: without superuser rights no event trigger can be created; the whole
 *   schema is introspected after every migration and compared with the one before.
 * Column-level changes are attributed through their table: `ALTER TABLE … ADD COLUMN` touches the
 * table, its re-introspection finds a column that was not there, created by this migration.
 */
import type pg from 'pg';
import { INSTALL_DDL_LOG_SQL, SEED_SQL, readLogSql, toDroppedObject, toResolvedTouch, type DroppedObject, type ResolvedTouch, type ScopeCategory } from './ddl-log.js';
import type { SchemaExclusions } from './exclusions.js';
import { introspectSchema, type IntrospectionClient, type IntrospectionScope } from './introspect.js';
import { Ownership, type MigrationEffect, type MigrationRef, type ObjectOwner } from './ownership.js';
import type { SchemaModel, SchemaObject } from './schema-model.js';

export type { MigrationEffect, MigrationRef, ObjectOwner } from './ownership.js';

export type AttributionMode = 'event-trigger' | 'full-introspection';

/** Everything a tracker knows, as JSON: kept with a cached shadow template and restored with it. */
export interface AttributionSnapshot {
  mode: AttributionMode;
  exclude: SchemaExclusions;
  lastLogId: string;
  objects: SchemaObject[];
  owners: Array<[string, ObjectOwner]>;
  /** `<catalog oid>:<oid>` of a touched object → the scope it belongs to (`relation:<oid>`). */
  members: Array<[string, string]>;
  /** Scope id → the scope's name when last seen (a rename shows as a new name for the same id). */
  names: Array<[string, string]>;
}

export interface InstallOptions {
  exclude: SchemaExclusions;
}

type Results = Array<pg.QueryResult<Record<string, unknown>>>;

export class AttributionTracker {
  private readonly members: Map<string, string>;
  private readonly names: Map<string, string>;

  private constructor(
    readonly mode: AttributionMode,
    private readonly exclude: SchemaExclusions,
    private readonly ownership: Ownership,
    private lastLogId: string,
    members: Iterable<[string, string]> = [],
    names: Iterable<[string, string]> = [],
    /** Why the event trigger could not be installed (full-introspection mode). */
    readonly fallbackReason?: string,
  ) {
    this.members = new Map(members);
    this.names = new Map(names);
  }

  /**
   * Install the DDL log on the shadow database `client` is connected to and take the current
   * schema as the starting point (objects already there have no creator). A role that may not
   * create event triggers gets a tracker in full-introspection mode; any other error is thrown.
   */
  static async install(client: IntrospectionClient, options: InstallOptions): Promise<AttributionTracker> {
    let lastLogId = '0';
    let fallbackReason: string | undefined;
    try {
      const results = (await client.query(INSTALL_DDL_LOG_SQL)) as unknown as Results;
      lastLogId = String(results.at(-1)!.rows[0]!.last_id);
    } catch (error) {
      if ((error as { code?: string }).code !== '42501') throw error;
      fallbackReason = (error as Error).message;
    }
    const model = await introspectSchema(client, { exclude: options.exclude });
    const ownership = new Ownership(model.objects.values());
    if (fallbackReason !== undefined) {
      return new AttributionTracker('full-introspection', options.exclude, ownership, '0', [], [], fallbackReason);
    }
    const tracker = new AttributionTracker('event-trigger', options.exclude, ownership, lastLogId);
    const seed = (await client.query(SEED_SQL)) as unknown as Results;
    tracker.remember(seed[1]!.rows.map(toResolvedTouch));
    return tracker;
  }

  static restore(snapshot: AttributionSnapshot): AttributionTracker {
    const ownership = new Ownership(snapshot.objects, snapshot.owners);
    return new AttributionTracker(snapshot.mode, snapshot.exclude, ownership, snapshot.lastLogId, snapshot.members, snapshot.names);
  }

  /** Bring the model up to date after `migration` committed (on any connection) and record its owners. */
  async afterMigration(client: IntrospectionClient, migration: MigrationRef): Promise<MigrationEffect> {
    if (this.mode === 'full-introspection') {
      const model = await introspectSchema(client, { exclude: this.exclude });
      return this.ownership.apply('all', model, migration);
    }
    const results = (await client.query(readLogSql(this.lastLogId))) as unknown as Results;
    const touches = results[1]!.rows.map(toResolvedTouch);
    const drops = results[2]!.rows.map(toDroppedObject);
    this.lastLogId = String(results[3]!.rows[0]!.last_id);
    const scopes = new ScopeSet();
    // Drops first: their scopes are found by the names known before this migration's renames.
    for (const drop of drops) this.dropScope(drop, scopes);
    for (const touch of touches) {
      const previous = this.names.get(touch.scopeId);
      if (previous !== undefined && previous !== touch.name) scopes.add(touch.category, previous);
      scopes.add(touch.category, touch.name);
    }
    this.remember(touches);
    if (scopes.size === 0) return { created: [], changed: [], dropped: [] };
    const model = await introspectSchema(client, { exclude: this.exclude, only: scopes.toIntrospectionScope() });
    return this.ownership.apply(scopes.keys(), model, migration);
  }

  /** The engine and migration that created the object and the one that last changed it. */
  ownerOf(objectKey: string): ObjectOwner | undefined {
    return this.ownership.ownerOf(objectKey);
  }

  /** The shadow's schema as the tracker knows it (equal to a full introspection, without running one). */
  model(): SchemaModel {
    return this.ownership.model();
  }

  snapshot(): AttributionSnapshot {
    return {
      mode: this.mode,
      exclude: this.exclude,
      lastLogId: this.lastLogId,
      objects: [...this.ownership.model().objects.values()],
      owners: this.ownership.ownerEntries(),
      members: [...this.members],
      names: [...this.names],
    };
  }

  private remember(touches: ResolvedTouch[]): void {
    for (const touch of touches) {
      this.members.set(touch.object, touch.scopeId);
      this.names.set(touch.scopeId, touch.name);
    }
  }

  /**
   * The scope of a dropped object: known by its OID when the tracker saw it created (or found it
   * at install); else, for what belongs to a table, the table named in the drop event. Anything
   * else it did not see was created and dropped within this migration, or is of a kind the model
   * does not hold (an array type, an operator …): nothing to do.
   */
  private dropScope(drop: DroppedObject, scopes: ScopeSet): void {
    const scopeId = this.members.get(drop.object);
    const name = scopeId === undefined ? undefined : this.names.get(scopeId);
    if (scopeId !== undefined && name !== undefined) {
      scopes.add(scopeId.slice(0, scopeId.indexOf(':')) as ScopeCategory, name);
      return;
    }
    if (TABLE_PARTS.has(drop.objectType) && drop.pairName !== null) scopes.add('relation', drop.pairName);
  }
}

/** Drop events of objects whose address starts with their table's schema and name. */
const TABLE_PARTS = new Set(['table', 'view', 'materialized view', 'foreign table', 'table column', 'table constraint', 'trigger', 'policy', 'default value', 'rule']);

/** The scopes to introspect again, by category. */
class ScopeSet {
  private readonly byCategory = new Map<ScopeCategory, Set<string>>();

  add(category: ScopeCategory, name: string): void {
    const set = this.byCategory.get(category) ?? new Set<string>();
    set.add(name);
    this.byCategory.set(category, set);
  }

  get size(): number {
    let n = 0;
    for (const set of this.byCategory.values()) n += set.size;
    return n;
  }

  /** `relation public.users`, … — the form of scopeKeyOf (src/schema/ownership.ts). */
  keys(): Set<string> {
    const keys = new Set<string>();
    for (const [category, names] of this.byCategory) for (const name of names) keys.add(`${category} ${name}`);
    return keys;
  }

  toIntrospectionScope(): IntrospectionScope {
    const list = (category: ScopeCategory) => [...(this.byCategory.get(category) ?? [])];
    return {
      relations: list('relation'),
      functions: list('function'),
      types: list('type'),
      schemas: list('schema'),
      extensions: list('extension'),
    };
  }
}
