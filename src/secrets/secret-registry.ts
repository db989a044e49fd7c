/**
 * No output may carry a secret: not human lines, `--json` documents, JSON log lines, health bodies,
 * nor the errors PostgreSQL or an engine hands back (a driver may quote its connection string, a
 * migration may make PostgreSQL echo a literal the password was pasted into, Payload may print its
 * environment). Two layers, applied to every text that leaves the process:
 *
 * - by shape: a URL's `user:password@` and a `password=…` / `"password": "…"` parameter are masked
 *   wherever they appear, whether or not the value is known;
 * - by value: every secret this process knows — the database password in each form it was written
 *   and the form pg sends, PGPASSWORD, Payload's secret, the health token — is replaced wherever it
 *   appears, also in its JSON-escaped form.
 *
 * Values shorter than MIN_LENGTH are not registered: masking every "ab" in the output would ruin it.
 * Such a password is still masked by shape.
 */
export const MASK = '****';
/**
 * What messages write where a password goes (postgres://USER:PASSWORD@HOST/DB): left as it is by
 * the shape layer. A real password "PASSWORD" is still registered, and masked by value.
 */
export const PASSWORD_PLACEHOLDER = 'PASSWORD';
const MIN_LENGTH = 3;

/** Every registered form, longest first: a secret that contains another is masked whole. */
const secrets: string[] = [];

function add(form: string): void {
  if (form.length < MIN_LENGTH || secrets.includes(form)) return;
  secrets.push(form);
  secrets.sort((a, b) => b.length - a.length);
}

export function registerSecret(secret: string | null | undefined): void {
  if (!secret || secret.length < MIN_LENGTH) return;
  add(secret);
  // In a --json document or a JSON log line a quote or backslash in it is escaped.
  add(JSON.stringify(secret).slice(1, -1));
}

/** Environment variables whose values are secrets whatever the command does. */
export const SECRET_ENVIRONMENT = ['PGPASSWORD', 'PAYLOAD_SECRET'];

export function registerEnvironmentSecrets(names: readonly string[] = SECRET_ENVIRONMENT, env: NodeJS.ProcessEnv = process.env): void {
  for (const name of names) registerSecret(env[name]);
}

/** scheme:// and the rest of the token: a URL in free text ends at whitespace or a quote. */
const URL_IN_TEXT = /([a-z][a-z0-9+.-]*:\/\/)([^\s"'`<>]*)/gi;
/**
 * password=…, PGPASSWORD=…, ?sslpassword=…, secret=…: a libpq DSN (quoted values, backslash
 * escapes), a query string, an environment dump. No alternative crosses a double quote it did not
 * open, so masking a serialized JSON document keeps it valid JSON.
 */
const ASSIGNED = /(\b[a-z_]*(?:password|passwd|secret)\s*=\s*)('(?:[^'"\\]|\\.)*'?|"(?:[^"\\]|\\.)*"|(?:\\.|[^\s&'"\\])*)/gi;
/** "password": "…" and password: '…' (JSON, util.inspect of a config object). */
const QUOTED = /(\b[a-z_]*(?:password|passwd|secret)["']?\s*:\s*)("(?:[^"\\]|\\.)*"|'(?:[^'"\\]|\\.)*')/gi;
const NAMES_A_SECRET = /password|passwd|secret/i;

/**
 * user:password@ in a URL found in text. The password ends at the token's last '@', not its first:
 * a password with an unencoded '@' or '/' must not leave its tail behind.
 */
function maskUrlCredentials(text: string): string {
  return text.replace(URL_IN_TEXT, (whole, scheme: string, rest: string) => {
    const at = rest.lastIndexOf('@');
    if (at < 0) return whole;
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon < 0 || userinfo.slice(colon + 1) === PASSWORD_PLACEHOLDER) return whole;
    return `${scheme}${userinfo.slice(0, colon)}:${MASK}${rest.slice(at)}`;
  });
}

/** Mask secrets in free text (a message, a log line, an engine's output, a serialized document). */
export function redactSecrets(text: string): string {
  // Every step's output line passes here: the shapes are only looked for where they can be.
  let out = text.includes('://') ? maskUrlCredentials(text) : text;
  if (NAMES_A_SECRET.test(out)) {
    out = out.replace(ASSIGNED, `$1${MASK}`).replace(QUOTED, (_whole, name: string, value: string) => `${name}${value[0]}${MASK}${value[0]}`);
  }
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}

/**
 * JSON text of a document, redacted after serialization: the shapes above never cross a string's
 * quotes, and each secret is registered in its JSON-escaped form too.
 */
export function redactedJson(value: unknown, indent?: number): string {
  return redactSecrets(JSON.stringify(value, null, indent));
}
