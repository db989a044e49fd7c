import { loadConfig } from '../config/load-config.js';
import type { ResolvedConfig } from '../config/config-types.js';
import { ConfigError } from '../errors.js';
import { maskUrl, registerUrlSecrets } from '../db/mask-url.js';
import { redactSecrets, registerEnvironmentSecrets } from '../secrets/secret-registry.js';
import { Session, type SessionOptions } from '../session.js';
import type { RunEvents } from '../run/run-events.js';
import { colorEnabled, formatDuration, makeStyle, type Style } from './output/style.js';
import { renderStep, type StepWidths } from './output/human-report.js';
import { describeLockWait } from '../run/lock-watch.js';
import { writeJsonLog, type LogLevel } from './output/json-log.js';
import type { LocalServer } from '../embedded/local-server.js';

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
    // Events fire only once the command runs, when `cli` exists (and say/warn may be wrapped by then).
    events: cliEvents(
      () => cli,
      (id) => {
        runId = id;
      },
    ),
    config() {
      config ??= loadCliConfig(global);
      return config;
    },
    async session() {
      if (session) return session;
      const resolved = await cli.config();
      let url = global.url;
      if (global.embedded) {
        const server = await startEmbedded(global, resolved.dir);
        stopServer = () => server.stop();
        url = server.url;
        cli.say(style.dim(`Using the embedded PostgreSQL at ${maskUrl(url)} (data in ${resolved.dir}/.polymigrate).`));
      }
      session = new Session(sessionOptions(global, resolved, url, cli.events));
      return session;
    },
    async close() {
      await session?.close();
      await stopServer?.();
    },
  };
  return cli;
}

/** A run's progress as the CLI's lines (and, with --log-format json, log records). */
function cliEvents(getCli: () => Cli, setRunId: (id: number) => void): RunEvents {
  return {
    lockWaiting: (holder, waitingFor) => getCli().warn(`Waiting for ${waitingFor}, held by ${holder}…`),
    lockAcquired: (ms) => {
      const cli = getCli();
      if (ms > 1000) cli.say(cli.style.dim(`Lock acquired after ${formatDuration(ms)}.`));
    },
    runStarted: (id) => setRunId(id),
    stepFinished: (result) => {
      const cli = getCli();
      cli.say(renderStep(result, cli.style, cli.stepWidths));
      cli.log(result.status === 'failed' ? 'error' : 'info', `${result.direction} ${result.id} ${result.status}`, {
        engine: result.engine,
        migration: result.id,
        direction: result.direction,
        durationMs: result.durationMs,
        ...(result.error ? { error: result.error.message } : {}),
      });
    },
    engineOutput: (step, level, message) => {
      const cli = getCli();
      cli.say(cli.style.dim(`    ${step.engine}: ${message}`));
      cli.log(level, message, { engine: step.engine, ...(step.id ? { migration: step.id } : {}) });
    },
    lockWait: (step, wait) => {
      const cli = getCli();
      cli.warn(cli.style.yellow(`    ${step.engine} ${step.id} waits for a lock: ${describeLockWait(wait)}`));
      cli.log('warn', `${step.id} waits for a lock`, {
        engine: step.engine,
        migration: step.id,
        lock: { target: wait.target, mode: wait.mode, waitedMs: wait.waitedMs },
        blockers: wait.blockers,
      });
    },
    retrying: (attempt, delay, error) => getCli().warn(`Database not reachable yet (${redactSecrets(error.message)}); retry ${attempt} in ${formatDuration(delay)}…`),
  };
}

/** The performance marks time the config load for the start-up benchmark (scripts/bench). */
function loadCliConfig(global: GlobalOptions): Promise<ResolvedConfig> {
  performance.mark('polymigrate:command');
  return loadConfig(global.config ? { configFile: global.config } : {}).then((loaded) => {
    performance.mark('polymigrate:config');
    return loaded;
  });
}

/** --embedded: a local PostgreSQL under the project's .polymigrate/, loaded only when asked for. */
async function startEmbedded(global: GlobalOptions, dir: string): Promise<LocalServer> {
  if (global.url) throw new ConfigError('--embedded and --url cannot be used together.');
  const { startLocalServer } = await import('../embedded/local-server.js');
  return startLocalServer(dir);
}

/** Only the options given on the command line: the rest come from the config, in Session. */
function sessionOptions(global: GlobalOptions, config: ResolvedConfig, url: string | undefined, events: RunEvents): SessionOptions {
  return {
    config,
    ...(url ? { databaseUrl: url } : {}),
    ...(global.directUrl ? { directUrl: global.directUrl } : {}),
    ...(global.wait !== undefined ? { waitSeconds: global.wait } : {}),
    ...(global.lockTimeout !== undefined ? { lockTimeoutSeconds: global.lockTimeout } : {}),
    ...(global.ddlLockTimeout !== undefined ? { ddlLockTimeoutSeconds: global.ddlLockTimeout } : {}),
    ...(global.ddlRetries !== undefined ? { ddlRetries: global.ddlRetries } : {}),
    events,
  };
}
