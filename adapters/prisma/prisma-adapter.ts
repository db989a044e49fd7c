import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { DiscoveredMigration, MigrationAdapter, StepContext } from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/registry.js';
import { ConfigError, MigrationFileError, RefusedError } from '../../src/errors.js';
import { findNonTransactionalStatement } from '../../src/db/sql-lexer.js';
import { acquireAdvisoryLock, releaseAdvisoryLock } from '../../src/lock/advisory-lock.js';
import { snakeName, utcTimestamp } from '../../src/create/migration-name.js';
import type { PrismaEngineOptions } from './config.js';
import { DOWN_FILE, SCRIPT_FILE, discoverPrismaMigrations, type PrismaMeta } from './prisma-migrations-folder.js';
import { PrismaHistoryTable } from './prisma-history.js';
import { reconcilePrisma } from './prisma-reconcile.js';
import { resolvePrismaMigration } from './prisma-resolve.js';
import { failureLogs, runPrismaScript, withSearchPath } from './prisma-script.js';
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

  return {
    name: options.name,
    kind: 'prisma',
    location: dir,
    capabilities: { rollback: 'down-file', transactional: true, granularity: 'single', lockKeys: [PRISMA_LOCK_KEY] },
    discover,
    readHistory: (db) => table.read(db),
    reconcile: reconcilePrisma,

    // Prisma refuses to deploy into a schema that has tables but no _prisma_migrations (P3005).
    // We do not: with several engines on one database the other engines' tables are expected
    // there. Once the table exists Prisma is satisfied too; an existing Prisma schema that was
    // never recorded fails on its first CREATE instead, with a baselining hint (see apply).
    prepare: (db) => table.create(db),

    async apply(migration, ctx: StepContext) {
      const meta = migration.meta as PrismaMeta;
      const checksum = migration.checksum ?? '';
      const rowId = randomUUID();
      if (ctx.inTransaction) {
        // Safer than Prisma: script and row commit together, so a failure leaves no failed row.
        try {
          // The history row rides in the script's query, with the core's BEGIN and journal row
          // and the COMMIT (the envelope): one commit for all of it.
          await withSearchPath(ctx.db, options.schema, true, () =>
            runPrismaScript(ctx.db, meta.scriptFile, meta.script, true,
              { then: table.insertAppliedSql(rowId, migration.id, checksum), envelope: ctx.envelope }));
        } catch (error) {
          if (ALREADY_EXISTS.has((error as { code?: string }).code ?? '')) {
            ctx.log.warn(`If this database already held ${migration.id}'s objects before its history was recorded, baseline it instead: polymigrate resolve ${options.name} ${migration.id} --applied`);
          }
          throw error;
        }
        return;
      }
      // Prisma's protocol: the row first (unfinished), then the script; a failure is recorded in
      // logs and the row stays unfinished, the failed state Prisma's own tooling recognises.
      await table.insertStarted(ctx.db, rowId, migration.id, checksum);
      try {
        await withSearchPath(ctx.db, options.schema, false, () => runPrismaScript(ctx.db, meta.scriptFile, meta.script, false));
      } catch (error) {
        await table.recordFailure(ctx.db, rowId, failureLogs(error)).catch(() => undefined);
        if (error instanceof Error) {
          error.message += ` — recorded as failed in _prisma_migrations (as Prisma records it): undo or finish what ran, then ` +
            `polymigrate resolve ${options.name} ${migration.id} --rolled-back (to retry) or --applied`;
        }
        throw error;
      }
      await table.markFinished(ctx.db, rowId);
    },

    async revert(migration, ctx: StepContext) {
      const meta = migration.meta as PrismaMeta;
      if (!meta.downFile || meta.downScript === undefined) throw new RefusedError(`${migration.id} has no ${DOWN_FILE}.`);
      const blocked = ctx.inTransaction ? findNonTransactionalStatement(meta.downScript) : undefined;
      if (blocked) {
        throw new MigrationFileError(meta.downFile, `contains ${blocked}, which cannot run inside the transaction this revert runs in.`,
          `Use the non-concurrent form in ${DOWN_FILE} (e.g. DROP INDEX instead of DROP INDEX CONCURRENTLY).`);
      }
      await withSearchPath(ctx.db, options.schema, ctx.inTransaction, () => runPrismaScript(ctx.db, meta.downFile!, meta.downScript!, ctx.inTransaction));
      // No row at all is how Prisma sees a migration it has never applied: pending again.
      await table.removeAll(ctx.db, migration.id);
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
