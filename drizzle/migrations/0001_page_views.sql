CREATE TYPE "public"."device_type" AS ENUM('desktop', 'mobile', 'tablet', 'bot');--> statement-breakpoint
CREATE TABLE "page_views" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"path" text NOT NULL,
	"title" text,
	"duration_ms" integer,
	"viewed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "device" "device_type" DEFAULT 'desktop' NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "country" varchar(2);--> statement-breakpoint
ALTER TABLE "page_views" ADD CONSTRAINT "page_views_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "page_views_session_id_idx" ON "page_views" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "page_views_path_viewed_at_idx" ON "page_views" USING btree ("path","viewed_at");--> statement-breakpoint
CREATE INDEX "events_name_occurred_at_idx" ON "events" USING btree ("name","occurred_at");--> statement-breakpoint
CREATE INDEX "sessions_started_at_idx" ON "sessions" USING btree ("started_at");