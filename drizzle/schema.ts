import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, date, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';

// Analytics example schema used by polymigrate's Drizzle fixtures.

export const deviceType = pgEnum('device_type', ['desktop', 'mobile', 'tablet', 'bot']);

export const visitors = pgTable(
  'visitors',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    anonymousId: varchar('anonymous_id', { length: 64 }).notNull(),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    userAgent: text('user_agent'),
  },
  (t) => [uniqueIndex('visitors_anonymous_id_key').on(t.anonymousId)],
);

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    visitorId: uuid('visitor_id')
      .notNull()
      .references(() => visitors.id, { onDelete: 'cascade' }),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    referrer: text('referrer'),
    device: deviceType('device').notNull().default('desktop'),
    country: varchar('country', { length: 2 }),
    utmSource: varchar('utm_source', { length: 255 }),
  },
  (t) => [index('sessions_visitor_id_idx').on(t.visitorId), index('sessions_started_at_idx').on(t.startedAt)],
);

export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    name: varchar('name', { length: 128 }).notNull(),
    properties: jsonb('properties')
      .notNull()
      .default(sql`'{}'::jsonb`),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('events_session_id_idx').on(t.sessionId), index('events_name_occurred_at_idx').on(t.name, t.occurredAt)],
);

export const pageViews = pgTable(
  'page_views',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    title: text('title'),
    durationMs: integer('duration_ms'),
    viewedAt: timestamp('viewed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('page_views_session_id_idx').on(t.sessionId), index('page_views_path_viewed_at_idx').on(t.path, t.viewedAt)],
);

export const dailyRollups = pgTable(
  'daily_rollups',
  {
    day: date('day').notNull(),
    eventName: varchar('event_name', { length: 128 }).notNull(),
    eventCount: bigint('event_count', { mode: 'number' }).notNull().default(0),
    uniqueVisitors: integer('unique_visitors').notNull().default(0),
    pageViews: bigint('page_views', { mode: 'number' }).notNull().default(0),
    computedAt: timestamp('computed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('daily_rollups_day_event_name_key').on(t.day, t.eventName),
    index('daily_rollups_event_name_idx').on(t.eventName),
    check('daily_rollups_counts_non_negative', sql`${t.eventCount} >= 0 AND ${t.uniqueVisitors} >= 0`),
  ],
);
