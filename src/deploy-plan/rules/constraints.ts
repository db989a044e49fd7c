import { blocksOf, blocksTraffic } from '../lock-modes.js';
import { textOf } from '../text-of.js';
import type { ConstraintChange, ConstraintType, Rule, RuleContext, RuleHit, StatementTrace } from '../types.js';
import { alterCommands, createdEarlier, impactOn, observed, qualified, relationOf, targetName } from './statement-facts.js';

/** Constraints that scan the table, or build an index, while holding a lock that stops traffic. */
export const constraintRules: Rule[] = [
  {
    code: 'PM201',
    name: 'constraint-validated-on-add',
    family: 'constraints',
    level: 'medium',
    finds: 'A CHECK or FOREIGN KEY constraint added to an existing table without NOT VALID, or validated in the same transaction that added it.',
    why: 'PostgreSQL checks every row while holding the lock the ALTER TABLE took: ACCESS EXCLUSIVE for a CHECK (no reads, no writes), SHARE ROW EXCLUSIVE on both tables for a foreign key (no writes), for as long as the scan takes.',
    safer:
      'ADD CONSTRAINT … NOT VALID (instant), then ALTER TABLE … VALIDATE CONSTRAINT … in a later transaction (a later migration): validation takes SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.',
    anchors: ['Eugene E1', 'Squawk constraint-missing-not-valid', 'Squawk adding-foreign-key-constraint'],
    check(context) {
      const { statement } = context;
      if (!observed(statement))
        return parsedConstraints(context, ['CONSTR_CHECK', 'CONSTR_FOREIGN'], 'adds {type} constraint {name} to {table} without NOT VALID', (c) => !c.skip_validation);
      const added = addedOfType(statement, ['check', 'foreign key'])
        .filter((c) => c.constraint.validated)
        .map((c) => ({
          message: `adds ${c.constraint.type} constraint ${c.constraint.name} to ${qualified(c.constraint.table)} as valid: every row is checked under the lock`,
          relation: relationOf(c.constraint.table),
          basis: 'observed' as const,
          impact: impactOn(statement, c.constraint.table, 'validation scan'),
        }));
      const validatedUnderLock = statement.changes.constraints
        .filter((c) => c.kind === 'validated')
        .flatMap((c) => {
          const held = statement.holding.find((l) => qualified(l.relation) === qualified(c.constraint.table) && blocksTraffic(l.mode));
          return held
            ? [
                {
                  message: `validates ${c.constraint.name} in the transaction that took ${held.mode.replace(/Lock$/, '')} on ${qualified(c.constraint.table)} (statement ${held.takenBy + 1}): the scan runs under that lock`,
                  relation: relationOf(c.constraint.table),
                  basis: 'observed' as const,
                  impact: { blocks: held.blocks, mode: held.mode, work: 'validation scan' as const },
                },
              ]
            : [];
        });
      return [...added, ...validatedUnderLock];
    },
  },
  {
    code: 'PM202',
    name: 'unique-constraint-builds-index',
    family: 'constraints',
    level: 'medium',
    finds: 'A UNIQUE constraint added to an existing table that builds its own index.',
    why: "The index is built under the ALTER TABLE's ACCESS EXCLUSIVE lock: no reads and no writes until every row is indexed.",
    safer: 'CREATE UNIQUE INDEX CONCURRENTLY … (outside a transaction), then ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX … (instant).',
    anchors: ['Eugene E7', 'Squawk disallowed-unique-constraint'],
    check: (context) => indexBuildingConstraint(context, 'unique', 'CONSTR_UNIQUE'),
  },
  {
    code: 'PM203',
    name: 'exclusion-constraint',
    family: 'constraints',
    level: 'medium',
    finds: 'An EXCLUSION constraint added to an existing table.',
    why: 'Its index is built and every row checked under ACCESS EXCLUSIVE; there is no NOT VALID or USING INDEX way around it.',
    safer: 'Add it while the table is new or small, or in a maintenance window; or enforce the rule in the application until then.',
    anchors: ['Eugene E8'],
    check: (context) => indexBuildingConstraint(context, 'exclusion', 'CONSTR_EXCLUSION'),
  },
  {
    code: 'PM204',
    name: 'primary-key-builds-index',
    family: 'constraints',
    level: 'medium',
    finds: 'A PRIMARY KEY added to an existing table that builds its own index.',
    why: 'The index is built (and the columns made NOT NULL, checking every row) under ACCESS EXCLUSIVE: no reads and no writes meanwhile.',
    safer: 'CREATE UNIQUE INDEX CONCURRENTLY … on NOT NULL columns, then ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY USING INDEX ….',
    anchors: ['Squawk adding-serial-primary-key-field', 'Eugene W14'],
    check: (context) => indexBuildingConstraint(context, 'primary key', 'CONSTR_PRIMARY'),
  },
  {
    code: 'PM205',
    name: 'foreign-key-without-index',
    family: 'constraints',
    level: 'low',
    finds: 'A foreign key added by the migration whose referencing columns lead no index (checked at the end of the migration).',
    why: 'Every DELETE or key UPDATE on the referenced table scans the referencing table to check it, holding its locks meanwhile.',
    safer: 'CREATE INDEX CONCURRENTLY on the referencing columns (in the order of the key).',
    anchors: ['Eugene E15'],
    check({ trace, statement }) {
      return trace.foreignKeysWithoutIndex
        .filter((fk) => addingStatement(trace.statements, fk) === statement.index)
        .map((fk) => ({
          message: `foreign key ${fk.constraint} on ${qualified(fk.table)} (${fk.columns.join(', ')}) has no index on its columns`,
          relation: fk.table,
          basis: 'observed',
        }));
    },
  },
  {
    code: 'PM206',
    name: 'domain-with-constraint',
    family: 'constraints',
    level: 'low',
    finds: 'CREATE DOMAIN with a CHECK, or ALTER DOMAIN … ADD CONSTRAINT.',
    why: "Every column of the domain is checked (or, on a type change, rewritten) whenever the domain's constraint changes, under locks on every table that uses it; PostgreSQL cannot reason about such changes cheaply.",
    safer: 'A plain type with a CHECK constraint on each table (added NOT VALID, then validated).',
    anchors: ['Squawk ban-create-domain-with-constraint', 'Squawk ban-alter-domain-with-add-constraint'],
    check({ statement }) {
      const { type, node } = statement.shape;
      const constraints = (list: unknown) => ((list ?? []) as Array<{ Constraint?: { contype?: string } }>).some((c) => c.Constraint?.contype === 'CONSTR_CHECK');
      if (type === 'CreateDomainStmt' && constraints(node.constraints)) return [{ message: 'creates a domain with a CHECK constraint', basis: 'parsed' }];
      if (type === 'AlterDomainStmt' && node.subtype === 'C') return [{ message: 'adds a constraint to a domain: every column of it is checked', basis: 'parsed' }];
      return [];
    },
  },
];

function addedOfType(statement: StatementTrace, types: ConstraintType[]): Array<Extract<ConstraintChange, { kind: 'added' }>> {
  return (statement.changes?.constraints ?? []).filter((c): c is Extract<ConstraintChange, { kind: 'added' }> => c.kind === 'added' && types.includes(c.constraint.type));
}

function indexBuildingConstraint(context: RuleContext, type: ConstraintType, contype: string): RuleHit[] {
  const { statement } = context;
  if (!observed(statement)) {
    return parsedConstraints(context, [contype], 'adds {type} constraint {name} to {table}, building its index under the lock', (c) => !c.indexname);
  }
  return addedOfType(statement, [type])
    .filter((c) => type === 'exclusion' || c.builtIndex)
    .map((c) => ({
      message: `adds ${type} constraint ${c.constraint.name} to ${qualified(c.constraint.table)}${c.builtIndex ? `, building index ${c.builtIndex.name}` : ''} under the lock`,
      relation: relationOf(c.constraint.table),
      basis: 'observed' as const,
      impact: impactOn(statement, c.constraint.table, 'index build'),
    }));
}

/** The SQL-text reading of a constraint rule, for statements the trace did not observe. */
function parsedConstraints({ trace, statement }: RuleContext, contypes: string[], template: string, applies: (c: Record<string, unknown>) => boolean): RuleHit[] {
  const table = targetName(statement.shape);
  if (!table || createdEarlier(trace, statement.index).has(table)) return [];
  return alterCommands(statement.shape)
    .filter((c) => c.subtype === 'AT_AddConstraint')
    .flatMap((c) => {
      const constraint = (c.def?.Constraint ?? {}) as Record<string, unknown>;
      if (!contypes.includes(String(constraint.contype)) || !applies(constraint)) return [];
      const kind = String(constraint.contype).replace('CONSTR_', '').toLowerCase().replace('foreign', 'foreign key').replace('primary', 'primary key');
      const mode = constraint.contype === 'CONSTR_FOREIGN' ? ('ShareRowExclusiveLock' as const) : ('AccessExclusiveLock' as const);
      const work = ['CONSTR_CHECK', 'CONSTR_FOREIGN'].includes(String(constraint.contype)) ? ('validation scan' as const) : ('index build' as const);
      return [
        {
          message: template.replace('{type}', kind).replace('{name}', textOf(constraint.conname)).replace('{table}', table).replace(/\s+/g, ' '),
          basis: 'parsed' as const,
          impact: { blocks: blocksOf(mode), mode, work },
        },
      ];
    });
}

/** The statement that added a foreign key: the first naming its table and a REFERENCES clause. */
function addingStatement(statements: StatementTrace[], fk: { constraint: string; table: { schema: string; name: string } }): number {
  const names = [qualified(fk.table), fk.table.name];
  const found = statements.find((s) => names.includes(targetName(s.shape) ?? '') && /\bREFERENCES\b/i.test(s.statement.sql));
  return found?.index ?? statements.length - 1;
}
