import { adminUrl, withClient } from './database.js';
import { forbidInOutput } from './run-cli.js';
import type { RoleDatabase } from './secret-role.js';

/**
 * The secrets the secrets tests hunt for. `forbidSecretValues()` forbids each, in every form it
 * could be printed in (raw, percent-encoded, and the tail an earlier mask left behind), in every
 * CLI run of the calling test file (run-cli.ts checks stdout and stderr).
 */
export const SECRETS = {
  /** @ : / % and a space: must be percent-encoded in a URL. */
  special: 'Qx@7:w/rd 9%zeta',
  /** Written unencoded, pg still reads it (to the last @). */
  unencoded: 'Kp@ss: 51%off',
  /** Sent by pg when the URL has no password. */
  pgpassword: 'pgpw-Echo-5e1f',
  wrong: 'Wr@ng:p/w 1%x',
  dsn: "dsn pw'7-c41",
  query: 'qp-Secr3t 88',
  bare: 'Bare-Secret-9931',
  typed: 'typed-Secr3t-0d9e',
  token: 'health-T0ken-77aa',
  cms: 'cms-Secr3t-4b2d',
};

export function forbidSecretValues(): void {
  for (const secret of Object.values(SECRETS)) {
    forbidInOutput(secret);
    forbidInOutput(encodeURIComponent(secret));
  }
  // What the old mask left of an unencoded password: everything after its first '@'.
  for (const tail of ['7:w/rd', 'ss: 51%off', 'ng:p/w', "pw\\'7"]) forbidInOutput(tail);
}

/** A migration whose PostgreSQL error quotes a value the server holds: `invalid input syntax for type integer: "<value>"`. */
export const ECHO_SQL = "SELECT current_setting('app.api_key')::integer;\n";
export const ECHOED = 'invalid input syntax for type integer: "****"';

/** The database holds the secret as a setting, as a team that reused the password for an API key would. */
export async function storeApiKey(db: RoleDatabase, value: string): Promise<void> {
  await withClient(adminUrl(), (c) => c.query(`ALTER DATABASE "${db.name}" SET app.api_key = '${value.replace(/'/g, "''")}'`));
}

/** A key=value (libpq) connection string for the test server, its password quoted and escaped. */
export function keyValueDsn(password: string): string {
  const { hostname, port } = new URL(adminUrl());
  return `host=${hostname} port=${port} dbname=app user=deploy password='${password.replace(/'/g, "\\'")}' sslmode=disable`;
}
