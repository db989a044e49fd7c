/**
 * The child process that runs Payload for polymigrate: apply, revert or create Payload migrations.
 *
 * Payload's migrations are TypeScript modules that need a live Payload instance, and Payload's
 * runtime has habits a migration runner cannot let reach the user: it calls `process.exit(1)`
 * when a migration fails (a try/catch around `migrate()` never runs), it never closes its pool,
 * it prints to stdout, and it may ask questions on stdin. So it runs here, in a process
 * polymigrate starts (stdin closed, a timeout) and whose only stdout is the JSON lines of
 * runner-protocol.ts. The secrets come in the environment, never in argv.
 *
 * Started by run-payload.ts with the environment Payload needs already set (PAYLOAD_CONFIG_PATH,
 * PAYLOAD_MIGRATING=true, NODE_ENV=production, PAYLOAD_SECRET…). It loads Payload and the config
 * straight away (polymigrate may start it while it is still planning), then does nothing more
 * until the request arrives over IPC: no getPayload, no connection before that.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { installHint, isMissingPackage, OPTIONAL_PEERS, type OptionalPeer } from '../../src/peers/missing-peer.js';
import { CONFIG_PATH_ENV, DATABASE_URL_ENV, LOCK_TIMEOUT_ENV, type RunnerCommand, type RunnerError, type RunnerEvent, type RunnerMigration, type RunnerRequest } from './runner-protocol.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Payload is loaded at runtime from the user's project, untyped here. */
type Loose = any;

// stdout is the protocol: anything else written there (console.log in Payload or a migration,
// table printers) is diverted to stderr, which the parent passes on as engine output.
const writeProtocol = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk: unknown, ...rest: unknown[]) => (process.stderr.write as (...args: unknown[]) => boolean)(chunk, ...rest);

function emit(event: RunnerEvent): void {
  writeProtocol(`${JSON.stringify(event)}\n`);
}

/** Payload's `process.exit(code)`, turned into an exception so the run can report and continue. */
class ExitIntercepted extends Error {
  constructor(readonly exitCode: number) {
    super(`Payload called process.exit(${exitCode})`);
  }
}
const realExit = process.exit.bind(process);
process.exit = (code?: number | string | null) => {
  throw new ExitIntercepted(Number(code ?? 0));
};

/** Payload's pool never closes, so the child always ends here, explicitly. Pipe writes are synchronous on Linux and macOS. */
function finish(ok: boolean): never {
  emit({ type: 'done', ok });
  return realExit(ok ? 0 : 1);
}

function fatal(error: RunnerError): never {
  emit({ type: 'fatal', error });
  return finish(false);
}

/**
 * The error to show for a failure. Drizzle wraps the driver's error ("Failed query: <the whole
 * SQL> params: …") with the PostgreSQL error as `cause`: the cause is what the user needs.
 */
function describeError(error: unknown): RunnerError {
  type ErrorLike = { message?: unknown; cause?: unknown; code?: unknown; detail?: unknown; hint?: unknown } | undefined;
  const outer = error as ErrorLike;
  const cause = outer?.cause as ErrorLike;
  const source = cause && typeof cause === 'object' && typeof cause.message === 'string' ? cause : outer;
  const info: RunnerError = { message: typeof source?.message === 'string' ? source.message : String(error) };
  if (typeof source?.code === 'string' && /^[0-9A-Z]{5}$/.test(source.code)) info.code = source.code;
  if (typeof source?.detail === 'string') info.detail = source.detail;
  if (typeof source?.hint === 'string') info.hint = source.hint;
  return info;
}

// The parent holds the migration lock. If it dies (kill -9, a crashed container), the IPC channel
// closes: stop at once, so no migration runs without the lock. PostgreSQL rolls back whatever
// transaction was open when this process's connection goes.
process.on('disconnect', () => realExit(1));

process.on('uncaughtException', (error) => fatal(describeError(error)));
process.on('unhandledRejection', (error) => fatal(describeError(error)));

/** The raw error of Payload's last `logger.error({ err })`: Payload logs it just before `process.exit(1)`. */
let lastLoggedError: unknown;
let lastErrorMessage: string | undefined;

function readConfigPath(): string {
  const configPath = process.env[CONFIG_PATH_ENV];
  if (!configPath || !process.send) {
    return fatal({ message: `${CONFIG_PATH_ENV} or the IPC channel is missing: this script is started by polymigrate, not by hand.` });
  }
  return configPath;
}

/** The one request polymigrate sends once it holds its lock and has a plan with Payload steps. */
function nextRequest(): Promise<RunnerRequest> {
  return new Promise((resolve) => {
    process.once('message', (message: RunnerCommand) => {
      // Listening kept the channel referenced; from here on it is only the lifeline again, so a
      // Payload that waits on (closed) stdin drains the event loop and exits with code 13.
      process.channel?.unref();
      if (message?.type !== 'run' || !message.request) fatal({ message: `Unexpected message from polymigrate: ${JSON.stringify(message)}` });
      resolve(message.request);
    });
  });
}

/**
 * With `pauseBetween`: wait for polymigrate's `continue` (it looks at the database meanwhile). The
 * channel is referenced while waiting (the open transaction of the next migration alone need not
 * keep the process alive); a closed channel ends the child through its 'disconnect' handler.
 */
function nextContinue(): Promise<void> {
  process.channel?.ref();
  return new Promise((resolve) => {
    process.once('message', (message: RunnerCommand) => {
      process.channel?.unref();
      if (message?.type !== 'continue') fatal({ message: `Unexpected message from polymigrate: ${JSON.stringify(message)}` });
      resolve();
    });
  });
}

/** `payload` and `tsx` from the user's project: the same copy its config imports. */
async function loadPayload(configPath: string): Promise<{ payloadModule: Loose; config: Loose }> {
  let payloadEntry: string;
  try {
    payloadEntry = createRequire(configPath).resolve('payload');
  } catch (error) {
    if (!isMissingPackage(error, 'payload')) throw error;
    return missing(OPTIONAL_PEERS.payload, configPath, `Cannot find the "payload" package from ${configPath}`);
  }
  // Payload and its postgres adapter are published as plain JavaScript: imported before tsx is
  // registered, Node loads their few thousand modules itself. After register(), every import
  // (JavaScript too) makes a round trip through tsx's loader thread, which more than doubled the
  // CPU time of loading them. The config's own imports of these packages then find them loaded.
  const payloadModule: Loose = await import(pathToFileURL(payloadEntry).href);
  await preloadDatabaseAdapter(configPath);

  // The config, its collections and the migrations are TypeScript, and Payload loads some of
  // them with dynamic import(): only a global ESM loader covers that. tsx ships with payload.
  const tsxApi = resolveTsx(payloadEntry, configPath);
  const nodeModule = (await import('node:module')).default as unknown as Record<string, unknown>;
  // Payload's own bin does the same: on Node >= 23.5 tsx would pick registerHooks, which breaks this setup.
  if (typeof nodeModule.registerHooks === 'function') nodeModule.registerHooks = undefined;
  ((await import(pathToFileURL(tsxApi).href)) as { register(): void }).register();

  let configModule: Loose;
  try {
    configModule = await import(pathToFileURL(configPath).href);
  } catch (error) {
    if (isMissingPackage(error, '@payloadcms/db-postgres')) {
      return missing(OPTIONAL_PEERS.payloadPostgres, configPath, `${configPath} imports @payloadcms/db-postgres, which cannot be found`);
    }
    throw error;
  }
  const config: Loose = await (configModule.default ?? configModule);
  if (!config || typeof config !== 'object' || !config.db) {
    return fatal({ message: `${configPath} does not export a Payload config (buildConfig(...)) as its default export.` });
  }
  return { payloadModule, config };
}

/**
 * tsx, Payload's own dependency (its bin loads TypeScript configs with it), from beside payload;
 * else the project's own.
 */
function resolveTsx(payloadEntry: string, configPath: string): string {
  for (const from of [payloadEntry, configPath]) {
    try {
      return createRequire(from).resolve('tsx/esm/api');
    } catch (error) {
      if (!isMissingPackage(error, 'tsx')) throw error;
    }
  }
  return missing(
    { name: 'tsx', neededFor: 'loading the Payload config and its TypeScript migrations', dev: true },
    configPath,
    `Cannot find tsx beside payload (${payloadEntry}) or from ${configPath}`,
  );
}

/** A package Payload runs with is missing: say which, and the command that installs it. */
function missing(peer: OptionalPeer, configPath: string, found: string): never {
  return fatal({ message: `${found}; it is needed for ${peer.neededFor}.`, hint: installHint(peer, path.dirname(configPath)) });
}

/**
 * Payload's postgres adapter (the only database polymigrate drives), loaded natively like payload
 * above when the project has it. Without it there is nothing to preload: whatever the config imports
 * then loads through tsx.
 */
async function preloadDatabaseAdapter(configPath: string): Promise<void> {
  let entry: string;
  try {
    entry = createRequire(configPath).resolve('@payloadcms/db-postgres');
  } catch {
    return;
  }
  await import(pathToFileURL(entry).href);
}

/** Side effects of Payload's init that a migration run must not have. */
function neutralise(config: Loose, databaseUrl: string | undefined): void {
  config.typescript = { ...config.typescript, autoGenerate: false }; // else it spawns type generation
  config.telemetry = false;
  config.logger = {
    options: { level: 'info' },
    destination: {
      write(line: string) {
        let record: { level?: number; msg?: unknown };
        try {
          record = JSON.parse(line) as typeof record;
        } catch {
          record = { level: 30, msg: String(line).trim() };
        }
        const level = record.level ?? 30;
        const msg = typeof record.msg === 'string' ? record.msg : JSON.stringify(record.msg ?? '');
        if (level >= 50)
          lastErrorMessage = msg; // becomes the step's error instead of a log line
        else if (msg) emit({ type: 'log', level, msg });
      },
    },
  };
  const init = config.db.init;
  config.db = {
    ...config.db,
    init(args: unknown) {
      const adapter = init(args);
      // connect() in production runs `prodMigrations` by itself: only the planned ones may run.
      adapter.prodMigrations = undefined;
      // The database polymigrate planned against, whatever variable the config reads its URL from.
      if (databaseUrl) adapter.poolOptions = { ...adapter.poolOptions, connectionString: databaseUrl };
      // --ddl-lock-timeout: every connection of the pool bounds its lock waits, as polymigrate's own do
      // (the pool's `options`, added to whatever the config gives it; PGOPTIONS would lose to those).
      const lockTimeoutMs = process.env[LOCK_TIMEOUT_ENV];
      if (lockTimeoutMs) {
        const options = [adapter.poolOptions?.options, `-c lock_timeout=${Number(lockTimeoutMs)}`].filter(Boolean).join(' ');
        adapter.poolOptions = { ...adapter.poolOptions, options };
      }
      return adapter;
    },
  };
}

async function importMigration(migration: RunnerMigration): Promise<{ up: Loose; down: Loose }> {
  const loaded: Loose = await import(pathToFileURL(migration.path).href);
  const module = 'default' in loaded && loaded.default && typeof loaded.default === 'object' ? loaded.default : loaded;
  if (typeof module.up !== 'function' || typeof module.down !== 'function') {
    throw new Error(`${migration.path} must export async functions up() and down() (Payload's migration format).`);
  }
  return module;
}

async function main(): Promise<void> {
  const configPath = readConfigPath();
  const requested = nextRequest();
  const started = performance.now();
  const { payloadModule, config } = await loadPayload(configPath);
  const loadedMs = performance.now() - started;
  const request = await requested;
  const resumed = performance.now();
  neutralise(config, process.env[DATABASE_URL_ENV]);
  const payload: Loose = await payloadModule.getPayload({ config, disableDBConnect: request.action === 'create', disableOnInit: true });
  const schema = payload.db.schemaName || 'public';
  if (schema !== request.schema) {
    fatal({
      message: `The Payload config's postgres adapter uses schemaName "${schema}", but polymigrate reads payload_migrations from schema "${request.schema}".`,
      hint: `Set "schema": "${schema}" on this engine in the polymigrate config.`,
    });
  }
  // Payload reads and writes migrations in payload.db.migrationDir: the directory polymigrate lists.
  payload.db.migrationDir = request.migrationDir;
  const logError = payload.logger.error.bind(payload.logger);
  payload.logger.error = (object: Loose, ...rest: unknown[]) => {
    if (object && typeof object === 'object' && 'err' in object) lastLoggedError = object.err;
    return logError(object, ...rest);
  };
  emit({ type: 'ready', loadMs: Math.round(loadedMs + performance.now() - resumed) });

  if (request.action === 'create') {
    await create(payload, request.migrationDir, request.migrationName, request.empty);
    return;
  }
  const table = `"${schema}"."payload_migrations"`;
  const rows = async (): Promise<Array<{ id: number; name: string; batch: number }>> => {
    const exists = (await payload.db.pool.query('SELECT to_regclass($1) AS t', [table])).rows[0]?.t;
    if (!exists) return [];
    return (await payload.db.pool.query(`SELECT id, name, batch::float8 AS batch FROM ${table}`)).rows;
  };
  const recorded = await rows();
  if (request.action === 'up') await up(payload, request.migrations, recorded, request.pauseBetween === true);
  else await down(payload, payloadModule, request.migrations, recorded, table);
}

/**
 * One `payload.db.migrate({ migrations })` call: Payload gives them one new batch and runs each
 * up() with its payload_migrations row in its own transaction, in array order. Each up() is
 * wrapped to see where one migration ends and the next begins (Payload awaits the commit of a
 * migration before starting the next), and each file is imported only when its turn comes, so
 * a file that does not load fails its own step and not the ones before it.
 */
async function up(payload: Loose, planned: RunnerMigration[], recorded: Array<{ name: string; batch: number }>, pauseBetween: boolean): Promise<void> {
  if (recorded.some((row) => row.batch === -1)) {
    // Payload would ask an interactive question here (and hang without a terminal).
    fatal({
      reason: 'dev-push',
      message: "payload_migrations holds Payload's dev-mode marker (name 'dev', batch -1): the schema was pushed in dev mode, so Payload would stop to ask before migrating.",
    });
  }
  const already = new Set(recorded.map((row) => row.name));
  for (const migration of planned.filter((m) => already.has(m.name))) {
    emit({ type: 'step', name: migration.name, ok: true, durationMs: 0, note: 'already recorded in payload_migrations; Payload skips it' });
  }
  let current: { name: string; started: number } | undefined;
  const settle = (ok: boolean, error?: RunnerError, waiting = false) => {
    if (!current) return;
    emit({ type: 'step', name: current.name, ok, durationMs: Math.round(performance.now() - current.started), ...(error ? { error } : {}), ...(waiting ? { waiting } : {}) });
    current = undefined;
  };
  const migrations = planned
    .filter((m) => !already.has(m.name))
    .map((migration) => ({
      name: migration.name,
      async up(args: unknown) {
        // The previous migration's up(), row and commit are done (Payload has only begun this one's
        // transaction, with nothing in it yet).
        if (current && pauseBetween) {
          settle(true, undefined, true);
          await nextContinue();
        } else {
          settle(true);
        }
        current = { name: migration.name, started: performance.now() };
        await (await importMigration(migration)).up(args);
      },
      async down() {
        throw new Error("not used: polymigrate reverts through the runner's down action");
      },
    }));
  if (migrations.length === 0) return;
  try {
    await payload.db.migrate({ migrations });
    settle(true);
  } catch (error) {
    // Payload rolled the failing migration back, logged the error and called process.exit(1).
    const failure = error instanceof ExitIntercepted ? (lastLoggedError ? describeError(lastLoggedError) : { message: lastErrorMessage ?? error.message }) : describeError(error);
    if (!current) fatal(failure);
    settle(false, failure);
    finish(false);
  }
}

/**
 * What Payload's migrate:down does for each migration of the latest batch, for exactly the
 * planned ones in the order given (newest first): down() and the row delete in one transaction.
 * The first migration's down() drops payload_migrations itself, so the row is only deleted when
 * the table still exists inside that transaction.
 */
async function down(payload: Loose, payloadModule: Loose, planned: RunnerMigration[], recorded: Array<{ name: string }>, table: string): Promise<void> {
  for (const migration of planned) {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    if (!recorded.some((row) => row.name === migration.name)) {
      emit({ type: 'step', name: migration.name, ok: false, durationMs: 0, error: { message: 'it is not recorded in payload_migrations, so there is nothing to revert.' } });
      finish(false);
    }
    const req = await payloadModule.createLocalReq({}, payload);
    try {
      payload.logger.info({ msg: `Migrating down: ${migration.name}` });
      const module = await importMigration(migration);
      await payloadModule.initTransaction(req);
      const db = payload.db.sessions?.[await req.transactionID]?.db ?? payload.db.drizzle;
      await module.down({ db, payload, req });
      const exists = await payload.db.execute({ drizzle: db, raw: `SELECT to_regclass('${table}') AS t` });
      if (exists.rows[0]?.t) {
        await payload.delete({ collection: 'payload-migrations', where: { name: { equals: migration.name } }, req });
      }
      await payloadModule.commitTransaction(req);
      payload.logger.info({ msg: `Migrated down:  ${migration.name} (${elapsed()}ms)` });
      emit({ type: 'step', name: migration.name, ok: true, durationMs: elapsed() });
    } catch (error) {
      await payloadModule.killTransaction(req).catch(() => undefined);
      emit({ type: 'step', name: migration.name, ok: false, durationMs: elapsed(), error: describeError(error) });
      finish(false);
    }
  }
}

/**
 * Payload's own generator (schema diff against the newest .json snapshot). It uses a
 * non-recursive mkdir, so the directory is created here; on an empty diff with skipEmpty it
 * calls process.exit(0), which means "no schema changes".
 */
async function create(payload: Loose, dir: string, migrationName: string, empty: boolean): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const before = new Set(fs.readdirSync(dir));
  try {
    await payload.db.createMigration({ migrationName, payload, skipEmpty: !empty, forceAcceptWarning: empty });
  } catch (error) {
    if (error instanceof ExitIntercepted && error.exitCode === 0) {
      emit({ type: 'empty' });
      finish(true);
    }
    throw error;
  }
  emit({
    type: 'created',
    files: fs
      .readdirSync(dir)
      .filter((file) => !before.has(file))
      .map((file) => path.join(dir, file)),
  });
}

// Top-level await on purpose: if Payload waits for an answer on stdin (closed), the event loop
// drains and Node exits with code 13 instead of pretending to succeed.
try {
  await main();
  finish(true);
} catch (error) {
  if (error instanceof ExitIntercepted) fatal({ message: lastErrorMessage ?? error.message });
  fatal(describeError(error));
}
