import { afterEach, describe, expect, it } from 'vitest';
import { TempProject } from '../helpers/project.js';
import { findPrismaConfig, prismaConfigIn, prismaProjectDir, readPrismaConfig, readPrismaConfigLiterals } from '../../adapters/prisma/prisma-config-file.js';

/** Reading a project's prisma.config.* (files on disk, no database). */
describe('Prisma config file', () => {
  const projects: TempProject[] = [];
  afterEach(() => {
    for (const project of projects.splice(0)) project.cleanup();
  });
  const project = () => {
    const p = new TempProject('pm-prisma-config-');
    projects.push(p);
    return p;
  };

  it("reads schema and migrations.path literally, resolved against the file's folder, and ignores views/typedSql paths", () => {
    const p = project();
    const file = p.write(
      'apps/api/prisma.config.ts',
      [
        "import 'dotenv/config';",
        "import { defineConfig, env } from 'prisma/config';",
        'export default defineConfig({',
        "  views: { path: 'db/views' },",
        "  schema: 'db/schema',",
        '  migrations: { seed: \'tsx db/seed.ts\', path: "db/migrations" },',
        "  typedSql: { path: 'db/sql' },",
        "  datasource: { url: env('DATABASE_URL') },",
        '});',
      ].join('\n'),
    );
    expect(readPrismaConfigLiterals(file)).toEqual({ file, schema: p.path('apps/api/db/schema'), migrations: p.path('apps/api/db/migrations') });
  });

  it('skips commented-out keys', () => {
    const p = project();
    const file = p.write(
      'prisma.config.ts',
      [
        'export default {',
        "  // schema: 'old/schema.prisma',",
        "  /* migrations: { path: 'old/migrations' }, */",
        "  schema: 'prisma/schema.prisma', // was: 'db/schema.prisma'",
        "  datasource: { url: 'postgres://localhost/app' },",
        '};',
      ].join('\n'),
    );
    expect(readPrismaConfigLiterals(file)).toEqual({ file, schema: p.path('prisma/schema.prisma') });
  });

  it('leaves computed values out: path.join, a template literal with ${}, env()', () => {
    const p = project();
    const file = p.write(
      'prisma.config.ts',
      ["import path from 'node:path';", 'export default {', "  schema: path.join('prisma', 'schema.prisma'),", '  migrations: { path: `${process.env.ROOT}/migrations` },', '};'].join('\n'),
    );
    expect(readPrismaConfigLiterals(file)).toEqual({ file });
  });

  it('loads a config the user named when its paths are computed, and only then', async () => {
    const p = project();
    const file = p.write(
      'prisma.config.mjs',
      ["import path from 'node:path';", "export default { schema: path.join('db', 'schema.prisma'), migrations: { path: ['db', 'migrations'].join('/') } };"].join('\n'),
    );
    expect(await readPrismaConfig(file, { execute: true })).toEqual({ file, schema: p.path('db/schema.prisma'), migrations: p.path('db/migrations') });
    expect(await readPrismaConfig(file, { execute: false })).toEqual({ file });
    // A config that throws when loaded (Prisma 7's env() does, for an unset variable) leaves the literals.
    const throwing = p.write(
      'other/prisma.config.mjs',
      ["throw new Error('DATABASE_URL is not set');", "export default { schema: 'db/schema.prisma', migrations: { path: String('x') } };"].join('\n'),
    );
    expect(await readPrismaConfig(throwing, { execute: true })).toEqual({ file: throwing, schema: p.path('other/db/schema.prisma') });
  });

  it('picks the file Prisma picks: prisma.config.js before .ts, then .config/prisma.*, never .json', () => {
    const p = project();
    expect(prismaConfigIn(p.dir)).toBeUndefined();
    p.write('prisma.config.json', '{}');
    expect(prismaConfigIn(p.dir)).toBeUndefined();
    p.write('.config/prisma.ts', 'export default {}');
    expect(prismaConfigIn(p.dir)).toBe(p.path('.config/prisma.ts'));
    p.write('prisma.config.mts', 'export default {}');
    expect(prismaConfigIn(p.dir)).toBe(p.path('prisma.config.mts'));
    p.write('prisma.config.ts', 'export default {}');
    expect(prismaConfigIn(p.dir)).toBe(p.path('prisma.config.ts'));
    p.write('prisma.config.js', 'export default {}');
    expect(prismaConfigIn(p.dir)).toBe(p.path('prisma.config.js'));
  });

  it('finds the config beside or above the migrations folder, not past the package root', () => {
    const p = project();
    p.write('prisma.config.ts', 'export default {}');
    p.write('apps/web/package.json', '{}');
    expect(findPrismaConfig(p.path('apps/web/prisma/migrations'))).toBeUndefined();
    p.write('apps/web/.config/prisma.ts', "export default { schema: '../prisma/schema.prisma' }");
    const found = findPrismaConfig(p.path('apps/web/prisma/migrations'))!;
    expect(found).toBe(p.path('apps/web/.config/prisma.ts'));
    // Prisma resolves .config/prisma.ts's paths against .config/, and runs in the folder above it.
    expect(readPrismaConfigLiterals(found).schema).toBe(p.path('apps/web/prisma/schema.prisma'));
    expect(prismaProjectDir(found)).toBe(p.path('apps/web'));
    p.write('apps/web/prisma/prisma.config.ts', 'export default {}');
    expect(findPrismaConfig(p.path('apps/web/prisma/migrations'))).toBe(p.path('apps/web/prisma/prisma.config.ts'));
  });
});
