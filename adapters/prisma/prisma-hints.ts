import path from 'node:path';

/**
 * Prisma has no down migrations. Its documented way to undo one is to diff the current schema
 * against the schema as it was before the migration; polymigrate then runs that down.sql and
 * deletes the migration's history rows.
 */
export function prismaRollbackHint(migrationsDir: string, folder: string, id: string): string {
  // Prisma's convention: schema.prisma sits beside the migrations folder.
  const schema = path.join(path.dirname(migrationsDir), 'schema.prisma');
  const down = path.join(folder, 'down.sql');
  return [
    `Prisma has no down migrations; write ${down} from the schema diff:`,
    `  1. the schema before ${id}: git show <commit before ${id}>:${path.relative(process.cwd(), schema) || schema} > /tmp/previous.prisma`,
    `  2. npx prisma migrate diff --from-schema-datamodel ${schema} --to-schema-datamodel /tmp/previous.prisma --script > ${down}`,
    `  3. review it, then run polymigrate down again (it runs down.sql and deletes ${id}'s _prisma_migrations rows, so Prisma sees it pending).`,
  ].join('\n');
}

export const MIGRATION_TEMPLATE = (name: string) => `-- ${name}
-- Empty migration written by polymigrate. Let Prisma generate the SQL from schema.prisma, e.g.
--   npx prisma migrate diff --from-url "$DATABASE_URL" --to-schema-datamodel prisma/schema.prisma --script >> this file
-- (against an up-to-date development database), or use \`npx prisma migrate dev --create-only\`
-- instead and delete this folder.
`;

export const DOWN_TEMPLATE = (id: string) => `-- Reverts ${id} (polymigrate down runs this file, then deletes its _prisma_migrations rows).
-- Generate it with: npx prisma migrate diff --from-schema-datamodel prisma/schema.prisma --to-schema-datamodel <schema before this migration> --script
-- While it holds only comments the migration counts as not revertible.
`;

export function prismaCreateNotes(dir: string, script: string, down: string): string[] {
  return [
    `${path.relative(process.cwd(), script)} is empty: polymigrate does not generate Prisma SQL itself. Fill it with \`npx prisma migrate diff ... --script\` (see the comment in the file).`,
    `${path.relative(process.cwd(), down)} is a template; fill it to make the migration revertible, or delete it.`,
    `Migrations folder: ${dir}`,
  ];
}
