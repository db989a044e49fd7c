import type { SqlSource } from '../adapter/contract.js';
import { parseScript, type ParsedStatement } from '../db/pg-parser.js';
import { lineColumnAtIndex } from '../db/run-sql-script.js';
import { findNonTransactionalStatement, splitStatements } from '../db/sql-lexer.js';
import { controlOf } from '../db/transaction-control.js';
import type { StatementShape, TraceStatement } from './types.js';

/**
 * Statements as the trace and the rules see them: one parse node each, from PostgreSQL's own
 * parser. A text that holds several statements (a captured multi-statement query, Payload's
 * `db.execute(sql`…`)`) becomes several, each with its own line and leading comments, so a finding
 * and an inline ignore land on the statement they are about.
 */
export interface ShapedStatement {
  statement: TraceStatement;
  shape: StatementShape;
}

/** A migration file's statements, with their lines and the comments before each (for inline ignores). */
export async function statementsFromSource(source: SqlSource): Promise<TraceStatement[]> {
  const parsed = await parseScript(source.text);
  const pieces = parsed.ok ? parsed.statements : splitStatements(source.text);
  let previousEnd = 0;
  return pieces.map((piece) => {
    const leading = source.text.slice(previousEnd, piece.offset).replace(/^\s*;/, '');
    previousEnd = piece.offset + piece.text.length;
    return { sql: piece.text, file: source.file, line: lineColumnAtIndex(source, piece.offset).line, leading };
  });
}

export async function shapeStatements(statements: readonly TraceStatement[]): Promise<ShapedStatement[]> {
  const shaped: ShapedStatement[] = [];
  for (const statement of statements) {
    const parsed = await parseScript(statement.sql);
    if (!parsed.ok) {
      shaped.push({ statement, shape: { type: 'unparsed', node: {}, ...outside(statement.sql) } });
      continue;
    }
    shaped.push(...split(statement, parsed.statements));
  }
  return shaped;
}

function split(statement: TraceStatement, parsed: ParsedStatement[]): ShapedStatement[] {
  if (parsed.length === 1) return [{ statement: { ...statement, sql: parsed[0]!.text }, shape: shapeOf(parsed[0]!) }];
  let previousEnd = 0;
  return parsed.map((piece, index) => {
    const before = statement.sql.slice(0, piece.offset);
    const between = statement.sql.slice(previousEnd, piece.offset).replace(/^\s*;/, '');
    previousEnd = piece.offset + piece.text.length;
    const leading = index === 0 ? `${statement.leading ?? ''}${between}` : between;
    const line = statement.line !== undefined ? statement.line + (before.match(/\n/g)?.length ?? 0) : undefined;
    return {
      statement: { ...statement, sql: piece.text, leading, ...(line !== undefined ? { line } : {}) },
      shape: shapeOf(piece),
    };
  });
}

function shapeOf(parsed: ParsedStatement): StatementShape {
  const control = controlOf(parsed);
  return { type: parsed.type, node: parsed.node, ...(control ? { control } : {}), ...outside(parsed.text) };
}

function outside(sql: string): { outsideTransaction?: string } {
  const label = findNonTransactionalStatement(sql);
  return label ? { outsideTransaction: label } : {};
}
