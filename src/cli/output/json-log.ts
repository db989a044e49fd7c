import os from 'node:os';
import { redactedJson } from '../../secrets/secret-registry.js';

export type LogLevel = 'info' | 'warn' | 'error';

/** host:pid of the process that wrote a line (the journal's run row records both too). */
export const INSTANCE = `${os.hostname()}:${process.pid}`;

/**
 * One `--log-format json` line on stderr: time, level, message, runId (the journal's numeric run
 * id, polymigrate.runs.id, on the lines written once the run is recorded), instance, then the
 * event's own fields.
 */
export function writeJsonLog(level: LogLevel, message: string, fields: Record<string, unknown> = {}, runId?: number): void {
  const line = { time: new Date().toISOString(), level, message, ...(runId !== undefined ? { runId } : {}), instance: INSTANCE, ...fields };
  process.stderr.write(`${redactedJson(line)}\n`);
}
