/**
 * polymigrate's public API. The root holds what an application needs: the facade
 * (`createPolymigrate`: status, up, down, verify, baseline, check, create, resolve, returning the CLI's `--json` documents),
 * the config helpers, the health and migrate routes, the documents' types and the errors.
 * Engine authors import from `polymigrate/adapter-kit` (the adapter contract and its helpers) and
 * `polymigrate/testing` (the suite every adapter passes); a config file from `polymigrate/config`.
 */
export { createPolymigrate, type Polymigrate, type PolymigrateOptions, type PolymigrateEvents } from './api/polymigrate.js';
export { defineConfig, drizzle, payload, prisma, sql } from './config/define-config.js';
export type { PolymigrateConfig, EngineConfig } from './config/config-types.js';
export { createHealthHandler, type HealthHandlerOptions, type MigrationsHealth } from './health/health-handler.js';
export { createMigrateHandler, type MigrateHandlerOptions } from './api/migrate-handler.js';
export type {
  StatusDocument,
  RunDocument,
  SkippedDocument,
  ErrorDocument,
  EngineDocument,
  MigrationDocument,
  PlanDocument,
  VerifyDocument,
  BaselineDocument,
  CheckDocument,
} from './report/documents.js';
export type { VerifyOptions, VerifyDifference, MigrationRefDocument, BaselineOptions } from './operations/reports.js';
export type { CheckOptions, CheckDifference, CheckedMigration, DownCheckResult } from './operations/check-report.js';
export type { StepResult, StepErrorInfo, StepOutcome } from './run/step-result.js';
export type { Plan, PlannedStep, Refusal, DownStop } from './plan/plan-types.js';
export { PolymigrateError, ConfigError, RefusedError, RuntimeError, MigrationFileError, UnreadablePathError, LockTimeoutError, InterruptedError, ExitCode } from './errors.js';
export { VERSION } from './version.js';
