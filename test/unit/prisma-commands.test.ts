import { describe, expect, it } from 'vitest';
import { createOnlyArgs, diffDatabaseToSchemaCommand, diffSchemasCommand, prismaSyntaxFor, shellWord } from '../../adapters/prisma/prisma-commands.js';

/**
 * The commands polymigrate prints, per Prisma major. Prisma 7's `migrate diff` answers the Prisma 6
 * flags with "was removed" (prisma/prisma MigrateDiff.ts `getRemovedTargetParameterHint`).
 */
const REMOVED_IN_7 = ['--from-schema-datamodel', '--to-schema-datamodel', '--from-url', '--to-url', '--from-schema-datasource', '--to-schema-datasource'];

describe('Prisma command syntax per major', () => {
  it('prints Prisma 7 syntax from 7 on, Prisma 6 syntax for 6, older, and no Prisma installed', () => {
    expect([undefined, 4, 5, 6, 7, 8].map(prismaSyntaxFor)).toEqual([6, 6, 6, 6, 7, 7]);
  });

  it('diffs two schemas with --from-schema/--to-schema in 7 and the -datamodel flags in 6', () => {
    expect(diffSchemasCommand(7, 'prisma/schema', '/tmp/previous.prisma')).toBe('npx prisma migrate diff --from-schema prisma/schema --to-schema /tmp/previous.prisma --script');
    expect(diffSchemasCommand(6, 'prisma/schema.prisma', '/tmp/previous.prisma')).toBe(
      'npx prisma migrate diff --from-schema-datamodel prisma/schema.prisma --to-schema-datamodel /tmp/previous.prisma --script',
    );
  });

  it("diffs the database against the schema through the config's datasource in 7 and the URL in 6", () => {
    expect(diffDatabaseToSchemaCommand(7, 'prisma/schema.prisma')).toBe('npx prisma migrate diff --from-config-datasource --to-schema prisma/schema.prisma --script');
    expect(diffDatabaseToSchemaCommand(7, 'db/schema', 'config/prisma.ts')).toBe('npx prisma migrate diff --config config/prisma.ts --from-config-datasource --to-schema db/schema --script');
    expect(diffDatabaseToSchemaCommand(6, 'prisma/schema.prisma')).toBe('npx prisma migrate diff --from-url "$DATABASE_URL" --to-schema-datamodel prisma/schema.prisma --script');
  });

  it('no Prisma 7 command uses a flag Prisma 7 removed', () => {
    const printed = [diffSchemasCommand(7, 'a', 'b'), diffDatabaseToSchemaCommand(7, 'a'), diffDatabaseToSchemaCommand(7, 'a', 'c.ts')].join(' ');
    for (const flag of REMOVED_IN_7) expect(printed.split(' ')).not.toContain(flag);
  });

  it('quotes a path a shell would split, and leaves placeholders and plain paths alone', () => {
    expect(shellWord('prisma/schema.prisma')).toBe('prisma/schema.prisma');
    expect(shellWord('<schema before this migration>')).toBe('<schema before this migration>');
    expect(shellWord('/home/me/my app/schema.prisma')).toBe(`'/home/me/my app/schema.prisma'`);
    expect(shellWord(`it's`)).toBe(`'it'\\''s'`);
  });

  it('runs migrate dev --create-only with --config or --schema when given', () => {
    expect(createOnlyArgs('add_posts')).toEqual(['migrate', 'dev', '--create-only', '--name', 'add_posts']);
    expect(createOnlyArgs('x', '/p/prisma.config.ts', '/p/db/schema.prisma')).toEqual([
      'migrate',
      'dev',
      '--create-only',
      '--name',
      'x',
      '--config',
      '/p/prisma.config.ts',
      '--schema',
      '/p/db/schema.prisma',
    ]);
  });
});
