CREATE TABLE "daily_rollups" (
	"day" date NOT NULL,
	"event_name" varchar(128) NOT NULL,
	"event_count" bigint DEFAULT 0 NOT NULL,
	"unique_visitors" integer DEFAULT 0 NOT NULL,
	"page_views" bigint DEFAULT 0 NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "daily_rollups_counts_non_negative" CHECK ("daily_rollups"."event_count" >= 0 AND "daily_rollups"."unique_visitors" >= 0)
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "utm_source" varchar(255);--> statement-breakpoint
CREATE UNIQUE INDEX "daily_rollups_day_event_name_key" ON "daily_rollups" USING btree ("day","event_name");--> statement-breakpoint
CREATE INDEX "daily_rollups_event_name_idx" ON "daily_rollups" USING btree ("event_name");