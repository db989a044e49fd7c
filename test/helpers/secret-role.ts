import { randomBytes } from 'node:crypto';
import { adminUrl, withClient } from './database.js';

export interface RoleDatabase {
  role: string;
  name: string;
  /** host:port of the test server. */
  host: string;
  /** The URL written correctly: the password percent-encoded. */
  url: string;
  /** The URL with its password written as given (e.g. unencoded), or without one. */
  urlWith(passwordText: string | undefined): string;
  drop(): Promise<void>;
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * A login role with the given password and a database it owns, on the test server: what a
 * deployment's DATABASE_URL points at. Its password is what the secrets tests hunt for.
 */
export async function createRoleDatabase(password: string, prefix = 'pm_sec'): Promise<RoleDatabase> {
  const role = `${prefix}_${randomBytes(4).toString('hex')}`;
  const name = `${role}_db`;
  await withClient(adminUrl(), async (c) => {
    await c.query(`CREATE ROLE "${role}" LOGIN PASSWORD ${literal(password)}`);
    await c.query(`CREATE DATABASE "${name}" OWNER "${role}"`);
  });
  const admin = new URL(adminUrl());
  const host = admin.host;
  const urlWith = (passwordText: string | undefined) => `postgres://${role}${passwordText === undefined ? '' : `:${passwordText}`}@${host}/${name}`;
  return {
    role,
    name,
    host,
    urlWith,
    url: urlWith(encodeURIComponent(password)),
    async drop() {
      await withClient(adminUrl(), async (c) => {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS "${role}"`);
      });
    },
  };
}
