-- migrate:up transaction:false
-- Built without blocking writes: CONCURRENTLY cannot run inside a transaction.
CREATE INDEX CONCURRENTLY IF NOT EXISTS kpi_snapshots_day_idx ON reporting.kpi_snapshots (day);
