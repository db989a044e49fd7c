import { describe, expect, it } from 'vitest';
import { findNonTransactionalStatement, splitStatements } from '../../src/db/sql-lexer.js';
import { positionToLineColumn } from '../../src/db/run-sql-script.js';

describe('splitStatements', () => {
  it('splits on semicolons outside strings, comments and dollar quotes', () => {
    const sql = [
      "CREATE TABLE a (v text DEFAULT 'x;y');",
      '-- a comment; with a semicolon',
      'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;',
      'CREATE FUNCTION g() RETURNS int AS $body$ BEGIN RETURN 2; END $body$ LANGUAGE plpgsql;',
      '/* block; /* nested; */ still comment; */ SELECT "weird;name" FROM a',
    ].join('\n');
    const parts = splitStatements(sql).map((s) => s.text);
    expect(parts).toHaveLength(4);
    expect(parts[0]).toBe("CREATE TABLE a (v text DEFAULT 'x;y')");
    expect(parts[1]).toContain('$$ SELECT 1; $$');
    expect(parts[2]).toContain('RETURN 2; END');
    expect(parts[3]).toContain('"weird;name"');
  });

  it('keeps offsets that point at each statement in the script', () => {
    const sql = 'SELECT 1;\n\n  SELECT 2;';
    const [first, second] = splitStatements(sql);
    expect(sql.slice(first!.offset, first!.offset + first!.text.length)).toBe('SELECT 1');
    expect(sql.slice(second!.offset, second!.offset + second!.text.length)).toBe('SELECT 2');
  });

  it('drops comment-only pieces and handles E-strings and doubled quotes', () => {
    const parts = splitStatements("SELECT E'it\\'s;'; SELECT 'a''b;c'; -- trailing\n;").map((s) => s.text);
    expect(parts).toEqual(["SELECT E'it\\'s;'", "SELECT 'a''b;c'"]);
  });
});

describe('findNonTransactionalStatement', () => {
  it('finds CONCURRENTLY index statements and friends', () => {
    expect(findNonTransactionalStatement('create unique index concurrently i on t(x);')).toBe('CREATE INDEX CONCURRENTLY');
    expect(findNonTransactionalStatement('DROP INDEX CONCURRENTLY i;')).toBe('DROP INDEX CONCURRENTLY');
    expect(findNonTransactionalStatement('VACUUM t;')).toBe('VACUUM');
    expect(findNonTransactionalStatement('ALTER SYSTEM SET x = 1;')).toBe('ALTER SYSTEM');
  });

  it('ignores mentions in comments, strings and function bodies', () => {
    expect(findNonTransactionalStatement("-- CREATE INDEX CONCURRENTLY later\nSELECT 'VACUUM';")).toBeUndefined();
    expect(findNonTransactionalStatement('CREATE FUNCTION f() RETURNS void AS $$ VACUUM $$ LANGUAGE sql;')).toBeUndefined();
    expect(findNonTransactionalStatement('CREATE INDEX i ON t(x);')).toBeUndefined();
  });
});

describe('positionToLineColumn', () => {
  it('maps a 1-based character position to file line and column', () => {
    const source = { file: 'f.sql', text: 'SELECT 1;\nSELEC 2;', lineOffset: 3 };
    expect(positionToLineColumn(source, '11')).toEqual({ line: 5, column: 1 });
    expect(positionToLineColumn(source, '8')).toEqual({ line: 4, column: 8 });
    expect(positionToLineColumn(source, undefined)).toBeUndefined();
  });

  it('counts characters, not UTF-16 units', () => {
    const source = { file: 'f.sql', text: "SELECT '🙂', bad", lineOffset: 0 };
    // PostgreSQL's position of "bad" counts the emoji as one character.
    expect(positionToLineColumn(source, '14')).toEqual({ line: 1, column: 14 });
  });
});
