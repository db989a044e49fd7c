import { describe, expect, it } from 'vitest';
import { sqlLiteral, sqlTextArray } from '../../src/db/sql-literal.js';
import { positionToLineColumn } from '../../src/db/run-sql-script.js';

describe('SQL literals for rows sent with a script', () => {
  it('quotes strings, numbers and NULL, and refuses NUL characters', () => {
    expect(sqlLiteral("it's ☕")).toBe("'it''s ☕'");
    expect(sqlLiteral('back\\slash')).toBe("'back\\slash'");
    expect(sqlLiteral(42)).toBe('42');
    expect(sqlLiteral(null)).toBe('NULL');
    expect(() => sqlLiteral('a\u0000b')).toThrow(/NUL/);
    expect(() => sqlLiteral(Number.NaN)).toThrow(/finite/);
    expect(sqlTextArray(["a'b", 'c'])).toBe("ARRAY['a''b', 'c']::text[]");
    expect(sqlTextArray([])).toBe("'{}'::text[]");
  });

  it('an error position past the script (in the appended row) maps to no file position', () => {
    expect(positionToLineColumn({ file: 'f.sql', text: 'SELECT 1;', lineOffset: 0 }, '30')).toBeUndefined();
  });
});
