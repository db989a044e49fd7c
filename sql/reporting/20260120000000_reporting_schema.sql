-- A reporting schema owned by plain SQL (no ORM): dashboards read from here.
-- migrate:up
CREATE SCHEMA IF NOT EXISTS reporting;

CREATE TABLE reporting.kpi_definitions (
  key         text PRIMARY KEY,
  label       text NOT NULL,
  unit        text NOT NULL DEFAULT 'count',
  created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO reporting.kpi_definitions (key, label) VALUES
  ('signups', 'New sign-ups'),
  ('active_users', 'Active users'),
  ('page_views', 'Page views');

-- migrate:down
DROP TABLE reporting.kpi_definitions;
DROP SCHEMA reporting;
