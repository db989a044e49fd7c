/**
 * Who owns each object of the shadow: the migration that created it and the one that last changed
 * it. Pure bookkeeping over schema models; src/schema/attribution.ts feeds it what each migration
 * left behind.
 */
import { changedFields, compareObjects, parseObjectKey, schemaModel, type SchemaModel, type SchemaObject } from './schema-model.js';

/** A migration of an engine, as the config names them: `{ engine: 'prisma', id: '20251014_add_avatar' }`. */
export interface MigrationRef {
  engine: string;
  id: string;
}

export interface ObjectOwner {
  /** Undefined for an object that existed before the first migration the tracker saw. */
  createdBy?: MigrationRef;
  changedBy: MigrationRef;
}

/** What one migration did to the model. Keys in kind-then-name order. */
export interface MigrationEffect {
  created: string[];
  changed: string[];
  dropped: string[];
}

/**
 * The scope an object is re-introspected with (see IntrospectionScope): `relation public.users`
 * for a table and everything it owns, `function public.f(integer)`, `type public.mood`,
 * `schema public`, `extension citext`.
 */
export function scopeKeyOf(object: SchemaObject): string {
  switch (object.kind) {
    case 'function':
    case 'procedure':
      return `function ${object.name}`;
    case 'enum':
    case 'domain':
      return `type ${object.name}`;
    case 'schema':
    case 'extension':
      return `${object.kind} ${object.name}`;
    default:
      return `relation ${object.table === undefined ? object.name : parseObjectKey(object.table).name}`;
  }
}

export class Ownership {
  private readonly objects: Map<string, SchemaObject>;
  private readonly owners: Map<string, ObjectOwner>;

  constructor(objects: Iterable<SchemaObject>, owners: Iterable<[string, ObjectOwner]> = []) {
    this.objects = new Map([...objects].map((o) => [o.key, o]));
    this.owners = new Map(owners);
  }

  /**
   * Record a migration's effect on some scopes: `scopes` are the scope keys that were
   * re-introspected, `after` what they hold now. Objects of those scopes that are no longer
   * there were dropped; new keys were created by `migration`; changed fields make it their
   * last changer. An object dropped by one migration and created again by a later one is a new
   * object of the later one.
   */
  apply(scopes: ReadonlySet<string> | 'all', after: SchemaModel, migration: MigrationRef): MigrationEffect {
    const effect: MigrationEffect = { created: [], changed: [], dropped: [] };
    for (const [key, object] of this.objects) {
      if ((scopes === 'all' || scopes.has(scopeKeyOf(object))) && !after.objects.has(key)) {
        this.objects.delete(key);
        this.owners.delete(key);
        effect.dropped.push(key);
      }
    }
    for (const [key, object] of after.objects) {
      const before = this.objects.get(key);
      if (!before) {
        this.owners.set(key, { createdBy: migration, changedBy: migration });
        effect.created.push(key);
      } else if (!sameObject(before, object)) {
        this.owners.set(key, { ...this.owners.get(key), changedBy: migration });
        effect.changed.push(key);
      }
      this.objects.set(key, object);
    }
    return { created: sortKeys(effect.created), changed: sortKeys(effect.changed), dropped: sortKeys(effect.dropped) };
  }

  ownerOf(key: string): ObjectOwner | undefined {
    return this.owners.get(key);
  }

  model(): SchemaModel {
    return schemaModel(this.objects.values());
  }

  ownerEntries(): Array<[string, ObjectOwner]> {
    return [...this.owners];
  }
}

function sameObject(a: SchemaObject, b: SchemaObject): boolean {
  return a.table === b.table && a.schema === b.schema && changedFields(a, b).length === 0;
}

function sortKeys(keys: string[]): string[] {
  return keys
    .map(parseObjectKey)
    .sort(compareObjects)
    .map((k) => `${k.kind} ${k.name}`);
}
