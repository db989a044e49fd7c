import type { Rule, StatementTrace } from '../types.js';

/** How a migration uses transactions: left open, committed in steps, not safe to run again. */
export const transactionRules: Rule[] = [
  {
    code: 'PM701',
    name: 'uncommitted-transaction',
    family: 'transactions',
    level: 'high',
    finds: 'A BEGIN with no COMMIT after it in the migration.',
    why: 'Nothing after the BEGIN would commit: the migration looks applied while its changes are rolled back (polymigrate refuses such a script before running it).',
    safer: 'End the block with COMMIT, or remove the BEGIN and let polymigrate run the migration in a transaction.',
    anchors: ['Squawk ban-uncommitted-transaction'],
    check({ trace, statement }) {
      if (statement.shape.control !== 'begin') return [];
      const ends = trace.statements.slice(statement.index + 1).some((s) => s.shape.control === 'commit' || s.shape.control === 'rollback');
      return ends ? [] : [{ message: 'opens a transaction that the migration never commits', basis: 'parsed' }];
    },
  },
  {
    code: 'PM702',
    name: 'commits-in-steps',
    family: 'transactions',
    level: 'medium',
    finds: 'A COMMIT (or a procedure that may commit) followed by more statements.',
    why: 'What ran before it stays committed if a later statement fails: the migration is left half applied, and its engine records it failed (Prisma) or cannot record it at all.',
    safer: 'One transaction per migration: split the file at the COMMIT into two migrations.',
    anchors: ['Squawk transaction-nesting'],
    check({ trace, statement }) {
      const commits = statement.shape.control === 'commit' || statement.shape.control === 'may-commit';
      const more = trace.statements.slice(statement.index + 1).some((s) => !s.shape.control || s.shape.control === 'may-commit');
      return commits && more ? [{ message: 'commits part of the migration before the rest runs: a later failure leaves it half applied', basis: 'parsed' }] : [];
    },
  },
  {
    code: 'PM703',
    name: 'non-robust-statement',
    family: 'transactions',
    level: 'low',
    finds: 'In a migration that runs outside a transaction, a CREATE without IF NOT EXISTS or a DROP without IF EXISTS.',
    why: 'When a later statement fails, the earlier ones stay committed: running the migration again fails at the first of them, and it needs repairing by hand.',
    safer: 'CREATE … IF NOT EXISTS / ADD COLUMN IF NOT EXISTS / DROP … IF EXISTS (and for an index built CONCURRENTLY, drop an INVALID leftover first).',
    anchors: ['Squawk prefer-robust-stmts'],
    check({ trace, statement }) {
      if (trace.transactional || trace.statements.filter((s) => !s.shape.control).length < 2 || insideBlock(trace.statements, statement.index)) return [];
      const what = fragile(statement);
      return what ? [{ message: `${what} fails when the migration is run again after a partial failure`, basis: 'parsed' }] : [];
    },
  },
];

const CREATES: Record<string, string> = {
  CreateStmt: 'CREATE TABLE',
  IndexStmt: 'CREATE INDEX',
  CreateSeqStmt: 'CREATE SEQUENCE',
  CreateSchemaStmt: 'CREATE SCHEMA',
};

function fragile({ shape }: StatementTrace): string | undefined {
  const { type, node } = shape;
  if (CREATES[type] && !node.if_not_exists) return `${CREATES[type]} without IF NOT EXISTS`;
  if (type === 'DropStmt' && !node.missing_ok) return 'DROP without IF EXISTS';
  const cmds = (node.cmds ?? []) as Array<{ AlterTableCmd?: { subtype?: string; missing_ok?: boolean } }>;
  if (type === 'AlterTableStmt' && cmds.some((c) => c.AlterTableCmd?.subtype === 'AT_AddColumn' && !c.AlterTableCmd.missing_ok)) return 'ADD COLUMN without IF NOT EXISTS';
  return undefined;
}

function insideBlock(statements: StatementTrace[], index: number): boolean {
  let open = false;
  for (const s of statements.slice(0, index)) {
    if (s.shape.control === 'begin') open = true;
    else if (s.shape.control === 'commit' || s.shape.control === 'rollback') open = false;
  }
  return open;
}
