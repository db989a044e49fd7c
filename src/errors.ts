/**
 * Every error polymigrate raises on purpose carries its exit code (DESIGN.md) and, where there is
 * one, the next thing the user should do. The CLI maps errors to exit codes in one place
 * (src/cli/exit.ts); anything that is not a PolymigrateError is a runtime failure (exit 1).
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  pending: 3,
  problems: 4,
  refused: 5,
  /** Stopped by SIGINT (128 + 2) or SIGTERM (128 + 15), as shells report it. */
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class PolymigrateError extends Error {
  readonly exitCode: ExitCode;
  readonly hint?: string;
  constructor(message: string, options: { exitCode: ExitCode; hint?: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode;
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

/** The config file, a config key, or a command-line argument is wrong (exit 2). */
export class ConfigError extends PolymigrateError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });
  }
}

/** A safety rule refused the command before anything changed (exit 5). */
export class RefusedError extends PolymigrateError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.refused, ...(hint ? { hint } : {}) });
  }
}

/** Another run held the lock longer than --lock-timeout (exit 5). */
export class LockTimeoutError extends RefusedError {}

/** The database could not be reached or a migration failed (exit 1). */
export class RuntimeError extends PolymigrateError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.failure, ...(hint ? { hint } : {}), cause });
  }
}

/** A migration file on disk cannot be used (exit 2: the input is wrong, nothing ran). */
export class MigrationFileError extends PolymigrateError {
  readonly file: string;
  constructor(file: string, message: string, hint?: string) {
    super(`${file}: ${message}`, { exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });
    this.file = file;
  }
}

/** The process was told to stop (SIGINT/SIGTERM) before the command could finish (exit 130/143). */
export class InterruptedError extends PolymigrateError {
  constructor(signal: string, what: string) {
    super(`Interrupted by ${signal} ${what}; nothing was changed.`, { exitCode: exitCodeForSignal(signal) });
  }
}

export function exitCodeForSignal(signal: string): ExitCode {
  return signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
}

/**
 * A migration file or folder the process cannot read (permission denied, a broken symbolic link, a
 * folder where a file belongs): exit 2, the input is wrong and nothing ran. The reader knows the
 * path; the core adds the engine whose migrations these are (`forEngine`).
 */
export class UnreadablePathError extends PolymigrateError {
  readonly path: string;
  readonly reason: string;
  readonly engine?: string;
  /** `cause`: the file system's error. */
  constructor(path: string, reason: string, hint: string, options: { engine?: string; cause?: unknown } = {}) {
    super(`${options.engine ? `${options.engine}: ` : ''}cannot read ${path}: ${reason}.`, { exitCode: ExitCode.usage, hint, cause: options.cause });
    this.path = path;
    this.reason = reason;
    if (options.engine !== undefined) this.engine = options.engine;
  }

  forEngine(engine: string): UnreadablePathError {
    return this.engine ? this : new UnreadablePathError(this.path, this.reason, this.hint ?? '', { engine, cause: this.cause });
  }
}
