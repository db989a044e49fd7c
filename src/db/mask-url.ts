/**
 * The database password must never reach any output. Every URL shown to a user goes through
 * `maskUrl`, and every message that might quote one (driver errors echo connection strings)
 * goes through `redactSecrets`.
 */
const MASK = '****';

export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    const search = parsed.searchParams;
    if (search.has('password')) search.set('password', MASK);
    return parsed.toString();
  } catch {
    // Not a URL we can parse: hide anything that looks like user:password@.
    return url.replace(/([^\s:/@]+:)[^\s@/]+@/g, `$1${MASK}@`);
  }
}

/** Secrets registered by the running command (the database password, PAYLOAD_SECRET…). */
const secrets = new Set<string>();

export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 3) secrets.add(secret);
}

export function registerUrlSecrets(url: string | undefined): void {
  if (!url) return;
  try {
    const parsed = new URL(url);
    registerSecret(decodeURIComponent(parsed.password));
    registerSecret(parsed.password);
    registerSecret(parsed.searchParams.get('password') ?? undefined);
  } catch {
    const match = /\/\/[^:/@]*:([^@]*)@/.exec(url);
    registerSecret(match?.[1]);
  }
}

/** Replace every registered secret, and any user:password@ in URLs, in free text. */
export function redactSecrets(text: string): string {
  // Every step's output line passes here: skip the work when there is nothing to find.
  let out = text.includes('://') ? text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, `$1${MASK}@`) : text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}
