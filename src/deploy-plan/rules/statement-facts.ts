import { blocksOf, strongest } from '../lock-modes.js';
import { textOf } from '../text-of.js';
import type { Impact, LockFact, LockMode, MigrationTrace, RelationRef, StatementShape, StatementTrace } from '../types.js';

/**
 * Small readers the rules share: the parse tree (libpg-query's JSON) of a statement, and the
 * trace's facts about it. Rules read facts through these so that each rule stays a few lines.
 */

export interface AlterCommand {
  subtype: string;
  name?: string;
  def?: Record<string, unknown>;
}

export function alterCommands(shape: StatementShape): AlterCommand[] {
  if (shape.type !== 'AlterTableStmt') return [];
  return ((shape.node.cmds ?? []) as Array<{ AlterTableCmd?: AlterCommand }>).flatMap((c) => (c.AlterTableCmd ? [c.AlterTableCmd] : []));
}

/** `schema.name` (or `name`) of the relation a statement names first. */
export function targetName(shape: StatementShape): string | undefined {
  const rv = shape.node.relation as { schemaname?: string; relname?: string } | undefined;
  return rv?.relname ? [rv.schemaname, rv.relname].filter(Boolean).join('.') : undefined;
}

export interface ColumnDefinition {
  name: string;
  /** Last part of the type name: int4, varchar, serial, timestamp… */
  type: string;
  /** Type modifiers as written (varchar(20) → [20]). */
  typmods: number[];
  constraints: string[];
  defaultExpression?: Record<string, unknown>;
}

/** Column definitions a statement adds: CREATE TABLE's, ALTER TABLE … ADD COLUMN's. */
export function columnDefinitions(shape: StatementShape): ColumnDefinition[] {
  const defs: unknown[] =
    shape.type === 'CreateStmt'
      ? ((shape.node.tableElts ?? []) as Array<{ ColumnDef?: unknown }>).map((e) => e.ColumnDef)
      : alterCommands(shape)
          .filter((c) => c.subtype === 'AT_AddColumn')
          .map((c) => c.def?.ColumnDef);
  return defs.flatMap((def) => (def ? [columnDefinition(def as Record<string, unknown>)] : []));
}

function columnDefinition(def: Record<string, unknown>): ColumnDefinition {
  const typeName = (def.typeName ?? {}) as { names?: Array<{ String?: { sval?: string } }>; typmods?: Array<{ A_Const?: { ival?: { ival?: number } } }> };
  const constraints = ((def.constraints ?? []) as Array<{ Constraint?: { contype?: string; raw_expr?: Record<string, unknown> } }>).map((c) => c.Constraint ?? {});
  const defaultConstraint = constraints.find((c) => c.contype === 'CONSTR_DEFAULT');
  return {
    name: textOf(def.colname),
    type: typeName.names?.at(-1)?.String?.sval ?? '',
    typmods: (typeName.typmods ?? []).map((m) => m.A_Const?.ival?.ival ?? 0),
    constraints: constraints.map((c) => String(c.contype ?? '')),
    ...(defaultConstraint?.raw_expr ? { defaultExpression: defaultConstraint.raw_expr } : {}),
  };
}

/** Names of tables created by statements before `index` (for rules that only have the SQL text). */
export function createdEarlier(trace: MigrationTrace, index: number): Set<string> {
  const names = new Set<string>();
  for (const statement of trace.statements.slice(0, index)) {
    const name = statement.shape.type === 'CreateStmt' ? targetName(statement.shape) : undefined;
    if (name) {
      names.add(name);
      names.add(name.split('.').at(-1)!);
    }
  }
  return names;
}

/** The statement's catalog changes were observed (it ran in the trace, not only captured). */
export function observed(statement: StatementTrace): statement is StatementTrace & { changes: NonNullable<StatementTrace['changes']> } {
  return statement.changes !== undefined;
}

/** The strongest lock the statement ran under on a relation: taken by it, or held from before. */
function lockOn(statement: StatementTrace, relation: { schema: string; name: string }): LockFact | undefined {
  const same = (l: LockFact) => l.relation.schema === relation.schema && l.relation.name === relation.name;
  return strongest([...statement.locks.filter(same), ...statement.holding.filter(same)]);
}

/** The impact of work on `relation` done under the statement's strongest lock on it. */
export function impactOn(statement: StatementTrace, relation: { schema: string; name: string }, work?: Impact['work'], fallback?: LockMode): Impact {
  const mode = lockOn(statement, relation)?.mode ?? fallback;
  return { blocks: mode ? blocksOf(mode) : { reads: false, writes: false }, ...(mode ? { mode } : {}), ...(work ? { work } : {}) };
}

export function qualified(relation: { schema: string; name: string }): string {
  return `${relation.schema}.${relation.name}`;
}

export function relationOf(ref: RelationRef): { schema: string; name: string } {
  return { schema: ref.schema, name: ref.name };
}

/** The strongest lock the statement took on each table (not index). */
export function strongestTableLocks(statement: StatementTrace): LockFact[] {
  const byTable = new Map<string, LockFact>();
  for (const lock of statement.locks.filter((l) => l.relation.kind !== 'index')) {
    const other = byTable.get(qualified(lock.relation));
    byTable.set(qualified(lock.relation), other ? strongest([lock, other])! : lock);
  }
  return [...byTable.values()];
}
