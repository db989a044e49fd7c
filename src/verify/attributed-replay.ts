/**
 * A shadow replay that knows who made what: the attribution tracker (src/schema/attribution.ts)
 * follows every replayed migration, and its state travels with each cached template so that a
 * replay restored from the cache can still name the migration behind every object.
 *
 * The hooks' order (src/shadow/shadow-types.ts): afterRestore (a cached prefix was copied) →
 * beforeReplay (install a tracker on an empty database, or go on from the restored one) →
 * afterStep after each committed migration → beforeCheckpoint before a template is taken, when every
 * session on the database must be closed (our client too: it is opened again on the next step).
 */
import { connect, type DbClient } from '../db/connect.js';
import { AttributionTracker, type AttributionSnapshot } from '../schema/attribution.js';
import type { SchemaExclusions } from '../schema/exclusions.js';
import { SHADOW_DATA_SCHEMA, type Replay, type ReplayOptions, type Shadow, type ShadowPrefix } from '../shadow/shadow.js';
import { RuntimeError } from '../errors.js';

/** Where a tracker's state is kept inside a shadow database (and so inside every template of it). */
const SNAPSHOT_TABLE = `${SHADOW_DATA_SCHEMA}.attribution_snapshot`;

export interface AttributedReplay {
  replay: Replay;
  tracker: AttributionTracker;
}

export interface AttributedReplayOptions {
  only?: ReplayOptions['only'];
  exclude: SchemaExclusions;
  signal?: AbortSignal;
}

export async function replayWithAttribution(shadow: Shadow, options: AttributedReplayOptions): Promise<AttributedReplay> {
  const follower = new TrackerFollower(options.exclude);
  try {
    const replay = await shadow.replay({
      ...(options.only ? { only: options.only } : {}),
      // Templates made with attribution hold its snapshot; plain replays' templates do not.
      cacheSalt: 'attribution-v1',
      // The comparison only reads the shadow.
      readOnly: true,
      ...(options.signal ? { signal: options.signal } : {}),
      afterRestore: (prefix, url) => follower.restore(prefix, url),
      beforeReplay: (restored, url) => follower.start(restored, url),
      afterStep: (step, url) => follower.step(step, url),
      beforeCheckpoint: (_prefix, url) => follower.checkpoint(url),
    });
    return { replay, tracker: follower.tracker() };
  } finally {
    await follower.close();
  }
}

class TrackerFollower {
  private current: AttributionTracker | undefined;
  private client: DbClient | undefined;

  constructor(private readonly exclude: SchemaExclusions) {}

  tracker(): AttributionTracker {
    if (!this.current) throw new RuntimeError('internal: the shadow replay ended before attribution started.');
    return this.current;
  }

  async restore(prefix: ShadowPrefix, url: string): Promise<void> {
    const db = await this.db(url);
    const { rows } = await db.query<{ snapshot: AttributionSnapshot }>(`SELECT snapshot FROM ${SNAPSHOT_TABLE}`).catch(() => ({ rows: [] }));
    // A template made without a snapshot (by another caller of the shadow) cannot say who made
    // what: that is a bug of ours, not something to show as "no owner".
    if (rows.length !== 1)
      throw new RuntimeError(`internal: the cached shadow prefix ending at ${prefix.steps.at(-1)?.engine} ${prefix.steps.at(-1)?.id} has no attribution; run with --no-cache.`);
    this.current = AttributionTracker.restore(rows[0]!.snapshot);
  }

  async start(restored: ShadowPrefix | undefined, url: string): Promise<void> {
    if (restored) return;
    const db = await this.db(url);
    this.current = await AttributionTracker.install(db, { exclude: this.exclude });
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${SHADOW_DATA_SCHEMA};
      CREATE TABLE IF NOT EXISTS ${SNAPSHOT_TABLE} (snapshot jsonb NOT NULL)`);
  }

  async step(step: { engine: string; id: string }, url: string): Promise<void> {
    await this.tracker().afterMigration(await this.db(url), step);
  }

  async checkpoint(url: string): Promise<void> {
    const db = await this.db(url);
    await db.query(`BEGIN; DELETE FROM ${SNAPSHOT_TABLE}`);
    await db.query(`INSERT INTO ${SNAPSHOT_TABLE} (snapshot) VALUES ($1::jsonb)`, [JSON.stringify(this.tracker().snapshot())]);
    await db.query('COMMIT');
    // A template is copied from a database nobody is connected to.
    await this.close();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async db(url: string): Promise<DbClient> {
    this.client ??= await connect(url, { purpose: 'shadow attribution' });
    return this.client;
  }
}
