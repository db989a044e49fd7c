/**
 * Reasons to skip `up` entirely, read from the environment. Platforms run the same start or build
 * command everywhere; these let a build (or a replica that must not migrate) pass without a
 * database. Returns the one-line reason, or undefined to go ahead.
 */
export function skipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
  const falsy = (v: string | undefined) => v !== undefined && /^(0|false|no|off)$/i.test(v.trim());
  if (truthy(env.POLYMIGRATE_SKIP)) return 'POLYMIGRATE_SKIP is set';
  if (truthy(env.SKIP_MIGRATIONS)) return 'SKIP_MIGRATIONS is set';
  if (falsy(env.MIGRATION_ENABLED)) return 'MIGRATION_ENABLED is false';
  // Next.js sets this while `next build` runs: a build must never need the database.
  if (env.NEXT_PHASE === 'phase-production-build') return 'a Next.js production build is running (NEXT_PHASE)';
  return undefined;
}
