-- migrate:up
CREATE TABLE reporting.kpi_snapshots (
  kpi_key   text NOT NULL REFERENCES reporting.kpi_definitions (key),
  day       date NOT NULL,
  value     numeric NOT NULL,
  PRIMARY KEY (kpi_key, day)
);

-- Keeps "latest value per KPI" cheap for the dashboard's header row.
CREATE FUNCTION reporting.latest_kpi(p_key text) RETURNS numeric
LANGUAGE sql STABLE AS $$
  SELECT value FROM reporting.kpi_snapshots WHERE kpi_key = p_key ORDER BY day DESC LIMIT 1;
$$;

-- migrate:down
DROP FUNCTION reporting.latest_kpi(text);
DROP TABLE reporting.kpi_snapshots;
