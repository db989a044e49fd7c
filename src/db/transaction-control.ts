import { mayTakeTransactionControl } from './sql-lexer.js';
import { parseScript, PARSER_PG_MAJOR, type ParsedStatement } from './pg-parser.js';

/**
 * What a migration script does with transactions, decided before anything runs.
 *
 * A script that holds BEGIN/COMMIT (or ROLLBACK, SAVEPOINT, SET TRANSACTION, CALL…) cannot run
 * inside polymigrate's transaction: its BEGIN would only warn, its COMMIT would commit
 * polymigrate's transaction halfway, and the history row written after it would no longer commit
 * with the script. Such a script runs the way its engine runs it (src/run/step-pipeline.ts), and
 * this module says how it commits, statement by statement, as PostgreSQL runs one multi-statement
 * query (what Prisma, the Supabase CLI and dbmate send): statements up to a COMMIT commit
 * together; statements before a BEGIN join the BEGIN's transaction; a ROLLBACK discards.
 */
export type ControlKind =
  | 'begin'
  | 'commit'
  | 'rollback'
  | 'rollback-to'
  | 'savepoint'
  | 'release'
  | 'prepare'
  | 'commit-prepared'
  | 'rollback-prepared'
  | 'set-transaction'
  | 'session-characteristics'
  /** A procedure call or a DO block whose body commits or rolls back: it may commit halfway. */
  | 'may-commit';

export interface ScriptStatement {
  /** Character offset in the script. */
  offset: number;
  text: string;
  control?: ControlKind;
}

export interface ScriptProblem {
  /** Character offset in the script of the statement at fault (or the parser's error). */
  offset: number;
  message: string;
  hint: string;
}

export interface ControlAnalysis {
  statements: ScriptStatement[];
  /** Some statement takes control of transactions: the script must not run inside polymigrate's transaction. */
  takesControl: boolean;
  /**
   * How the script commits when sent as one query: 'at-end' — one transaction that ends with the
   * script (its last statement is its only COMMIT, or it has none); 'in-steps' — part of it can
   * commit before a later statement fails.
   */
  commits: 'at-end' | 'in-steps';
  /** Index of the script's final COMMIT/END statement when `commits` is 'at-end' and it has one. */
  finalCommit?: number;
  /** Reasons to refuse the script before anything runs. */
  problems: ScriptProblem[];
}

/** Scripts no statement of which takes control: the common case, decided without the parser. */
const PLAIN: ControlAnalysis = Object.freeze({ statements: [], takesControl: false, commits: 'at-end', problems: [] });

/**
 * Analyse `text`. Cheap for scripts the lexer clears (no statement starts with a control word);
 * the others are parsed by PostgreSQL's own parser, so statement boundaries and kinds are exact.
 */
export async function analyzeTransactionControl(text: string): Promise<ControlAnalysis> {
  if (!mayTakeTransactionControl(text)) return PLAIN;
  const parsed = await parseScript(text);
  if (!parsed.ok) {
    return {
      ...PLAIN,
      problems: [
        {
          offset: parsed.index ?? 0,
          message: `PostgreSQL's parser (version ${PARSER_PG_MAJOR}) rejects it: ${parsed.message}`,
          hint: 'Fix the SQL; nothing of this migration ran.',
        },
      ],
    };
  }
  const statements = parsed.statements.map(classify);
  const problems = statements.flatMap((statement, index) => statementProblems(statement, parsed.statements[index]!));
  const takesControl = statements.some((s) => s.control !== undefined);
  const shape = commitShape(statements);
  if (shape.openBegin !== undefined) {
    problems.push({
      offset: statements[shape.openBegin]!.offset,
      message: 'its BEGIN is never committed: nothing after it would commit, and the transaction would stay open',
      hint: 'End the transaction with COMMIT; (or remove the BEGIN and let polymigrate run the migration in a transaction).',
    });
  }
  return { statements, takesControl, commits: shape.commits, ...(shape.finalCommit !== undefined ? { finalCommit: shape.finalCommit } : {}), problems };
}

const TRANSACTION_KINDS: Record<string, ControlKind> = {
  TRANS_STMT_BEGIN: 'begin',
  TRANS_STMT_START: 'begin',
  TRANS_STMT_COMMIT: 'commit',
  TRANS_STMT_ROLLBACK: 'rollback',
  TRANS_STMT_SAVEPOINT: 'savepoint',
  TRANS_STMT_RELEASE: 'release',
  TRANS_STMT_ROLLBACK_TO: 'rollback-to',
  TRANS_STMT_PREPARE: 'prepare',
  TRANS_STMT_COMMIT_PREPARED: 'commit-prepared',
  TRANS_STMT_ROLLBACK_PREPARED: 'rollback-prepared',
};

function classify(statement: ParsedStatement): ScriptStatement {
  const control = controlOf(statement);
  return { offset: statement.offset, text: statement.text, ...(control ? { control } : {}) };
}

/** The transaction control one parsed statement takes, if any. */
export function controlOf({ type, node }: ParsedStatement): ControlKind | undefined {
  switch (type) {
    case 'TransactionStmt': {
      const kind = TRANSACTION_KINDS[String(node.kind)];
      // `COMMIT AND CHAIN` commits and begins again at once: for the shape it is a COMMIT then a BEGIN,
      // which commitShape sees through `chain`.
      return kind;
    }
    case 'VariableSetStmt':
      if (node.name === 'TRANSACTION') return 'set-transaction';
      if (node.name === 'SESSION CHARACTERISTICS') return 'session-characteristics';
      return undefined;
    case 'CallStmt':
      return 'may-commit';
    case 'DoStmt':
      return /\b(COMMIT|ROLLBACK)\b/i.test(doBody(node)) ? 'may-commit' : undefined;
    default:
      return undefined;
  }
}

function doBody(node: Record<string, unknown>): string {
  const args = (node.args ?? []) as Array<{ DefElem?: { defname?: string; arg?: { String?: { sval?: string } } } }>;
  return args.map((a) => (a.DefElem?.defname === 'as' ? (a.DefElem.arg?.String?.sval ?? '') : '')).join('\n');
}

function statementProblems(statement: ScriptStatement, parsed: ParsedStatement): ScriptProblem[] {
  const { offset } = statement;
  switch (statement.control) {
    case 'rollback':
      return [
        {
          offset,
          message: 'ROLLBACK (or ABORT) discards what the statements before it did, so the migration would be recorded as applied with that work missing',
          hint: 'Remove the ROLLBACK and whatever it was meant to undo.',
        },
      ];
    case 'prepare':
    case 'commit-prepared':
    case 'rollback-prepared':
      return [
        {
          offset,
          message: 'two-phase commit (PREPARE TRANSACTION / COMMIT PREPARED / ROLLBACK PREPARED) in a migration leaves or ends a prepared transaction outside the run',
          hint: 'Use BEGIN … COMMIT, or none: polymigrate runs each migration in a transaction.',
        },
      ];
    default:
      break;
  }
  if (parsed.type === 'CopyStmt' && !parsed.node.filename && !parsed.node.is_program) {
    const from = parsed.node.is_from === true;
    return [
      {
        offset,
        message: from
          ? "COPY … FROM STDIN reads rows that the client sends after the statement (psql's and pg_dump's data sections), which no migration engine sends"
          : 'COPY … TO STDOUT sends rows to the client, which a migration cannot receive',
        hint: from ? 'Load the rows with INSERT … VALUES (pg_dump --inserts writes them), or COPY FROM a file on the database server.' : 'Remove it from the migration.',
      },
    ];
  }
  return [];
}

/**
 * Walk the statements as PostgreSQL runs one multi-statement query: a commit point is a COMMIT/END
 * (of an explicit block, or of the implicit one). A procedure that may commit counts as a commit
 * point anywhere. The script commits 'at-end' when its only commit point is its last statement.
 */
function commitShape(statements: ScriptStatement[]): { commits: 'at-end' | 'in-steps'; finalCommit?: number; openBegin?: number } {
  let openBegin: number | undefined;
  const commitPoints: number[] = [];
  statements.forEach((statement, index) => {
    if (statement.control === 'begin') openBegin ??= index;
    else if (statement.control === 'commit') {
      commitPoints.push(index);
      openBegin = /\bAND\s+CHAIN\b/i.test(statement.text) ? index : undefined;
    } else if (statement.control === 'may-commit') commitPoints.push(index);
  });
  const last = statements.length - 1;
  const atEnd = commitPoints.length === 0 || (commitPoints.length === 1 && commitPoints[0] === last && statements[last]!.control === 'commit');
  return {
    commits: atEnd ? 'at-end' : 'in-steps',
    ...(atEnd && commitPoints.length === 1 ? { finalCommit: last } : {}),
    ...(openBegin !== undefined ? { openBegin } : {}),
  };
}

/**
 * After statement `failed` (0-based) of a script sent as one query failed, did anything of the
 * script commit? Yes when a commit point completed before it (a procedure that may have committed
 * counts). Statements since the last commit point were rolled back with the failure.
 */
export function committedBefore(statements: ScriptStatement[], failed: number): boolean {
  for (let i = 0; i < failed && i < statements.length; i += 1) {
    const control = statements[i]!.control;
    if (control === 'commit' || control === 'may-commit') return true;
  }
  return false;
}

/** Control statements that change nothing in the database when they complete outside a block. */
const NO_WORK = new Set<ControlKind | undefined>(['set-transaction', 'session-characteristics', 'savepoint', 'release', 'rollback-to']);

/**
 * The same question for a script run statement by statement (outside any transaction, as psql -f
 * does): a statement outside an explicit block commits when it completes; one inside commits with
 * the block's COMMIT.
 */
export function committedBeforeOneByOne(statements: ScriptStatement[], failed: number): boolean {
  let inBlock = false;
  for (let i = 0; i < failed && i < statements.length; i += 1) {
    const control = statements[i]!.control;
    if (control === 'begin') inBlock = true;
    else if (control === 'commit') {
      if (inBlock) return true;
      inBlock = /\bAND\s+CHAIN\b/i.test(statements[i]!.text);
    } else if (control === 'may-commit' || (!inBlock && !NO_WORK.has(control))) {
      return true;
    }
  }
  return false;
}
