import { ConfigError } from '../errors.js';
import { isKeyValueDsn, maskKeyValuePairs, parseKeyValueDsn, urlForKeyValuePairs } from './key-value-dsn.js';
import { maskUnparsableUrl, maskUrl, registerUrlSecrets } from './mask-url.js';
import { pgCredentials } from './pg-credentials.js';

const ENCODE_HINT =
  'Percent-encode the user name and password (encodeURIComponent in JavaScript: @ → %40, : → %3A, / → %2F, ' +
  '? → %3F, # → %23, % → %25, space → %20), or leave the password out of the URL and set PGPASSWORD.';

/**
 * Check a database URL before anything uses it, and register its password in every form first,
 * so that nothing said about the URL from here on (these errors included) can show it.
 */
export function validateDatabaseUrl(url: string | undefined, where: string): string {
  if (!url) {
    throw new ConfigError('No database URL: set DATABASE_URL, pass --url, set "databaseUrl" in the config, or use --embedded.');
  }
  registerUrlSecrets(url);
  if (isKeyValueDsn(url)) throw keyValueDsnError(url, where);
  if (!URL.canParse(url)) throw unparsableUrlError(url, where);
  const { protocol } = new URL(url);
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new ConfigError(`The database URL from ${where} must start with postgres:// or postgresql:// (got ${protocol}//…).`);
  }
  try {
    pgCredentials(url);
  } catch {
    // pg would throw "URI malformed" at connect time, naming nothing.
    throw new ConfigError(
      `The database URL from ${where} has a user name or password that is not valid percent-encoding ` + `(a % must start %XX of valid UTF-8): ${maskUrl(url)}`,
      ENCODE_HINT,
    );
  }
  return url;
}

/** Refused, not converted: pg and every engine read URLs only, and libpq keywords have no exact URL form in pg. */
function keyValueDsnError(dsn: string, where: string): ConfigError {
  const pairs = parseKeyValueDsn(dsn);
  const shown = pairs ? ` (${maskKeyValuePairs(pairs)})` : '';
  return new ConfigError(
    `The database URL from ${where} is a key=value connection string${shown}; polymigrate needs a URL.`,
    `Write it as ${pairs ? urlForKeyValuePairs(pairs) : 'postgres://USER:PASSWORD@HOST:PORT/DATABASE'}, with PASSWORD percent-encoded ` +
      '(encodeURIComponent in JavaScript), or leave the password out of the URL and set PGPASSWORD. ' +
      'Prisma, Drizzle and Payload read URLs too.',
  );
}

function unparsableUrlError(url: string, where: string): ConfigError {
  const masked = maskUnparsableUrl(url);
  // The masked form parses when the credentials were what broke the URL.
  const credentialsBroke = masked.includes('****@') && URL.canParse(masked);
  return new ConfigError(
    `The database URL from ${where} is not a valid URL: ${masked}` +
      (credentialsBroke ? ' — its password or user name holds a character that ends that part of a URL unless it is percent-encoded (/, ? or #).' : ''),
    credentialsBroke ? ENCODE_HINT : 'Expected postgres://USER:PASSWORD@HOST:PORT/DATABASE; check the host, port and database name.',
  );
}
