import type { DeployPlanDocument } from './types.js';

/**
 * `plan --json`: the document as is (types.ts DeployPlanDocument, `"command": "plan"`), one JSON
 * value on stdout. SQL texts are included as written in the migrations; no connection string is.
 */
export function renderPlanJson(plan: DeployPlanDocument): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
