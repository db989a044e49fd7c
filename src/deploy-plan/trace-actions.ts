import type { CommitShape, StatementShape } from './types.js';

/**
 * How the trace runs a migration's statements, decided before anything runs. Pure.
 *
 * The trace reads locks from the tracing backend's pg_locks after each statement, which works only
 * while the statement's transaction is still open: so every statement that PostgreSQL allows in a
 * transaction block runs inside one the trace opens (for a statement that would commit on its own,
 * a block around just that statement: the same transaction, held open long enough to look).
 * Statements PostgreSQL refuses in a block (CREATE INDEX CONCURRENTLY…) run alone, outside.
 *
 * - Transactional migration: one block for all of it; the script's own BEGIN and final COMMIT are
 *   not sent (the trace's block stands for them), so the trace can still roll it all back.
 * - 'each-statement' (one by one, as psql -f runs a file): each statement is a block of its own, the
 *   script's BEGIN … COMMIT one block.
 * - 'commit-points' (the script as one query): statements share a block up to each COMMIT; a
 *   statement that cannot run in a block fails there, as it does in a multi-statement query.
 */
export type TraceAction =
  | { do: 'begin' }
  /** End the open block: ROLLBACK when the script said so, else COMMIT (or ROLLBACK for a transactional trace not asked to commit). */
  | { do: 'end'; rollback?: boolean; note?: string }
  | { do: 'run'; statement: number; inBlock: boolean }
  | { do: 'skip'; statement: number; note: string };

export function planTraceActions(shapes: readonly StatementShape[], transactional: boolean, commits: CommitShape = 'each-statement'): TraceAction[] {
  if (transactional) return transactionalActions(shapes);
  return commits === 'commit-points' ? commitPointActions(shapes) : eachStatementActions(shapes);
}

function transactionalActions(shapes: readonly StatementShape[]): TraceAction[] {
  const actions: TraceAction[] = [{ do: 'begin' }];
  const last = shapes.length - 1;
  shapes.forEach((shape, statement) => {
    switch (shape.control) {
      case 'begin':
        actions.push({ do: 'skip', statement, note: "BEGIN not sent: the trace's own transaction stands for it" });
        break;
      case 'commit':
        actions.push({
          do: 'skip',
          statement,
          note:
            statement === last
              ? 'COMMIT not sent: the trace ends its transaction itself'
              : 'COMMIT not sent: the trace keeps the migration in one transaction (in a real run, the locks taken before it are released here)',
        });
        break;
      case 'rollback':
      case 'prepare':
      case 'commit-prepared':
      case 'rollback-prepared':
        actions.push({ do: 'skip', statement, note: "not sent: it would end the trace's transaction (polymigrate refuses such scripts before running them)" });
        break;
      default:
        actions.push({ do: 'run', statement, inBlock: true });
    }
  });
  actions.push({ do: 'end' });
  return actions;
}

function eachStatementActions(shapes: readonly StatementShape[]): TraceAction[] {
  const actions: TraceAction[] = [];
  let inBlock = false;
  shapes.forEach((shape, statement) => {
    switch (shape.control) {
      case 'begin':
        if (inBlock) actions.push({ do: 'skip', statement, note: 'BEGIN inside a transaction block: PostgreSQL only warns' });
        else actions.push({ do: 'begin' }, { do: 'skip', statement, note: "BEGIN: sent as the trace's BEGIN" });
        inBlock = true;
        return;
      case 'commit':
      case 'rollback':
        if (!inBlock) {
          actions.push({ do: 'skip', statement, note: `${shape.control.toUpperCase()} outside a transaction block: PostgreSQL only warns` });
          return;
        }
        actions.push(
          { do: 'end', ...(shape.control === 'rollback' ? { rollback: true } : {}) },
          { do: 'skip', statement, note: `${shape.control.toUpperCase()}: sent as the trace's ${shape.control.toUpperCase()}` },
        );
        inBlock = false;
        return;
      default:
        break;
    }
    if (inBlock) actions.push({ do: 'run', statement, inBlock: true });
    else if (shape.outsideTransaction || shape.control === 'may-commit') actions.push({ do: 'run', statement, inBlock: false });
    else actions.push({ do: 'begin' }, { do: 'run', statement, inBlock: true }, { do: 'end' });
  });
  if (inBlock) actions.push({ do: 'end', rollback: true, note: 'the script left its transaction open: polymigrate rolls it back and fails the migration' });
  return actions;
}

function commitPointActions(shapes: readonly StatementShape[]): TraceAction[] {
  const actions: TraceAction[] = [{ do: 'begin' }];
  const last = shapes.length - 1;
  let explicit = false;
  shapes.forEach((shape, statement) => {
    if (shape.control === 'begin') {
      explicit = true;
      actions.push({ do: 'skip', statement, note: 'BEGIN: the statements before it join its transaction (one query)' });
    } else if (shape.control === 'commit' || shape.control === 'rollback') {
      explicit = false;
      actions.push(
        { do: 'end', ...(shape.control === 'rollback' ? { rollback: true } : {}) },
        { do: 'skip', statement, note: `${shape.control.toUpperCase()}: sent as the trace's ${shape.control.toUpperCase()}` },
      );
      if (statement < last) actions.push({ do: 'begin' });
    } else {
      actions.push({ do: 'run', statement, inBlock: true });
    }
  });
  const endsWithControl = shapes[last]?.control === 'commit' || shapes[last]?.control === 'rollback';
  if (explicit) actions.push({ do: 'end', rollback: true, note: 'the script left its transaction open: polymigrate rolls it back and fails the migration' });
  else if (!endsWithControl) actions.push({ do: 'end' });
  return actions;
}
