import path from 'node:path';
import type { MigrationAdapter, Queryable } from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/descriptor.js';
import { qualified } from '../../src/db/quote.js';
import type { PrismaEngineOptions } from './config.js';
import { discoverPrismaMigrations, type PrismaMeta } from './prisma-migrations-folder.js';
import { PrismaHistoryTable } from './prisma-history.js';
import { prismaRunner } from './prisma-runner.js';
import { reconcilePrisma } from './prisma-reconcile.js';
import { recordPrismaApplied, resolvePrismaMigration } from './prisma-resolve.js';
import { prismaRollbackHint } from './prisma-hints.js';
import { prismaProject, prismaProjectSync, type PrismaProjectOptions } from './prisma-project.js';

/** `prisma migrate deploy` holds this advisory lock; holding it too makes a concurrent deploy wait for us. */
export const PRISMA_LOCK_KEY = 72707369n;

export function createPrismaAdapter(env: AdapterEnvironment): MigrationAdapter<PrismaMeta> {
  const options = env.options as PrismaEngineOptions & { name: string };
  const dir = options.migrations;
  const table = new PrismaHistoryTable(options.schema);
  const discover = async () => discoverPrismaMigrations(dir, options.name);
  // The Prisma project (config file, schema, installed Prisma) is looked at only by create and the
  // rollback hint: status, up and down never pay for it.
  const projectOptions: PrismaProjectOptions = {
    migrations: dir,
    ...(options.prismaConfig ? { prismaConfig: path.resolve(env.configDir, options.prismaConfig) } : {}),
  };
  /**
   * The history table, schema-qualified for the steps' writes (a migration may change
   * search_path, or the session may be reset to a default that differs from Prisma's). Prisma
   * names it unqualified: with `?schema=` it sets search_path to that schema; without, the table
   * is in the connection's current schema. Resolved once per run by prepare().
   */
  let stepTable = options.schema ? qualified(options.schema, '_prisma_migrations') : undefined;

  return {
    name: options.name,
    kind: 'prisma',
    location: dir,
    // The core holds Prisma's own lock key while Prisma steps run and while resolving.
    capabilities: { rollback: 'down-file', lockKeys: [PRISMA_LOCK_KEY] },
    source: {
      discover,
      // Loaded on use: it spawns Prisma's CLI, which no other command needs.
      create: async (name, createOptions = {}) =>
        (await import('./prisma-create.js')).createPrismaMigration({ engine: options.name, dir, name, options: createOptions, project: await prismaProject(projectOptions) }),
    },
    history: {
      read: (db) => table.read(db),
      tables: async () => [{ ...(options.schema ? { schema: options.schema } : {}), name: '_prisma_migrations' }],
      reconcile: reconcilePrisma,
      // Prisma refuses to deploy into a schema that has tables but no _prisma_migrations (P3005).
      // We do not: with several engines on one database the other engines' tables are expected
      // there. Once the table exists Prisma is satisfied too; an existing Prisma schema that was
      // never recorded fails on its first CREATE instead, with a baselining hint (prisma-runner.ts).
      async prepare(db: Queryable) {
        await table.create(db);
        stepTable ??= await currentSchemaTable(db);
      },
      resolve: (id, mark, ctx) => resolvePrismaMigration({ engine: options.name, dir, table, db: ctx.db, id, mark, discover }),
      recordApplied: (migrations, ctx) => recordPrismaApplied(table, ctx.db, migrations),
    },
    runner: prismaRunner(options.name, options.schema, () => stepTable ?? table.table),
    rollbackHint: (migration, id) => prismaRollbackHint(prismaProjectSync(projectOptions), migration?.path ?? path.join(dir, id), id),
  };
}

/** `"<current schema>"."_prisma_migrations"`: where Prisma's unqualified name resolves on this session. */
async function currentSchemaTable(db: Queryable): Promise<string | undefined> {
  const { rows } = await db.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const schema = rows[0]?.schema;
  return schema ? qualified(schema, '_prisma_migrations') : undefined;
}
