-- Joins what two other engines own: Prisma's "User" table and Drizzle's events table.
-- That is why this engine runs last in polymigrate.config.ts (and is reverted first).
-- migrate:up
CREATE VIEW reporting.daily_activity AS
SELECT g.day::date AS day,
       (SELECT count(*) FROM public."User" u WHERE u."createdAt"::date = g.day::date) AS signups,
       (SELECT count(*) FROM public.events e WHERE e.occurred_at::date = g.day::date) AS events
FROM generate_series(current_date - 29, current_date, interval '1 day') AS g(day);

-- migrate:down
DROP VIEW reporting.daily_activity;
