import fs from 'node:fs';
import path from 'node:path';
import type { CreatedMigration, MigrationAdapter, Queryable } from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/descriptor.js';
import { ConfigError } from '../../src/errors.js';
import { qualified } from '../../src/db/quote.js';
import { snakeName, utcTimestamp } from '../../src/create/migration-name.js';
import type { PrismaEngineOptions } from './config.js';
import { DOWN_FILE, SCRIPT_FILE, discoverPrismaMigrations, type PrismaMeta } from './prisma-migrations-folder.js';
import { PrismaHistoryTable } from './prisma-history.js';
import { prismaRunner } from './prisma-runner.js';
import { reconcilePrisma } from './prisma-reconcile.js';
import { resolvePrismaMigration } from './prisma-resolve.js';
import { prismaRollbackHint, prismaCreateNotes, MIGRATION_TEMPLATE, DOWN_TEMPLATE } from './prisma-hints.js';

/** `prisma migrate deploy` holds this advisory lock; holding it too makes a concurrent deploy wait for us. */
export const PRISMA_LOCK_KEY = 72707369n;

export function createPrismaAdapter(env: AdapterEnvironment): MigrationAdapter<PrismaMeta> {
  const options = env.options as PrismaEngineOptions & { name: string };
  const dir = options.migrations;
  const table = new PrismaHistoryTable(options.schema);
  const discover = async () => discoverPrismaMigrations(dir, options.name);
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
    source: { discover, create: async (name) => createPrismaMigration(dir, name) },
    history: {
      read: (db) => table.read(db),
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
    },
    runner: prismaRunner(options.name, options.schema, () => stepTable ?? table.table),
    rollbackHint: (migration, id) => prismaRollbackHint(dir, migration?.path ?? path.join(dir, id), id),
  };
}

function createPrismaMigration(dir: string, name: string): CreatedMigration {
  fs.mkdirSync(dir, { recursive: true });
  const id = `${utcTimestamp()}_${snakeName(name)}`;
  const folder = path.join(dir, id);
  if (fs.existsSync(folder)) throw new ConfigError(`${folder} already exists.`, 'Wait a second or choose another name.');
  fs.mkdirSync(folder);
  const script = path.join(folder, SCRIPT_FILE);
  const down = path.join(folder, DOWN_FILE);
  fs.writeFileSync(script, MIGRATION_TEMPLATE(name));
  fs.writeFileSync(down, DOWN_TEMPLATE(id));
  return { id, files: [script, down], notes: prismaCreateNotes(dir, script, down) };
}

/** `"<current schema>"."_prisma_migrations"`: where Prisma's unqualified name resolves on this session. */
async function currentSchemaTable(db: Queryable): Promise<string | undefined> {
  const { rows } = await db.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const schema = rows[0]?.schema;
  return schema ? qualified(schema, '_prisma_migrations') : undefined;
}
