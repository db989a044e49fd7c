import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load-config.js';
import type { ResolvedConfig } from '../../src/config/config-types.js';
import { catalogSnapshot } from '../../src/testing/catalog-snapshot.js';
import { openShadow, type Shadow } from '../../src/shadow/shadow.js';
import { query } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import type { TempProject } from '../helpers/project.js';
import { sqlMigrationId, sqlProject, writeSqlMigration } from '../helpers/shadow-project.js';
import { testBudget } from '../helpers/time-budget.js';

const COUNT = 40;
const ROLE_PASSWORD = 'shadow-maker-pw-8c1e';

/**
 * A shadow on a server the user provides (shadowUrl / --shadow-url). A server of this file's own,
 * so that the list of its databases before and after is exact: polymigrate may create and drop
 * only databases named polymigrate_shadow_…, as a role with CREATEDB and nothing more.
 */
describe("shadow on a server of the user's (shadowUrl)", () => {
  let server: TestServer;
  let project: TempProject;
  let config: ResolvedConfig;
  let shadowUrl: string;
  let adminOf: (db: string) => string;
  let databasesBefore: string[];
  let bystanderBefore: string;
  let template1Before: string;
  let tablespacesBefore: unknown[];
  const staleRun = `polymigrate_shadow_run_${Math.floor((Date.now() - 2 * 86_400_000) / 1000).toString(36)}_0badc0de`;
  const freshRun = `polymigrate_shadow_run_${Math.floor(Date.now() / 1000).toString(36)}_0f0f0f0f`;
  const databases = async () => (await query<{ d: string }>(adminOf('postgres'), 'SELECT datname AS d FROM pg_database ORDER BY 1')).map((r) => r.d);
  const tablespaces = () => query(adminOf('postgres'), 'SELECT spcname, pg_tablespace_location(oid) AS location FROM pg_tablespace ORDER BY 1');
  const cacheTemplates = async () => (await databases()).filter((d) => d.startsWith('polymigrate_shadow_cache_'));

  beforeAll(
    async () => {
      server = await startTestServer();
      adminOf = (db) => server.adminUrl.replace(/\/postgres$/, `/${db}`);
      await query(adminOf('postgres'), `CREATE ROLE shadow_maker LOGIN CREATEDB PASSWORD '${ROLE_PASSWORD}'`);
      await query(adminOf('postgres'), `CREATE ROLE no_createdb LOGIN PASSWORD '${ROLE_PASSWORD}'`);
      await query(adminOf('postgres'), 'CREATE DATABASE bystander');
      await query(adminOf('bystander'), "CREATE TABLE precious (id int PRIMARY KEY, note text); INSERT INTO precious VALUES (1, 'keep me')");
      // What killed runs left: one two days old (stale), one made just now (another run, alive).
      await query(adminOf('postgres'), `CREATE DATABASE ${staleRun} OWNER shadow_maker`);
      await query(adminOf('postgres'), `CREATE DATABASE ${freshRun} OWNER shadow_maker`);
      databasesBefore = await databases();
      bystanderBefore = await catalogSnapshot(adminOf('bystander'));
      template1Before = await catalogSnapshot(adminOf('template1'));
      tablespacesBefore = await tablespaces();
      shadowUrl = `postgres://shadow_maker:${ROLE_PASSWORD}@127.0.0.1:${server.port}/postgres`;
      project = sqlProject('pm-shadow-url-', COUNT);
      config = await loadConfigFile(project.path('polymigrate.config.json'));
    },
    testBudget({ server: 1, query: 4 }),
  );

  afterAll(
    async () => {
      await server?.stop();
      project?.cleanup();
    },
    testBudget({ server: 1 }),
  );

  const withShadow = async <T>(options: Partial<Parameters<typeof openShadow>[0]>, body: (shadow: Shadow) => Promise<T>): Promise<T> => {
    const shadow = await openShadow({ config, shadowUrl, ...options });
    try {
      return await body(shadow);
    } finally {
      await shadow.close();
    }
  };

  it('refuses a role that may not create databases, and says what it needs', async () => {
    const url = `postgres://no_createdb:${ROLE_PASSWORD}@127.0.0.1:${server.port}/postgres`;
    const error = await openShadow({ config, shadowUrl: url }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/does not let this role create databases/);
    expect(`${error?.message} ${(error as { hint?: string } | undefined)?.hint ?? ''}`).not.toContain(ROLE_PASSWORD);
  });

  it(
    'replays into a database of its own, keeps its checkpoints as templates, and drops only what it made, stale leftovers included',
    async () => {
      await withShadow({ targetVersionNum: 170002 }, async (shadow) => {
        expect(shadow.kind).toBe('url');
        expect(shadow.warnings.join('\n')).toMatch(/live database runs PostgreSQL 17 but the shadow server .* runs PostgreSQL 15\.\d+/);
        expect(shadow.warnings.join('\n')).not.toContain(ROLE_PASSWORD);
        const replay = await shadow.replay();
        expect(replay.database).toMatch(/^polymigrate_shadow_run_/);
        expect(replay.cache).toMatchObject({ hit: 0, replayed: COUNT, saved: 4 });
        expect((await query<{ n: number }>(replay.databaseUrl, "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'"))[0]!.n).toBe(COUNT);
      });
      const after = await databases();
      // Checkpoints for 40 steps: 16, 32, 39 and 40.
      expect((await cacheTemplates()).length).toBe(4);
      const ours = (d: string) => d.startsWith('polymigrate_shadow_');
      expect(after.filter((d) => !ours(d))).toEqual(databasesBefore.filter((d) => !ours(d)));
      expect(after).not.toContain(staleRun);
      expect(after).toContain(freshRun);
      expect(after.filter((d) => d.startsWith('polymigrate_shadow_run_'))).toEqual([freshRun]);
      expect(await catalogSnapshot(adminOf('bystander'))).toBe(bystanderBefore);
      expect(await catalogSnapshot(adminOf('template1'))).toBe(template1Before);
      // The embedded server keeps scratch databases in a tablespace in memory; a user's server never gets one.
      expect(await tablespaces()).toEqual(tablespacesBefore);
    },
    testBudget({ query: 8 }),
  );

  it(
    "reuses the cache from another process's shadow on the same server; an edit replays from the checkpoint before it",
    async () => {
      await withShadow({}, async (shadow) => {
        expect((await shadow.replay()).cache).toMatchObject({ hit: COUNT, replayed: 0, saved: 0 });
        writeSqlMigration(project, 20, ', edited boolean');
        const edited = await shadow.replay();
        expect(edited.cache).toMatchObject({ hit: 16, replayed: COUNT - 16 });
        const columns = await query<{ c: string }>(edited.databaseUrl, "SELECT column_name AS c FROM information_schema.columns WHERE table_name = 't_20' ORDER BY 1");
        expect(columns.map((c) => c.c)).toEqual(['edited', 'id', 'note']);
      });
      expect(await catalogSnapshot(adminOf('bystander'))).toBe(bystanderBefore);
    },
    testBudget({ query: 8 }),
  );

  it(
    'keeps the cache within its cap, least recently used first; cache: false neither reads nor writes it',
    async () => {
      await withShadow({ cacheCap: { templates: 2 } }, async (shadow) => {
        const replay = await shadow.replay();
        expect(replay.cache.hit).toBe(COUNT);
        expect(replay.cache.evicted).toBeGreaterThan(0);
      });
      const kept = await cacheTemplates();
      expect(kept).toHaveLength(2);
      const before = kept.join();
      await withShadow({ cache: false }, async (shadow) => {
        const replay = await shadow.replay();
        expect(replay.cache).toEqual({ enabled: false, hit: 0, replayed: COUNT, saved: 0, evicted: 0 });
      });
      expect((await cacheTemplates()).join()).toBe(before);
      // The one just used survived the cap: a replay of the same files still comes from it.
      await withShadow({}, async (shadow) => {
        expect((await shadow.replay()).cache.hit).toBe(COUNT);
      });
    },
    testBudget({ query: 10 }),
  );

  it(
    'a read-only replay of a fully cached chain reads the template itself, no copy, and closes it to connections again',
    async () => {
      await withShadow({}, async (shadow) => {
        const before = await databases();
        const replay = await shadow.replay({ readOnly: true });
        expect(replay.cache).toMatchObject({ enabled: true, hit: COUNT, replayed: 0 });
        expect(replay.database).toMatch(/^polymigrate_shadow_cache_/);
        expect(await databases(), 'no scratch copy made').toEqual(before);
        const tables = await query<{ n: number }>(replay.databaseUrl, "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name ~ '^t_[0-9]+$'");
        expect(tables[0]!.n).toBe(COUNT);
        await replay.drop();
        const rows = await query<{ allow: boolean }>(adminOf('postgres'), 'SELECT datallowconn AS allow FROM pg_database WHERE datname = $1', [replay.database]);
        expect(rows, 'the template is kept, closed to connections again').toEqual([{ allow: false }]);
      });
    },
    testBudget({ query: 6 }),
  );

  it(
    'a removed file changes the chain from where it stood: the prefix before it is still reused; `only` reports ids with no file',
    async () => {
      const removed = 30;
      fs.rmSync(project.path('db', `${sqlMigrationId(removed)}.sql`));
      const upTo = (n: number) => new Set(Array.from({ length: n }, (_, i) => sqlMigrationId(i + 1)));
      await withShadow({}, async (shadow) => {
        // Every template cached so far holds 30 or more migrations, the removed one among them.
        const all = await shadow.replay();
        expect(all.cache).toMatchObject({ hit: 0, replayed: COUNT - 1, saved: 4 });
        const tables = await query<{ t: string }>(all.databaseUrl, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'");
        expect(tables.map((r) => r.t)).not.toContain(`t_${removed}`);
        expect(tables).toHaveLength(COUNT - 1);
        // The first 29 are the same chain as before the removal: the checkpoint at 16 serves them.
        const before = await shadow.replay({ only: new Map([['app', upTo(removed - 1)]]) });
        expect(before.cache).toMatchObject({ hit: 16, replayed: removed - 1 - 16 });
        expect((await shadow.replay()).cache).toMatchObject({ hit: COUNT - 1, replayed: 0 });
        const asked = await shadow.replay({ only: new Map([['app', new Set([sqlMigrationId(1), sqlMigrationId(removed)])]]) });
        expect(asked.steps.map((s) => s.id)).toEqual([sqlMigrationId(1)]);
        expect(asked.missing).toEqual([{ engine: 'app', id: sqlMigrationId(removed) }]);
      });
      expect(await catalogSnapshot(adminOf('bystander'))).toBe(bystanderBefore);
      expect(await query(adminOf('bystander'), 'SELECT id, note FROM precious')).toEqual([{ id: 1, note: 'keep me' }]);
    },
    testBudget({ query: 8 }),
  );
});
