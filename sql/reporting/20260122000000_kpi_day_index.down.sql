-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS reporting.kpi_snapshots_day_idx;
