-- Hand-written down migration for 0002_daily_rollups (drizzle-kit does not generate down files).
-- Reverts exactly what 0002_daily_rollups.sql does, in reverse order.
DROP INDEX "daily_rollups_event_name_idx";
DROP INDEX "daily_rollups_day_event_name_key";
ALTER TABLE "sessions" DROP COLUMN "utm_source";
DROP TABLE "daily_rollups";
