import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { DiscoveredMigration, MigrationAdapter, Queryable, SqlStepEngine } from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/descriptor.js';
import { ConfigError, RefusedError } from '../../src/errors.js';
import { findNonTransactionalStatement } from '../../src/db/sql-lexer.js';
import { qualified, quoteIdent } from '../../src/db/quote.js';
import { acquireAdvisoryLock, releaseAdvisoryLock } from '../../src/lock/advisory-lock.js';
import { snakeName, utcTimestamp } from '../../src/create/migration-name.js';
import type { PrismaEngineOptions } from './config.js';
import { DOWN_FILE, SCRIPT_FILE, discoverPrismaMigrations, type PrismaMeta } from './prisma-migrations-folder.js';
import { PrismaHistoryTable } from './prisma-history.js';
import { prismaFailureLogs } from './prisma-logs.js';
import { reconcilePrisma } from './prisma-reconcile.js';
import { resolvePrismaMigration } from './prisma-resolve.js';
import { prismaRollbackHint, prismaCreateNotes, MIGRATION_TEMPLATE, DOWN_TEMPLATE } from './prisma-hints.js';

/** `prisma migrate deploy` holds this advisory lock; holding it too makes a concurrent deploy wait for us. */
export const PRISMA_LOCK_KEY = 72707369n;

/** 42P07 duplicate_table, 42710 duplicate_object: what an un-baselined existing database raises. */
const ALREADY_EXISTS = new Set(['42P07', '42710']);

export function createPrismaAdapter(env: AdapterEnvironment): MigrationAdapter {
  const options = env.options as unknown as PrismaEngineOptions & { name: string };
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

  const sql: SqlStepEngine = {
    // Prisma's own protocol for a script with its own transactions: row first, script, then finished.
    ownTransactions: 'row-first',
    // Prisma's schema engine runs `SET search_path = "<schema>"` when the URL names a schema.
    ...(options.schema ? { session: [`SET search_path = ${quoteIdent(options.schema)}`] } : {}),
    script(migration, direction) {
      const meta = migration.meta as PrismaMeta;
      if (direction === 'down') {
        if (!meta.downFile || meta.downScript === undefined) throw new RefusedError(`${migration.id} has no ${DOWN_FILE}.`);
        return {
          source: { file: meta.downFile, text: meta.downScript, lineOffset: 0 },
          ...(findNonTransactionalStatement(meta.downScript) ? { oneByOne: true } : {}),
        };
      }
      return {
        source: { file: meta.scriptFile, text: meta.script, lineOffset: 0 },
        // Statements PostgreSQL refuses in a transaction send the migration down Prisma's own
        // row-first protocol, statement by statement.
        ...(migration.transactional ? {} : { oneByOne: true }),
        hintFor: (code) => (ALREADY_EXISTS.has(code ?? '')
          ? `If this database already held ${migration.id}'s objects before its history was recorded, baseline it instead: polymigrate resolve ${options.name} ${migration.id} --applied`
          : undefined),
        partialAdvice: 'recorded as failed in _prisma_migrations, as Prisma records it (P3009): undo or finish what ran (if anything), then ' +
          `polymigrate resolve ${options.name} ${migration.id} --rolled-back (to retry) or --applied`,
      };
    },
    async history(migration, direction) {
      const target = stepTable ?? table.table;
      if (direction === 'down') return { done: PrismaHistoryTable.removeAllSql(target, migration.id) };
      const { started, done, failed } = PrismaHistoryTable.stepStatements(target, randomUUID(), migration.id, migration.checksum ?? '');
      // Prisma's protocol records every failure of a script run on its own as failed (P3009), even
      // when nothing of it committed; no `forget`, so Prisma's own tools see the same state.
      return { started, done, failed: (report) => failed(prismaFailureLogs(migration.id, report)) };
    },
  };

  return {
    name: options.name,
    kind: 'prisma',
    location: dir,
    capabilities: { rollback: 'down-file', transactional: true, granularity: 'single', lockKeys: [PRISMA_LOCK_KEY] },
    discover,
    readHistory: (db) => table.read(db),
    reconcile: reconcilePrisma,
    sql,

    // Prisma refuses to deploy into a schema that has tables but no _prisma_migrations (P3005).
    // We do not: with several engines on one database the other engines' tables are expected
    // there. Once the table exists Prisma is satisfied too; an existing Prisma schema that was
    // never recorded fails on its first CREATE instead, with a baselining hint (see hintFor).
    async prepare(db: Queryable) {
      await table.create(db);
      stepTable ??= await currentSchemaTable(db);
    },

    async create(name) {
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
    },

    async resolve(id, mark, ctx) {
      // Prisma's own resolve holds its lock too; hold it so a concurrent deploy cannot interleave.
      await acquireAdvisoryLock(ctx.db, PRISMA_LOCK_KEY, { timeoutSeconds: 60 });
      try {
        return await resolvePrismaMigration({ engine: options.name, dir, table, db: ctx.db, id, mark, discover });
      } finally {
        await releaseAdvisoryLock(ctx.db, PRISMA_LOCK_KEY).catch(() => undefined);
      }
    },

    rollbackHint(migration: DiscoveredMigration | undefined, id: string) {
      return prismaRollbackHint(dir, migration?.path ?? path.join(dir, id), id);
    },
  };
}

/** `"<current schema>"."_prisma_migrations"`: where Prisma's unqualified name resolves on this session. */
async function currentSchemaTable(db: Queryable): Promise<string | undefined> {
  const { rows } = await db.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const schema = rows[0]?.schema;
  return schema ? qualified(schema, '_prisma_migrations') : undefined;
}
