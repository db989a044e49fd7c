/**
 * polymigrate's public API: the config helpers, the adapter contract for custom engines, and the
 * same operations the CLI runs, returning the same results its `--json` prints.
 */
export { defineConfig, drizzle, payload, prisma, sql } from './config/define-config.js';
export type { PolymigrateConfig, EngineConfig, ResolvedConfig, ResolvedEngine } from './config/config-types.js';
export { loadConfig, loadConfigFile, findConfigFile } from './config/load-config.js';
export { validateConfig } from './config/validate-config.js';
export type * from './adapter/contract.js';
export { adapterProblems } from './adapter/verify-adapter.js';
export { Session, type SessionOptions } from './session.js';
export { status, type StatusReport, type StatusOptions } from './operations/status.js';
export { up, type UpCommandOptions } from './operations/up.js';
export { down, type DownCommandOptions } from './operations/down.js';
export { create } from './operations/create.js';
export { resolve } from './operations/resolve.js';
export type { RunReport } from './operations/run-command.js';
export type { RunEvents } from './run/run-events.js';
export type { StepResult, StepErrorInfo } from './run/step-result.js';
export type { Plan, PlannedStep, Refusal, DownStop } from './plan/plan-types.js';
export type { EngineStatus } from './status/engine-status.js';
export { PolymigrateError, ConfigError, RefusedError, RuntimeError, MigrationFileError, UnreadablePathError, LockTimeoutError, InterruptedError, ExitCode } from './errors.js';
export { maskUrl } from './db/mask-url.js';
export { runSqlScript, SqlScriptError } from './db/run-sql-script.js';
export { splitStatements, findNonTransactionalStatement } from './db/sql-lexer.js';
export { VERSION } from './version.js';
export { createPolymigrate, Polymigrate, type PolymigrateOptions, type PolymigrateEvents, type StatusDocument, type RunDocument } from './api/polymigrate.js';
export { createHealthHandler, type HealthHandlerOptions, type MigrationsHealth } from './health/health-handler.js';
export { createMigrateHandler, type MigrateHandlerOptions } from './api/migrate-handler.js';
export { skipReason } from './operations/skip-switch.js';
