import type { Rule } from '../types.js';
import { textOf } from '../text-of.js';
import { columnDefinitions, targetName, type ColumnDefinition } from './statement-facts.js';

/**
 * Advice on types and names (Squawk's and Eugene's style rules): level 'info', never part of the
 * risk. Read from the SQL, for new tables as well as new columns.
 */
export const styleRules: Rule[] = [
  columnStyle(
    'PM801',
    'prefer-bigint',
    (c) => ['int4', 'int2', 'serial', 'serial4', 'smallserial', 'serial2'].includes(c.type),
    'A column of type integer or smallint (or serial).',
    'Counters and keys outgrow 32 bits (2.1 billion) sooner than expected; widening the column later rewrites the table under ACCESS EXCLUSIVE.',
    'bigint (bigint GENERATED … AS IDENTITY for keys).',
    ['Squawk prefer-bigint-over-int', 'Squawk prefer-bigint-over-smallint'],
  ),
  columnStyle(
    'PM802',
    'prefer-identity',
    (c) => ['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2'].includes(c.type),
    'A serial column.',
    'serial is a sequence and a default glued together: permissions, ownership and copying the table need care; identity columns are standard SQL and behave.',
    'bigint GENERATED ALWAYS AS IDENTITY (or BY DEFAULT).',
    ['Squawk prefer-identity'],
  ),
  columnStyle(
    'PM803',
    'prefer-timestamptz',
    (c) => c.type === 'timestamp',
    'A column of type timestamp without time zone.',
    'It drops the offset: the same instant written from two time zones reads as two different times.',
    'timestamptz (timestamp with time zone).',
    ['Squawk prefer-timestamptz'],
  ),
  columnStyle(
    'PM804',
    'prefer-text-field',
    (c) => c.type === 'varchar' && c.typmods.length > 0,
    'A varchar(n) column.',
    'Changing the limit later takes ACCESS EXCLUSIVE (and shortening it rewrites or scans the table); text with a CHECK (length(col) <= n) can be changed with NOT VALID + VALIDATE.',
    'text, with a CHECK constraint for the limit.',
    ['Squawk prefer-text-field'],
  ),
  columnStyle(
    'PM805',
    'char-column',
    (c) => c.type === 'bpchar',
    'A char(n) / character column.',
    'It pads values with spaces, compares surprisingly, and is no faster than text or varchar in PostgreSQL.',
    'text or varchar.',
    ['Squawk ban-char-field'],
  ),
  {
    code: 'PM806',
    name: 'enum-value-ordering',
    family: 'style',
    level: 'info',
    finds: 'ALTER TYPE … ADD VALUE without BEFORE or AFTER.',
    why: "The value goes last, which changes what < and > mean for queries that rely on the enum's order.",
    safer: "ALTER TYPE … ADD VALUE 'x' BEFORE 'y' (or AFTER), where the order matters.",
    anchors: ['Squawk require-enum-value-ordering'],
    check: ({ statement }) =>
      statement.shape.type === 'AlterEnumStmt' && statement.shape.node.newVal && !statement.shape.node.newValNeighbor
        ? [{ message: `adds enum value '${textOf(statement.shape.node.newVal)}' at the end`, basis: 'parsed' }]
        : [],
  },
  {
    code: 'PM807',
    name: 'creating-enum',
    family: 'style',
    level: 'info',
    finds: 'CREATE TYPE … AS ENUM.',
    why: 'Values cannot be removed or renamed cheaply later, and no data can be attached to a value.',
    safer: 'A lookup table with a foreign key to it.',
    anchors: ['Eugene W13'],
    check: ({ statement }) => (statement.shape.type === 'CreateEnumStmt' ? [{ message: 'creates an enum type', basis: 'parsed' }] : []),
  },
  {
    code: 'PM808',
    name: 'identifier-too-long',
    family: 'style',
    level: 'info',
    finds: 'A name longer than 63 bytes.',
    why: 'PostgreSQL truncates it silently (with a NOTICE): the object gets another name than the one written, which later migrations and code will not find.',
    safer: 'Names of at most 63 bytes.',
    anchors: ['Squawk identifier-too-long'],
    check: ({ statement }) =>
      longNames(statement.statement.sql).map((name) => ({ message: `names "${name}" (${Buffer.byteLength(name)} bytes): PostgreSQL keeps the first 63`, basis: 'parsed' as const })),
  },
];

function columnStyle(code: string, name: string, matches: (c: ColumnDefinition) => boolean, finds: string, why: string, safer: string, anchors: string[]): Rule {
  return {
    code,
    name,
    family: 'style',
    level: 'info',
    finds,
    why,
    safer,
    anchors,
    check({ statement }) {
      const columns = columnDefinitions(statement.shape).filter(matches);
      if (columns.length === 0) return [];
      return [
        {
          message: `${targetName(statement.shape) ?? 'table'}: ${columns.map((c) => `${c.name} ${c.type}${c.typmods.length ? `(${c.typmods.join(',')})` : ''}`).join(', ')}`,
          basis: 'parsed',
        },
      ];
    },
  };
}

/**
 * Identifiers longer than 63 bytes, read from the SQL text: PostgreSQL's scanner (and so the parse
 * tree) has already truncated them. String literals and comments are left out.
 */
function longNames(sql: string): string[] {
  const code = sql.replace(/'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  const names = [...code.matchAll(/"((?:[^"]|"")+)"|([A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)/g)].map((m) => (m[1] ?? m[2])!.replace(/""/g, '"'));
  return [...new Set(names.filter((name) => Buffer.byteLength(name) > 63))];
}
