import type { MigrationAdapter } from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/descriptor.js';
import { reconcileById } from '../../src/status/reconcile.js';
import type { PayloadEngineOptions } from './config.js';
import { discoverPayloadMigrations } from './payload-files.js';
import { isDevPushMarker, payloadProblems, readPayloadHistory, recordPayloadApplied } from './payload-history.js';
import { PayloadRuntime } from './payload-runtime.js';
import { PAYLOAD_APPLICATION_NAME } from '../../src/run/interrupt.js';

/**
 * Payload CMS migrations, run by Payload's own runtime in a child process (payload-runner.ts).
 * Status and plans never load Payload: files are listed like Payload lists them and
 * payload_migrations is read directly. Only apply, revert and create start Payload, once per
 * batch of steps (loading it costs seconds); up and down start it as soon as the plan holds
 * Payload steps (warmUp), so that loading overlaps the steps of the engines before it.
 */
export function createPayloadAdapter(env: AdapterEnvironment): MigrationAdapter {
  const options = env.options as PayloadEngineOptions & { name: string };
  const runtime = new PayloadRuntime(options, env.configDir);
  const dir = options.migrations;
  return {
    name: options.name,
    kind: 'payload',
    location: dir,
    capabilities: { rollback: 'native' },
    source: {
      discover: async () => discoverPayloadMigrations(dir, options.name),
      create: (name, createOptions) => runtime.create(name, createOptions),
    },
    history: {
      read: (db) => readPayloadHistory(db, options.schema),
      tables: async () => [{ schema: options.schema, name: 'payload_migrations' }],
      reconcile: (discovered, history) =>
        reconcileById(
          discovered,
          history.filter((entry) => !isDevPushMarker(entry)),
        ),
      problems: (history) => payloadProblems(history, options.name, options.schema),
      recordApplied: (migrations, ctx) =>
        recordPayloadApplied(
          ctx.db,
          options.schema,
          migrations.map((m) => m.id),
          options.name,
        ),
    },
    // Payload runs each migration in its own transaction, all of a batch in one child process.
    runner: {
      granularity: 'batch',
      // The child pauses after each committed migration when asked (the shadow replay).
      pausesBetweenSteps: true,
      // Every connection of the child carries this name (PGAPPNAME): its lock waits are reported, and Ctrl-C ends them.
      ownSessions: { applicationName: PAYLOAD_APPLICATION_NAME },
      applyBatch: (migrations, ctx) => runtime.batch('up', migrations, ctx),
      // Exactly the planned migrations, newest first (the order the core hands them over).
      revertBatch: (migrations, ctx) => runtime.batch('down', migrations, ctx),
    },
    warmUp: ({ databaseUrl, lockTimeoutMs }) => runtime.warmUp(databaseUrl, lockTimeoutMs),
    close: () => runtime.close(),
    rollbackHint(migration, id) {
      if (!migration) {
        return (
          `The file of ${id} is missing from ${dir}, and its down() lives in it: restore the file (e.g. from git) and run polymigrate down again, ` +
          `or undo its changes by hand and delete its row: DELETE FROM payload_migrations WHERE name = '${id}';`
        );
      }
      return `Payload migrations carry their own down(): fix the down() in ${migration.path} and run polymigrate down again.`;
    },
  };
}
