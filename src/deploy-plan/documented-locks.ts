import type { Queryable } from '../adapter/contract.js';
import { quoteIdent } from '../db/quote.js';
import { resolveRelation, type Observation } from './catalog-observation.js';
import type { LockMode, StatementShape } from './types.js';

/**
 * The locks of a statement that runs outside any transaction block (CREATE INDEX CONCURRENTLY,
 * VACUUM…). Its locks are released the moment it returns, so pg_locks shows nothing afterwards:
 * these are the modes PostgreSQL's manual documents for it, on the relations it names, resolved
 * before it runs (a dropped index has no name afterwards).
 */
export interface DocumentedLock {
  relation: number;
  mode: LockMode;
}

export async function documentedLocks(db: Queryable, shape: StatementShape, catalog: Observation): Promise<DocumentedLock[]> {
  const targets = lockTargets(shape);
  const locks: DocumentedLock[] = [];
  for (const target of targets) {
    const oid = await resolveRelation(db, target.name);
    if (oid === undefined) continue;
    // An index's lock that matters to traffic is the one on its table.
    const relation = catalog.relations.get(oid);
    const table = target.onTable && relation?.table !== undefined ? relation.table : oid;
    locks.push({ relation: table, mode: target.mode });
  }
  return locks;
}

interface LockTarget {
  name: string;
  mode: LockMode;
  /** The name is an index's (or a table's, for REINDEX TABLE): lock its table. */
  onTable?: boolean;
}

function lockTargets({ type, node }: StatementShape): LockTarget[] {
  const SUE: LockMode = 'ShareUpdateExclusiveLock';
  switch (type) {
    case 'IndexStmt':
      return node.concurrent ? [{ name: rangeVarName(node.relation), mode: SUE }] : [];
    case 'DropStmt':
      return node.concurrent && node.removeType === 'OBJECT_INDEX' ? listNames(node.objects).map((name) => ({ name, mode: SUE, onTable: true })) : [];
    case 'ReindexStmt':
      return hasOption(node.params, 'concurrently') ? [{ name: rangeVarName(node.relation), mode: SUE, onTable: true }] : [];
    case 'VacuumStmt': {
      const mode: LockMode = hasOption(node.options, 'full') ? 'AccessExclusiveLock' : SUE;
      return ((node.rels as Array<{ VacuumRelation?: { relation?: unknown } }> | undefined) ?? []).map((r) => ({ name: rangeVarName(r.VacuumRelation?.relation), mode }));
    }
    case 'AlterTableStmt':
      return detachConcurrently(node).flatMap((partition) => [
        { name: rangeVarName(node.relation), mode: SUE },
        { name: partition, mode: SUE },
      ]);
    default:
      return [];
  }
}

function detachConcurrently(node: Record<string, unknown>): string[] {
  const cmds = (node.cmds ?? []) as Array<{ AlterTableCmd?: { subtype?: string; def?: { PartitionCmd?: { name?: unknown; concurrent?: boolean } } } }>;
  return cmds.flatMap((c) => {
    const partition = c.AlterTableCmd?.def?.PartitionCmd;
    return c.AlterTableCmd?.subtype === 'AT_DetachPartition' && partition?.concurrent ? [rangeVarName(partition.name)] : [];
  });
}

/** `"schema"."name"` of a RangeVar node (libpg-query JSON), as the statement would resolve it. */
function rangeVarName(rangeVar: unknown): string {
  const rv = (rangeVar ?? {}) as { schemaname?: string; relname?: string };
  return [rv.schemaname, rv.relname]
    .filter((p): p is string => Boolean(p))
    .map(quoteIdent)
    .join('.');
}

/** Qualified names of a DropStmt's `objects`: lists of String nodes, a String (schemas), or TypeNames (types). */
export function listNames(objects: unknown): string[] {
  type Part = { String?: { sval?: string } };
  type DropObject = Part & { List?: { items?: Part[] }; TypeName?: { names?: Part[] } };
  return ((objects ?? []) as DropObject[]).map((o) => {
    const parts = o.List?.items ?? o.TypeName?.names ?? (o.String ? [o] : []);
    return parts.map((p) => quoteIdent(p.String?.sval ?? '')).join('.');
  });
}

export function hasOption(options: unknown, name: string): boolean {
  return ((options ?? []) as Array<{ DefElem?: { defname?: string } }>).some((o) => o.DefElem?.defname === name);
}
