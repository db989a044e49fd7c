import { describe, expect, it } from 'vitest';
import { analyzeTransactionControl, committedBefore, committedBeforeOneByOne } from '../../src/db/transaction-control.js';
import { mayTakeTransactionControl } from '../../src/db/sql-lexer.js';
import { parseScript } from '../../src/db/pg-parser.js';
import { decodeScript, firstInvalidUtf8 } from '../../src/discover/script-text.js';

describe("mayTakeTransactionControl (the lexer's cheap first look)", () => {
  it('clears scripts whose BEGIN/END/COMMIT words sit in bodies, strings, comments or mid-statement', () => {
    expect(
      mayTakeTransactionControl(
        [
          'CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN COMMIT; RETURN NEW; END $$ LANGUAGE plpgsql;',
          "INSERT INTO t VALUES ('BEGIN; COMMIT;') ON CONFLICT DO NOTHING;",
          '-- COMMIT;',
          'CREATE TEMP TABLE x (id int) ON COMMIT DROP;',
          'SELECT CASE WHEN true THEN 1 END;',
        ].join('\n'),
      ),
    ).toBe(false);
  });

  it('flags statements that start with a control word', () => {
    for (const sql of [
      'BEGIN;',
      'select 1;\nstart transaction;',
      'x;\n  COMMIT',
      'ROLLBACK;',
      'SAVEPOINT a;',
      'CALL p();',
      'COPY t FROM stdin;',
      'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;',
      'DO $$ BEGIN COMMIT; END $$;',
    ]) {
      expect(mayTakeTransactionControl(sql), sql).toBe(true);
    }
  });
});

describe("analyzeTransactionControl (PostgreSQL's parser decides)", () => {
  it("leaves a plain script to polymigrate's transaction without loading the parser", async () => {
    const analysis = await analyzeTransactionControl('CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n');
    expect(analysis).toMatchObject({ takesControl: false, commits: 'at-end', problems: [] });
  });

  it('a whole-file BEGIN … COMMIT (with SET TRANSACTION) is one transaction ending with its last statement', async () => {
    const sql =
      '-- Prisma does not automatically wrap PostgreSQL migrations in a transaction.\nBEGIN;\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\n' +
      'INSERT INTO a SELECT 1 ON CONFLICT DO NOTHING;\nCOMMIT;\n-- done\n';
    const analysis = await analyzeTransactionControl(sql);
    expect(analysis.takesControl).toBe(true);
    expect(analysis.commits).toBe('at-end');
    expect(analysis.finalCommit).toBe(3);
    expect(analysis.statements.map((s) => s.control ?? '-')).toEqual(['begin', 'set-transaction', '-', 'commit']);
    expect(sql.slice(analysis.statements[2]!.offset)).toMatch(/^INSERT INTO a/);
    expect(analysis.problems).toEqual([]);
  });

  it('two blocks commit in steps; a CALL or a committing DO counts as a commit point', async () => {
    expect((await analyzeTransactionControl('BEGIN; CREATE TABLE a (); COMMIT; BEGIN; CREATE TABLE b (); COMMIT;')).commits).toBe('in-steps');
    expect((await analyzeTransactionControl('CALL p(); CREATE TABLE a ();')).commits).toBe('in-steps');
    const doCommit = await analyzeTransactionControl('DO $$ BEGIN INSERT INTO t VALUES (1); COMMIT; END $$;');
    expect(doCommit.statements[0]!.control).toBe('may-commit');
    const doPlain = await analyzeTransactionControl('DO $$ BEGIN PERFORM 1; END $$;');
    expect(doPlain.takesControl).toBe(false);
  });

  it('a BEGIN ATOMIC function body is not transaction control', async () => {
    const analysis = await analyzeTransactionControl('CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nCREATE TABLE a ();');
    expect(analysis.takesControl).toBe(false);
    expect(analysis.statements).toHaveLength(2);
  });

  it('refuses ROLLBACK, two-phase commit, an unclosed BEGIN, COPY FROM STDIN and syntax errors, with the offset of the statement', async () => {
    const rollback = 'CREATE TABLE r1 (id int);\nROLLBACK;\nCREATE TABLE r2 (id int);';
    const [r] = (await analyzeTransactionControl(rollback)).problems;
    expect(r!.message).toMatch(/ROLLBACK/);
    expect(rollback.slice(r!.offset)).toMatch(/^ROLLBACK/);
    expect((await analyzeTransactionControl("BEGIN; SELECT 1; PREPARE TRANSACTION 'x';")).problems[0]!.message).toMatch(/two-phase/);
    const open = 'CREATE TABLE a ();\nBEGIN;\nCREATE TABLE b ();\n';
    const [o] = (await analyzeTransactionControl(open)).problems;
    expect(o!.message).toMatch(/never committed/);
    expect(open.slice(o!.offset)).toMatch(/^BEGIN/);
    const copy = 'CREATE TABLE t (a int);\nCOPY t (a) FROM stdin;\n1\n\\.\n';
    expect((await analyzeTransactionControl(copy)).problems[0]?.message ?? '').toMatch(/COPY|syntax/);
    expect((await analyzeTransactionControl('COPY t (a) FROM stdin;')).problems[0]!.message).toMatch(/FROM STDIN/);
    expect((await analyzeTransactionControl("COPY t FROM '/srv/t.csv';")).problems).toEqual([]);
    const syntax = 'BEGIN;\nSELEC 1;\nCOMMIT;';
    const [s] = (await analyzeTransactionControl(syntax)).problems;
    expect(s!.message).toMatch(/syntax error at or near "SELEC"/);
    expect(syntax.slice(s!.offset)).toMatch(/^SELEC/);
  });

  it('knows what committed before a failing statement, as one query and one statement at a time', async () => {
    const { statements } = await analyzeTransactionControl('CREATE TABLE x ();\nBEGIN;\nCREATE TABLE a ();\nCOMMIT;\nBEGIN;\nCREATE TABLE b ();\nCOMMIT;');
    // As one query: x joins the first block; only the first COMMIT commits anything before statement 6.
    expect(committedBefore(statements, 2)).toBe(false);
    expect(committedBefore(statements, 5)).toBe(true);
    // One by one: x commits on its own.
    expect(committedBeforeOneByOne(statements, 1)).toBe(true);
    const inBlock = (await analyzeTransactionControl('BEGIN;\nCREATE TABLE a ();\nSELECT 1/0;\nCOMMIT;')).statements;
    expect(committedBeforeOneByOne(inBlock, 2)).toBe(false);
  });
});

describe('parseScript', () => {
  it('gives statement offsets in string indexes, also after multi-byte characters', async () => {
    const sql = 'SELECT \'é☕𝄞\';\n  CREATE TABLE "café" ();';
    const parsed = await parseScript(sql);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.statements.map((s) => sql.slice(s.offset, s.offset + s.text.length))).toEqual(["SELECT 'é☕𝄞'", 'CREATE TABLE "café" ()']);
  });
});

describe('decodeScript', () => {
  it('names the first invalid byte with its offset and line, and keeps the decoded text for checksums', () => {
    const bytes = Buffer.concat([Buffer.from("CREATE TABLE a ();\nINSERT INTO a VALUES ('"), Buffer.from([0xe9]), Buffer.from("');\n")]);
    const decoded = decodeScript(bytes);
    expect(decoded.validUtf8).toBe(false);
    expect(decoded.problem).toMatch(/byte 0xe9 at byte offset 42 \(line 2\)/);
    expect(decoded.text).toContain('\ufffd');
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1); // a UTF-16 surrogate
    expect(firstInvalidUtf8(Buffer.from('ok ☕', 'utf8'))).toBe(6);
  });

  it('names a byte-order mark', () => {
    expect(decodeScript(Buffer.from('\ufeffCREATE TABLE a ();', 'utf8')).problem).toMatch(/byte-order mark/);
    expect(decodeScript(Buffer.from('CREATE TABLE a ();', 'utf8')).problem).toBeUndefined();
  });
});
