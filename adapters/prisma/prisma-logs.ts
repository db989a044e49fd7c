import type { StepFailureReport } from '../../src/adapter/contract.js';

/**
 * What goes into `_prisma_migrations.logs` when a migration fails partway, in the shape of
 * Prisma's own P3018 text (user-facing-errors, schema_engine.rs), so a person or a script that
 * reads Prisma's logs finds the same parts: migration name, database error code, database error.
 * Prisma appends the Rust error's debug form and a span trace; polymigrate says who wrote it.
 */
export function prismaFailureLogs(migrationName: string, report: StepFailureReport): string {
  return [
    'A migration failed to apply. New migrations cannot be applied before the error is recovered from. ' +
      'Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve',
    `Migration name: ${migrationName}`,
    report.code ? `Database error code: ${report.code}` : undefined,
    `Database error:\n${report.message}`,
    report.detail ? `DETAIL: ${report.detail}` : undefined,
    report.hint ? `HINT: ${report.hint}` : undefined,
    '(recorded by polymigrate)',
  ]
    .filter(Boolean)
    .join('\n\n');
}
