import { redactedJson } from '../../secrets/secret-registry.js';

export { errorDocument as errorJson, runDocument as runJson, statusDocument as statusJson } from '../../report/documents.js';

/** The one way a document reaches stdout: redacted (a failed step's message may quote PostgreSQL, which may quote a secret). */
export function printJson(document: unknown, indent = 2): void {
  process.stdout.write(`${redactedJson(document, indent)}\n`);
}
