/**
 * Imported just before `pg`. On load, pg asks "am I in a Cloudflare Worker?" by checking
 * `navigator.userAgent` and, when `navigator` is missing (Node 20), by constructing a fetch
 * `Response` — which loads Node's whole fetch implementation (~35 ms) for every command. Giving
 * pg a `navigator` for the duration of its load answers the question for free;
 * `restoreNavigator()` (called right after pg is loaded) takes it away again.
 */
const hadNavigator = 'navigator' in globalThis;
if (!hadNavigator) {
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.version}` }, configurable: true });
}

export function restoreNavigator(): void {
  if (!hadNavigator) delete (globalThis as { navigator?: unknown }).navigator;
}
