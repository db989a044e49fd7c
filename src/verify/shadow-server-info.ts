import type { ShadowServerInfo } from '../operations/reports.js';
import type { Shadow } from '../shadow/shadow.js';

/** What a report says about the shadow server it ran on (`verify`, `baseline`, `check`). */
export function shadowServerInfo(shadow: Shadow): ShadowServerInfo {
  return {
    kind: shadow.kind,
    serverVersion: shadow.serverVersion,
    ...(shadow.packageVersion ? { packageVersion: shadow.packageVersion } : {}),
    startupMs: shadow.startup.ms,
  };
}
