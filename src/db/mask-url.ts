/**
 * Database URLs as they may be shown: every URL a message names goes through `maskUrl`, and every
 * URL the command uses is registered (`registerUrlSecrets`) so that its password is masked in any
 * text that quotes it, in whatever form it appears there.
 */
import { MASK, registerSecret } from '../secrets/secret-registry.js';
import { isKeyValueDsn, maskKeyValuePairs, parseKeyValueDsn } from './key-value-dsn.js';
import { pgCredentials } from './pg-credentials.js';

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const SECRET_NAME = /password|passwd|secret/i;
/** ?password=… in a URL's text, found without parsing it. */
const SECRET_PARAM = /([?&][^=&#]*(?:password|passwd|secret)[^=&#]*=)([^&#]*)/gi;

export function maskUrl(url: string): string {
  if (isKeyValueDsn(url)) {
    const pairs = parseKeyValueDsn(url);
    return pairs ? maskKeyValuePairs(pairs) : '(a key=value connection string that cannot be parsed; not shown)';
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return maskUnparsableUrl(url);
  }
  if (parsed.password) parsed.password = MASK;
  for (const key of [...parsed.searchParams.keys()]) if (SECRET_NAME.test(key)) parsed.searchParams.set(key, MASK);
  return parsed.toString();
}

/**
 * A URL no parser accepts, shown as `scheme://user:****@the rest`: its password is taken to run to
 * the last '@' (an unencoded '@' or '/' in it is the usual reason the URL does not parse), and
 * secret-named parameters are masked. Text that is not a URL at all is not shown: it may be a
 * password pasted into the wrong variable.
 */
export function maskUnparsableUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[0];
  if (!scheme) return '(not shown: it does not start with a scheme such as postgres://)';
  const rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  let credentials = '';
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    // A "user" that holds a '/' is more likely a password with a slash: show none of it.
    credentials = /[/?#\s]/.test(user) ? `${MASK}@` : `${user}${colon >= 0 ? `:${MASK}` : ''}@`;
  }
  return `${scheme}${credentials}${rest.slice(at + 1).replace(SECRET_PARAM, `$1${MASK}`)}`;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** The password as written between the user's ':' and the '@' that ends it (or undefined). */
function writtenPassword(url: string): string | undefined {
  const scheme = SCHEME.exec(url)?.[0];
  if (!scheme) return undefined;
  let rest = url.slice(scheme.length);
  // In a URL that parses, the authority ends at the first '/', '?' or '#'; in one that does not,
  // the password may hold them, so it runs to the last '@'.
  if (URL.canParse(url)) rest = rest.slice(0, rest.search(/[/?#]|$/));
  const at = rest.lastIndexOf('@');
  const colon = rest.indexOf(':');
  return at > 0 && colon >= 0 && colon < at ? rest.slice(colon + 1, at) : undefined;
}

/** Every form a URL's password may take in some output: as written, encoded, decoded, and what pg sends. */
export function urlSecrets(url: string): string[] {
  if (isKeyValueDsn(url)) return (parseKeyValueDsn(url) ?? []).filter(([key]) => SECRET_NAME.test(key)).map(([, value]) => value);
  const found: string[] = [];
  const written = writtenPassword(url);
  if (written) found.push(written, decoded(written));
  for (const match of url.matchAll(SECRET_PARAM)) found.push(match[2]!, decoded(match[2]!));
  try {
    found.push(pgCredentials(url).password);
  } catch {
    // pg cannot read it either: it will never be sent
  }
  if (URL.canParse(url)) {
    const parsed = new URL(url);
    found.push(parsed.password, decoded(parsed.password));
    for (const [key, value] of parsed.searchParams) if (SECRET_NAME.test(key)) found.push(value);
  }
  const all = new Set<string>();
  for (const secret of found) if (secret) all.add(secret).add(encodeURIComponent(secret));
  return [...all];
}

export function registerUrlSecrets(url: string | undefined): void {
  if (!url) return;
  for (const secret of urlSecrets(url)) registerSecret(secret);
}
