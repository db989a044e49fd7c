/**
 * libpq's other connection string form, `host=db port=5432 user=app password='p w' dbname=app`.
 * polymigrate does not connect with it: pg (and so every engine polymigrate drives) reads only
 * URLs — given this string, pg would take it for a relative URL and connect to a host named
 * "base". It is recognised so that it is refused with the URL to write instead, and never echoed
 * with its password.
 *
 * The syntax is libpq's (fe-connect.c, conninfo_parse): `keyword = value` pairs separated by
 * whitespace; a value is single-quoted to hold spaces or be empty; a backslash escapes the next
 * character, quoted or not.
 */
import { PASSWORD_PLACEHOLDER } from '../secrets/secret-registry.js';

export type KeyValuePairs = Array<[key: string, value: string]>;

export function isKeyValueDsn(text: string): boolean {
  return !text.includes('://') && /^\s*[A-Za-z_][A-Za-z0-9_]*\s*=/.test(text);
}

/** The pairs, or undefined when libpq would refuse the string too (a missing '=', an open quote). */
export function parseKeyValueDsn(text: string): KeyValuePairs | undefined {
  const pairs: KeyValuePairs = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
  };
  for (;;) {
    skipSpace();
    if (i >= text.length) return pairs;
    const keyStart = i;
    while (i < text.length && text[i] !== '=' && !/\s/.test(text[i]!)) i += 1;
    const key = text.slice(keyStart, i);
    skipSpace();
    if (text[i] !== '=' || key === '') return undefined;
    i += 1;
    skipSpace();
    const quoted = text[i] === "'";
    if (quoted) i += 1;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) {
        if (quoted) return undefined;
        break;
      }
      if (quoted ? c === "'" : /\s/.test(c)) {
        if (quoted) i += 1;
        break;
      }
      if (c === '\\' && i + 1 < text.length) i += 1;
      value += text[i];
      i += 1;
    }
    pairs.push([key, value]);
  }
}

const SECRET_KEY = /password|passwd|secret/i;

/** The pairs as libpq would read them back, every secret-named value shown as ****. */
export function maskKeyValuePairs(pairs: KeyValuePairs): string {
  return pairs
    .map(([key, value]) => {
      if (SECRET_KEY.test(key)) return `${key}=****`;
      return `${key}=${value === '' || /[\s'\\]/.test(value) ? `'${value.replace(/[\\']/g, '\\$&')}'` : value}`;
    })
    .join(' ');
}

/** The URL to write instead, with PASSWORD standing for the password (never the value). */
export function urlForKeyValuePairs(pairs: KeyValuePairs): string {
  const values = new Map(pairs);
  const user = values.get('user');
  const host = values.get('host') ?? values.get('hostaddr') ?? 'localhost';
  const port = values.get('port');
  const params = new URLSearchParams();
  // A socket directory is a host pg reads from ?host=; the URL's own host is then ignored.
  const socket = host.startsWith('/');
  if (socket) params.set('host', host);
  for (const [key, value] of pairs) {
    if (['host', 'hostaddr', 'port', 'dbname', 'user', 'password'].includes(key) || SECRET_KEY.test(key)) continue;
    params.set(key, value);
  }
  const credentials = user !== undefined ? `${encodeURIComponent(user)}${values.has('password') ? `:${PASSWORD_PLACEHOLDER}` : ''}@` : '';
  const hostPart = socket ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const search = params.toString();
  const query = search ? `?${search}` : '';
  return `postgres://${credentials}${hostPart}${port ? `:${port}` : ''}/${encodeURIComponent(values.get('dbname') ?? '')}${query}`;
}
