import type { Rule } from '../types.js';
import { observed, qualified, relationOf, targetName } from './statement-facts.js';

/**
 * Renames: instant for PostgreSQL, fatal for the application. During a rolling deploy the old
 * version keeps running against the new schema, and every query that names the old name fails.
 */
export const renameRules: Rule[] = [
  {
    code: 'PM601',
    name: 'rename-table',
    family: 'renames',
    level: 'high',
    finds: 'A table or view that existed before the migration is renamed or moved to another schema.',
    why: 'The version of the application still running during the deploy (and every other client) names the old table: all its queries on it fail until it is replaced.',
    safer:
      'Keep the table name and rename the model in the code; or rename, then CREATE VIEW old_name AS SELECT * FROM new_name in the same migration (simple views are updatable), and drop the view in a later deploy.',
    anchors: ['Squawk renaming-table'],
    check({ statement }) {
      if (!observed(statement)) {
        const { type, node } = statement.shape;
        const renamed = type === 'RenameStmt' && ['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW'].includes(String(node.renameType));
        const moved = type === 'AlterObjectSchemaStmt' && ['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW'].includes(String(node.objectType));
        return renamed || moved ? [{ message: `renames ${targetName(statement.shape) ?? 'a table'}`, basis: 'parsed' }] : [];
      }
      return statement.changes.renamed
        .filter((r) => r.relation.kind !== 'index' && r.relation.kind !== 'sequence')
        .map((r) => ({
          message: `renames ${r.relation.kind} ${qualified(r.relation)} to ${qualified(r.to)}`,
          relation: relationOf(r.relation),
          basis: 'observed' as const,
        }));
    },
  },
  {
    code: 'PM602',
    name: 'rename-column',
    family: 'renames',
    level: 'high',
    finds: 'A column of an existing table is renamed.',
    why: 'The application still running during the deploy reads and writes the old name: those queries fail until it is replaced.',
    safer:
      "Rename the field in the code and keep the column name (Prisma @map, Drizzle's column name, Payload dbName); or add the new column, write both, backfill, switch reads, drop the old one in a later deploy.",
    anchors: ['Squawk renaming-column'],
    check({ statement }) {
      if (!observed(statement)) {
        const { type, node } = statement.shape;
        return type === 'RenameStmt' && node.renameType === 'OBJECT_COLUMN'
          ? [{ message: `renames column ${targetName(statement.shape) ?? ''}.${String(node.subname)} to ${String(node.newname)}`, basis: 'parsed' }]
          : [];
      }
      return statement.changes.columns.flatMap((c) =>
        c.kind === 'renamed'
          ? [
              {
                message: `renames column ${qualified(c.at.table)}.${c.at.column} to ${c.to}`,
                relation: relationOf(c.at.table),
                basis: 'observed' as const,
              },
            ]
          : [],
      );
    },
  },
];
