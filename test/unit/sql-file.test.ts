import { describe, expect, it } from 'vitest';
import { hasSqlOutsideLineComments, parseSqlFile } from '../../adapters/sql/sql-file.js';
import type { MigrationFileError } from '../../src/errors.js';

describe('parseSqlFile', () => {
  it('a plain file is one transactional up section', () => {
    const parsed = parseSqlFile('a.sql', 'CREATE TABLE a();\n');
    expect(parsed.up).toEqual({ text: 'CREATE TABLE a();\n', lineOffset: 0, transactional: true });
    expect(parsed.down).toBeUndefined();
  });

  it('splits dbmate-style sections with options and line offsets', () => {
    const text = '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t(x);\n-- migrate:down\nDROP INDEX i;\n';
    const parsed = parseSqlFile('a.sql', text);
    expect(parsed.up.transactional).toBe(false);
    expect(parsed.up.lineOffset).toBe(1);
    expect(parsed.up.text).toContain('CONCURRENTLY');
    expect(parsed.down).toMatchObject({ lineOffset: 3, transactional: true });
    expect(parsed.down!.text).toContain('DROP INDEX');
  });

  it('refuses CONCURRENTLY in a transactional section and names the directive', () => {
    const hintOf = (text: string) => {
      try {
        parseSqlFile('x.sql', text);
      } catch (error) {
        return `${(error as Error).message} ${(error as MigrationFileError).hint}`;
      }
      return 'no error';
    };
    expect(hintOf('CREATE INDEX CONCURRENTLY i ON t(x);')).toMatch(/CREATE INDEX CONCURRENTLY cannot run inside a transaction.*-- migrate:up transaction:false/);
    expect(hintOf('SELECT 1;\n-- migrate:down\nDROP INDEX CONCURRENTLY i;')).toMatch(/-- migrate:down transaction:false/);
  });

  it('rejects unknown options and duplicated sections', () => {
    expect(() => parseSqlFile('x.sql', '-- migrate:up transaction:maybe\nSELECT 1;')).toThrow(/unknown migrate option/);
    expect(() => parseSqlFile('x.sql', '-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;')).toThrow(/two "-- migrate:up"/);
  });

  it('a .down.sql file starts in the down section', () => {
    const parsed = parseSqlFile('x.down.sql', 'DROP TABLE a;', 'down');
    expect(parsed.down!.text).toBe('DROP TABLE a;');
  });

  it('a file that says migrate: outside a directive is still one up section', () => {
    const text = "-- see docs: migrate:up is optional\nINSERT INTO notes VALUES ('migrate:down');\n";
    expect(parseSqlFile('a.sql', text)).toEqual({ up: { text, lineOffset: 0, transactional: true } });
  });

  it('tells SQL from comments and whitespace exactly as stripping -- comments and trimming does', () => {
    const reference = (text: string) => text.replace(/--[^\n]*/g, '').trim() !== '';
    const samples = [
      '',
      '\n\n',
      '-- a\n-- b',
      '-- a\n  \t\r\n',
      '--',
      '-',
      '- -',
      'x',
      '-- c\nSELECT 1',
      '  -- c',
      '\u00a0\ufeff\u2028',
      '-- c\r\n;',
      'a--b',
      '--a\n-',
      '---\n',
      '-- only\n\n   ',
    ];
    for (const text of samples) expect([text, hasSqlOutsideLineComments(text)]).toEqual([text, reference(text)]);
  });
});
