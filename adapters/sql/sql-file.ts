import { MigrationFileError } from '../../src/errors.js';
import { findNonTransactionalStatement } from '../../src/db/sql-lexer.js';

/**
 * One SQL migration file, dbmate-compatible:
 *
 *   -- migrate:up transaction:false      (optional; the file starts in the up section)
 *   CREATE INDEX CONCURRENTLY …;
 *   -- migrate:down
 *   DROP INDEX …;
 *
 * A `<stem>.down.sql` beside the file is the other way to give a down; it may start with
 * `-- migrate:down transaction:false`.
 */
export interface SqlSection {
  text: string;
  /** 0-based line of the file where `text` starts (for error positions). */
  lineOffset: number;
  transactional: boolean;
}

export interface ParsedSqlFile {
  up: SqlSection;
  down?: SqlSection;
}

const DIRECTIVE = /^--\s*migrate:(up|down)\b(.*)$/;

function parseOptions(file: string, line: number, rest: string): { transactional: boolean } {
  let transactional = true;
  for (const option of rest.trim().split(/\s+/).filter(Boolean)) {
    if (option === 'transaction:false') transactional = false;
    else if (option === 'transaction:true') transactional = true;
    else {
      throw new MigrationFileError(file, `line ${line}: unknown migrate option "${option}".`, 'The only option is transaction:false (run this section outside a transaction).');
    }
  }
  return { transactional };
}

function splitSections(file: string, content: string, defaultSection: 'up' | 'down'): Partial<Record<'up' | 'down', SqlSection>> {
  const lines = content.split('\n');
  const sections: Partial<Record<'up' | 'down', SqlSection>> = {};
  let current: 'up' | 'down' = defaultSection;
  let start = 0;
  let transactional = true;
  let seenDirective = false;

  const close = (end: number) => {
    const text = lines.slice(start, end).join('\n');
    if (sections[current]) {
      throw new MigrationFileError(file, `has two "-- migrate:${current}" sections.`, 'Keep one up and at most one down section.');
    }
    sections[current] = { text, lineOffset: start, transactional };
  };

  lines.forEach((raw, index) => {
    const match = DIRECTIVE.exec(raw.trim());
    if (!match) return;
    const section = match[1] as 'up' | 'down';
    // Text before the first directive belongs to the default section only if it holds SQL.
    if (seenDirective || hasSqlOutsideLineComments(lines.slice(start, index).join('\n'))) close(index);
    seenDirective = true;
    current = section;
    start = index + 1;
    transactional = parseOptions(file, index + 1, match[2] ?? '').transactional;
  });
  close(lines.length);
  return sections;
}

/** What String.prototype.trim strips. */
const WHITESPACE = /\s/;

/**
 * True when `text` holds anything besides whitespace and `--` line comments: the same answer as
 * removing the comments and trimming, without copying the text (status reads every file).
 */
export function hasSqlOutsideLineComments(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
      const end = text.indexOf('\n', i + 2);
      if (end === -1) return false;
      i = end;
    } else if (!WHITESPACE.test(text[i]!)) {
      return true;
    }
  }
  return false;
}

export function parseSqlFile(file: string, content: string, defaultSection: 'up' | 'down' = 'up'): ParsedSqlFile {
  let sections: Partial<Record<'up' | 'down', SqlSection>>;
  if (content.includes('migrate:')) {
    sections = splitSections(file, content, defaultSection);
    for (const [name, section] of Object.entries(sections)) refuseNonTransactional(file, name, section);
  } else {
    // A file without a directive is one section: no need to split it into lines (most files).
    const section = { text: content, lineOffset: 0, transactional: true };
    refuseNonTransactional(file, defaultSection, section);
    sections = { [defaultSection]: section };
  }
  const up = sections.up ?? { text: '', lineOffset: 0, transactional: true };
  return sections.down ? { up, down: sections.down } : { up };
}

function refuseNonTransactional(file: string, name: string, section: SqlSection | undefined): void {
  if (!section?.transactional) return;
  const statement = findNonTransactionalStatement(section.text);
  if (statement) {
    throw new MigrationFileError(
      file,
      `${statement} cannot run inside a transaction, and this ${name} section runs in one.`,
      `Put "-- migrate:${name} transaction:false" on the line before the ${name} SQL to run it outside a transaction, statement by statement.`,
    );
  }
}
