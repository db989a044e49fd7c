import { loadConfig } from '../config/load-config.js';
import type { ResolvedConfig } from '../config/config-types.js';
import { ConfigError } from '../errors.js';
import { maskUrl, registerUrlSecrets } from '../db/mask-url.js';
import { redactSecrets, registerEnvironmentSecrets } from '../secrets/secret-registry.js';
import { Session } from '../session.js';
import type { RunEvents } from '../run/run-events.js';
import { colorEnabled, formatDuration, makeStyle, type Style } from './output/style.js';
import { renderStep, type StepWidths } from './output/human-report.js';
import { describeLockWait } from '../run/lock-watch.js';
import { writeJsonLog, type LogLevel } from './output/json-log.js';

/** Global options, as commander hands them over (DESIGN.md "CLI contract"). */
export interface GlobalOptions {
  config?: string;
  url?: string;
  directUrl?: string;
  json?: boolean;
  logFormat?: 'pretty' | 'json';
  wait?: number;
  lockTimeout?: number;
  ddlLockTimeout?: number;
  ddlRetries?: number;
  embedded?: boolean;
}

export interface Cli {
  global: GlobalOptions;
  style: Style;
  /** Human output (suppressed by --json, which owns stdout). */
  say: (text: string) => void;
  /** Warnings and errors: always stderr. */
  warn: (text: string) => void;
  /** One JSON log line per event (--log-format json) to stderr. */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  events: RunEvents;
  /** Set from the plan so step lines align. */
  stepWidths?: StepWidths;
  config(): Promise<ResolvedConfig>;
  session(): Promise<Session>;
  close(): Promise<void>;
}

export function createCli(global: GlobalOptions): Cli {
  const style = makeStyle(!global.json && colorEnabled(process.stdout));
  const jsonLogs = global.logFormat === 'json';
  let config: Promise<ResolvedConfig> | undefined;
  let session: Session | undefined;
  let stopServer: (() => Promise<void>) | undefined;
  // The journal's run id, once the run is recorded: every log line after that carries it.
  let runId: number | undefined;
  registerEnvironmentSecrets();
  registerUrlSecrets(global.url);

  const cli: Cli = {
    global,
    style,
    say(text) {
      if (global.json || jsonLogs) return;
      if (text) process.stdout.write(`${redactSecrets(text)}\n`);
    },
    warn(text) {
      if (jsonLogs) return cli.log('warn', text);
      process.stderr.write(`${redactSecrets(text)}\n`);
    },
    log(level, message, fields = {}) {
      if (jsonLogs) writeJsonLog(level, message, fields, runId);
    },
    events: {
      lockWaiting: (holder, waitingFor) => cli.warn(`Waiting for ${waitingFor}, held by ${holder}…`),
      lockAcquired: (ms) => { if (ms > 1000) cli.say(style.dim(`Lock acquired after ${formatDuration(ms)}.`)); },
      runStarted: (id) => { runId = id; },
      stepFinished: (result) => {
        cli.say(renderStep(result, style, cli.stepWidths));
        cli.log(result.status === 'failed' ? 'error' : 'info', `${result.direction} ${result.id} ${result.status}`, {
          engine: result.engine, migration: result.id, direction: result.direction, durationMs: result.durationMs,
          ...(result.error ? { error: result.error.message } : {}),
        });
      },
      engineOutput: (step, level, message) => {
        cli.say(style.dim(`    ${step.engine}: ${message}`));
        cli.log(level, message, { engine: step.engine, ...(step.id ? { migration: step.id } : {}) });
      },
      lockWait: (step, wait) => {
        cli.warn(style.yellow(`    ${step.engine} ${step.id} waits for a lock: ${describeLockWait(wait)}`));
        cli.log('warn', `${step.id} waits for a lock`, {
          engine: step.engine, migration: step.id, lock: { target: wait.target, mode: wait.mode, waitedMs: wait.waitedMs }, blockers: wait.blockers,
        });
      },
      retrying: (attempt, delay, error) => cli.warn(`Database not reachable yet (${redactSecrets(error.message)}); retry ${attempt} in ${formatDuration(delay)}…`),
    },
    config() {
      if (!config) {
        performance.mark('polymigrate:command');
        config = loadConfig(global.config ? { configFile: global.config } : {}).then((loaded) => {
          performance.mark('polymigrate:config');
          return loaded;
        });
      }
      return config;
    },
    async session() {
      if (session) return session;
      const resolved = await cli.config();
      let url = global.url;
      if (global.embedded) {
        if (url) throw new ConfigError('--embedded and --url cannot be used together.');
        const { startLocalServer } = await import('../embedded/local-server.js');
        const server = await startLocalServer(resolved.dir);
        stopServer = () => server.stop();
        url = server.url;
        cli.say(style.dim(`Using the embedded PostgreSQL at ${maskUrl(url)} (data in ${resolved.dir}/.polymigrate).`));
      }
      session = new Session({
        config: resolved,
        ...(url ? { databaseUrl: url } : {}),
        ...(global.directUrl ? { directUrl: global.directUrl } : {}),
        ...(global.wait !== undefined ? { waitSeconds: global.wait } : {}),
        ...(global.lockTimeout !== undefined ? { lockTimeoutSeconds: global.lockTimeout } : {}),
        ...(global.ddlLockTimeout !== undefined ? { ddlLockTimeoutSeconds: global.ddlLockTimeout } : {}),
        ...(global.ddlRetries !== undefined ? { ddlRetries: global.ddlRetries } : {}),
        events: cli.events,
      });
      return session;
    },
    async close() {
      await session?.close();
      await stopServer?.();
    },
  };
  return cli;
}
