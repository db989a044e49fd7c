/**
 * The user and password pg sends for a connection string. They are not what WHATWG URL parsing
 * of the string as written gives: pg-connection-string's `parse` (pg 8) first percent-encodes a
 * string holding a space or a '%' not followed by two hex digits (then turns %25 followed by two
 * decimal digits back into %NN), parses it relative to postgres://base, retries with a placeholder
 * host when the host is empty, lets a ?user= / ?password= parameter (the last one) win over the
 * URL's own, and percent-decodes what is left. So `postgres://app:p@ss@db/app` sends `p@ss`, and
 * `postgres://app:50%off@db/app` sends `50%off`.
 *
 * Masking must hide what is actually used as the password, so this follows that code, reduced to
 * the credentials; pg's own parse is not called because it also reads the SSL certificate files a
 * URL names. test/unit/pg-credentials.test.ts holds it to pg's parse. Throws where pg throws.
 */
export interface PgCredentials {
  user: string;
  password: string;
}

export function pgCredentials(connectionString: string): PgCredentials {
  // A socket directory and a database name, "/var/run/postgresql app": no credentials.
  if (connectionString.startsWith('/')) return { user: '', password: '' };
  let text = connectionString;
  if (/ |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(text)) text = encodeURI(text).replace(/%25(\d\d)/g, '%$1');
  let url: URL;
  try {
    url = new URL(text, 'postgres://base');
  } catch {
    url = new URL(text.replace('@/', '@___DUMMY___/'), 'postgres://base');
  }
  const params: Record<string, string> = {};
  for (const [key, value] of url.searchParams.entries()) params[key] = value;
  return {
    user: params.user || decodeURIComponent(url.username),
    password: params.password || decodeURIComponent(url.password),
  };
}
