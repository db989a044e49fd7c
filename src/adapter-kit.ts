/**
 * `polymigrate/adapter-kit`: what an engine author needs. The contract (read src/adapter/contract.ts
 * top to bottom: how to implement an engine, step by step), the descriptor a built-in engine
 * folder exports, and the helpers the built-in engines use themselves. Check an adapter with the
 * shared suite from `polymigrate/testing`.
 */
export type * from './adapter/contract.js';
export type { EngineDescriptor, AdapterEnvironment, DetectedEngine, DetectionFolder } from './adapter/descriptor.js';
export { adapterProblems } from './adapter/verify-adapter.js';
export { runSqlScript, SqlScriptError, type FailedStatement } from './db/run-sql-script.js';
export { splitStatements, findNonTransactionalStatement, mayTakeTransactionControl } from './db/sql-lexer.js';
export { reconcileById } from './status/reconcile.js';
export { sqlLiteral, sqlTextArray } from './db/sql-literal.js';
export { quoteIdent, qualified } from './db/quote.js';
export { isMissingTable } from './db/missing-table.js';
export { ConfigError, MigrationFileError, RefusedError, RuntimeError } from './errors.js';
