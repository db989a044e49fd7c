import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TempProject } from '../helpers/project.js';
import { prismaProject, prismaProjectSync } from '../../adapters/prisma/prisma-project.js';
import { downTemplate, migrationTemplate, prismaRollbackHint } from '../../adapters/prisma/prisma-hints.js';

/** The Prisma project around a migrations folder: installed Prisma, config file, schema (files on disk). */
describe('Prisma project', () => {
  const projects: TempProject[] = [];
  afterEach(() => {
    for (const project of projects.splice(0)) project.cleanup();
  });
  const project = () => {
    const p = new TempProject('pm-prisma-project-');
    projects.push(p);
    p.write('package.json', '{"name":"app"}');
    return p;
  };
  const installPrisma = (p: TempProject, version: string, at = 'node_modules') =>
    p.write(`${at}/prisma/package.json`, JSON.stringify({ name: 'prisma', version, bin: { prisma: 'build/index.js' } }));

  it("reads the installed Prisma's version walking up from the project, and picks the syntax by its major", () => {
    const p = project();
    const options = { migrations: p.path('apps/web/prisma/migrations') };
    expect(prismaProjectSync(options)).toMatchObject({ syntax: 6 });
    expect(prismaProjectSync(options).installed).toBeUndefined();
    installPrisma(p, '7.10.0');
    expect(prismaProjectSync(options)).toMatchObject({ syntax: 7, installed: { version: '7.10.0', major: 7 } });
    // The nearest copy wins, as Node resolves it (a workspace package pinning its own Prisma).
    p.write('apps/web/package.json', '{"name":"web"}');
    installPrisma(p, '6.19.0', 'apps/web/node_modules');
    expect(prismaProjectSync(options)).toMatchObject({ syntax: 6, installed: { version: '6.19.0', major: 6 } });
    // No CLI entry file on disk: nothing to run, but the version still decides the syntax.
    expect(prismaProjectSync(options).installed?.cli).toBeUndefined();
    p.write('apps/web/node_modules/prisma/build/index.js', '');
    expect(prismaProjectSync(options).installed?.cli).toBe(p.path('apps/web/node_modules/prisma/build/index.js'));
  });

  it("takes the schema from the config file, else Prisma's default places, else beside the migrations", async () => {
    const p = project();
    const options = { migrations: p.path('db/migrations') };
    expect(prismaProjectSync(options)).toMatchObject({ dir: p.dir, schema: p.path('db/schema.prisma'), schemaIsFolder: false });
    p.write('db/schema/user.prisma', 'model User { id Int @id }\n');
    expect(prismaProjectSync(options)).toMatchObject({ schema: p.path('db/schema'), schemaIsFolder: true });
    p.write('prisma/schema.prisma', 'datasource db { provider = "postgresql" }\n');
    p.write('prisma.config.ts', 'export default {}\n');
    // A config without `schema`: Prisma's own default lookup from the folder it runs in.
    expect(prismaProjectSync(options)).toMatchObject({ schema: p.path('prisma/schema.prisma'), config: { file: p.path('prisma.config.ts') } });
    p.write('prisma.config.ts', "export default { schema: 'db/schema', migrations: { path: 'db/migrations' } }\n");
    expect(await prismaProject(options)).toMatchObject({ schema: p.path('db/schema'), schemaIsFolder: true, config: { migrations: p.path('db/migrations') } });
    // An explicit prismaConfig wins over the one found.
    p.write('config/prisma.config.ts', "export default { schema: '../prisma/schema.prisma' }\n");
    expect(prismaProjectSync({ ...options, prismaConfig: p.path('config/prisma.config.ts') })).toMatchObject({ dir: p.path('config'), schema: p.path('prisma/schema.prisma') });
  });

  it("writes the rollback recipe in the installed major's syntax (7.10.0, 6.19.0, none)", () => {
    const p = project();
    p.write('prisma/schema.prisma', 'datasource db { provider = "postgresql" }\n');
    const options = { migrations: p.path('prisma/migrations') };
    const folder = p.path('prisma/migrations/20260101000000_init');
    const hint = () => prismaRollbackHint(prismaProjectSync(options), folder, '20260101000000_init');
    const none = hint();
    expect(none).toContain(`npx prisma migrate diff --from-schema-datamodel ${p.path('prisma/schema.prisma')} --to-schema-datamodel /tmp/previous.prisma --script > ${folder}/down.sql`);
    installPrisma(p, '6.19.0');
    expect(hint()).toBe(none);
    installPrisma(p, '7.10.0');
    const seven = hint();
    expect(seven).toContain(`npx prisma migrate diff --from-schema ${p.path('prisma/schema.prisma')} --to-schema /tmp/previous.prisma --script > ${folder}/down.sql`);
    expect(seven).not.toContain('-datamodel');
    expect(seven).toMatch(/git show <commit before 20260101000000_init>:\S*prisma\/schema\.prisma > \/tmp\/previous\.prisma/);
  });

  it('recovers a schema folder with git archive at the repository root, and diffs the folders', () => {
    const p = project();
    p.write('.git/HEAD', 'ref: refs/heads/main\n');
    installPrisma(p, '7.10.0');
    p.write('prisma/schema/user.prisma', 'model User { id Int @id }\n');
    p.write('prisma.config.ts', "export default { schema: 'prisma/schema', migrations: { path: 'prisma/migrations' } }\n");
    const folder = p.path('prisma/migrations/20260101000000_init');
    const hint = prismaRollbackHint(prismaProjectSync({ migrations: p.path('prisma/migrations') }), folder, '20260101000000_init');
    expect(hint).toContain(`git -C ${path.relative(process.cwd(), p.dir)} archive <commit before 20260101000000_init> prisma/schema | tar -x -C /tmp/previous-schema`);
    expect(hint).toContain(`--from-schema ${p.path('prisma/schema')} --to-schema /tmp/previous-schema/prisma/schema --script`);
  });

  it("writes the create templates in the installed major's syntax, paths relative to where Prisma runs", () => {
    const p = project();
    p.write('prisma/schema.prisma', 'datasource db { provider = "postgresql" }\n');
    const options = { migrations: p.path('prisma/migrations') };
    const folder = p.path('prisma/migrations/20260101000000_x');
    const six = prismaProjectSync(options);
    expect(migrationTemplate('x', folder, six)).toContain('npx prisma migrate diff --from-url "$DATABASE_URL" --to-schema-datamodel prisma/schema.prisma --script >> this file');
    expect(downTemplate('20260101000000_x', folder, six)).toContain(
      'npx prisma migrate diff --from-schema-datamodel prisma/schema.prisma --to-schema-datamodel <schema before this migration> --script',
    );
    expect(migrationTemplate('x', folder, six)).toContain('-- (Paths are relative to ../../.. from this folder: run Prisma there.)');
    installPrisma(p, '7.10.0');
    p.write('prisma.config.ts', 'export default {}\n');
    const seven = prismaProjectSync(options);
    expect(migrationTemplate('x', folder, seven)).toContain('npx prisma migrate diff --from-config-datasource --to-schema prisma/schema.prisma --script >> this file');
    expect(migrationTemplate('x', folder, seven)).toContain('beside prisma.config.ts');
    expect(downTemplate('20260101000000_x', folder, seven)).toContain('npx prisma migrate diff --from-schema prisma/schema.prisma --to-schema <schema before this migration> --script');
  });
});
