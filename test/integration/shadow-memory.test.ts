import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../src/config/config-types.js';
import { loadConfigFile } from '../../src/config/load-config.js';
import { connect } from '../../src/db/connect.js';
import { defaultExclusions } from '../../src/schema/exclusions.js';
import { introspectSchema } from '../../src/schema/introspect.js';
import { openShadow, type Replay, type Shadow } from '../../src/shadow/shadow.js';
import { urlWithDatabase } from '../../src/shadow/shadow-server.js';
import { query } from '../helpers/database.js';
import type { TempProject } from '../helpers/project.js';
import { sqlProject } from '../helpers/shadow-project.js';
import { testBudget } from '../helpers/time-budget.js';

const COUNT = 40;
const PRISMA = ['20260101000000_accounts', '20260102000000_orders', '20260103000000_order_index'];
const MEMORY = 'polymigrate_scratch';
const TMPFS_MAGIC = 0x01021994;

/** The tests below need /dev/shm as a writable tmpfs; without one they say so and why. */
function shmUnusable(): boolean {
  let reason: string | undefined;
  try {
    if (process.platform !== 'linux') reason = `this is ${process.platform}, not Linux`;
    else if (fs.statfsSync('/dev/shm').type !== TMPFS_MAGIC) reason = '/dev/shm is not a tmpfs';
    else fs.accessSync('/dev/shm', fs.constants.W_OK);
  } catch (error) {
    reason = `/dev/shm is not usable (${(error as Error).message})`;
  }
  if (reason) console.warn(`SKIPPED: test/integration/shadow-memory.test.ts (scratch databases in memory) — ${reason}.`);
  return reason !== undefined;
}

/**
 * The embedded shadow keeps its scratch databases in a tablespace on /dev/shm (a copy there takes
 * tens of milliseconds, on an ext4 disk up to two seconds) and its cached templates on disk. A
 * project of two engines: Prisma (a folder per migration) and SQL files.
 */
describe.skipIf(shmUnusable())('scratch databases in memory (embedded shadow, /dev/shm tablespace)', () => {
  let project: TempProject;
  let config: ResolvedConfig;
  /** The tablespace's folder, and the schema a replay in memory made (set by the first test). */
  let location = '';
  let memorySchema = '';

  beforeAll(() => {
    project = sqlProject('pm-shadow-mem-', COUNT);
    project.write('prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
    PRISMA.forEach((id, i) => project.write(`prisma/migrations/${id}/migration.sql`, `CREATE TABLE p_${i} (id serial PRIMARY KEY, note text);\n`));
    project.config({
      engines: [
        { kind: 'prisma', migrations: 'prisma/migrations' },
        { kind: 'sql', name: 'app', migrations: 'db' },
      ],
    });
  });

  beforeAll(async () => {
    config = await loadConfigFile(project.path('polymigrate.config.json'));
  });

  // The servers are stopped by now: the tablespace's folder (empty) would otherwise stay until a reboot.
  afterAll(() => {
    project?.cleanup();
    if (location) fs.rmSync(location, { recursive: true, force: true });
  });

  const withShadow = async <T>(options: Partial<Parameters<typeof openShadow>[0]>, body: (shadow: Shadow) => Promise<T>): Promise<T> => {
    const shadow = await openShadow({ config, ...options });
    try {
      return await body(shadow);
    } finally {
      await shadow.close();
    }
  };
  const admin = (replay: Replay) => urlWithDatabase(replay.databaseUrl, 'postgres');
  /** Every database of ours on the server and the tablespace it lives in. */
  const placement = async (replay: Replay) =>
    Object.fromEntries(
      (
        await query<{ name: string; tablespace: string }>(
          admin(replay),
          "SELECT d.datname AS name, t.spcname AS tablespace FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname LIKE 'polymigrate\\_shadow\\_%'",
        )
      ).map((r) => [r.name, r.tablespace]),
    );
  const memoryTablespace = async (replay: Replay) =>
    (await query<{ oid: number; location: string }>(admin(replay), 'SELECT oid::int AS oid, pg_tablespace_location(oid) AS location FROM pg_tablespace WHERE spcname = $1', [MEMORY]))[0];
  const schemaOf = async (url: string) => {
    const client = await connect(url, { purpose: 'test' });
    try {
      // In key order: the catalog lists objects in the order of their rows, which two replays need not share.
      const objects = [...(await introspectSchema(client, { exclude: defaultExclusions() })).objects.entries()];
      return JSON.stringify(objects.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    } finally {
      await client.end();
    }
  };
  const templatesOn = (where: Record<string, string>) => Object.entries(where).filter(([name]) => name.startsWith('polymigrate_shadow_cache_'));

  it(
    "replays into a scratch database in memory, keeps its templates on disk, and copies a cached prefix into memory too; drop() empties the tablespace's folder",
    async () => {
      await withShadow({}, async (shadow) => {
        const cold = await shadow.replay();
        expect(cold.cache).toMatchObject({ hit: 0, replayed: COUNT + PRISMA.length, saved: 4 });
        const space = await memoryTablespace(cold);
        expect(space?.location).toMatch(/^\/dev\/shm\/polymigrate-[0-9a-f]{12}-pg\d+$/);
        location = space!.location;
        const where = await placement(cold);
        expect(where[cold.database]).toBe(MEMORY);
        expect(templatesOn(where)).toHaveLength(4);
        for (const [name, tablespace] of templatesOn(where)) expect(tablespace, name).toBe('pg_default');
        const folder = fs.statSync(location);
        expect(folder.mode & 0o777).toBe(0o700);
        if (process.getuid?.() === 0) expect(folder.uid, 'the server runs as postgres when we are root').not.toBe(0);
        memorySchema = await schemaOf(cold.databaseUrl);
        expect(memorySchema).toContain('p_2');
        expect(memorySchema).toContain(`t_${COUNT}`);
        await cold.drop();

        const warm = await shadow.replay();
        expect(warm.cache).toMatchObject({ hit: COUNT + PRISMA.length, replayed: 0 });
        expect((await placement(warm))[warm.database]).toBe(MEMORY);
        expect((await memoryTablespace(warm))?.oid, 'the tablespace is reused').toBe(space!.oid);
        const versionFolder = fs.readdirSync(location).find((n) => n.startsWith('PG_'))!;
        expect(fs.readdirSync(path.join(location, versionFolder))).toHaveLength(1);
        await warm.drop();
        expect(fs.readdirSync(path.join(location, versionFolder)), 'nothing left in memory').toEqual([]);
        expect(shadow.warnings.join('\n')).not.toMatch(/memory/);
      });
    },
    testBudget({ server: 2, query: 10 }),
  );

  it(
    'keeps the scratch database on disk when a file of a migration folder names a tablespace, with the same schema as in memory',
    async () => {
      const note = project.write(`prisma/migrations/${PRISMA[1]}/NOTES.md`, 'If orders grow, move them: ALTER TABLE orders SET TABLESPACE fast;\n');
      try {
        // A file beside migration.sql changes no checksum: the cache still serves the chain, so
        // the copy (not only an empty database) must go to the disk. Without a cache: a cold replay.
        await withShadow({}, async (shadow) => {
          const warm = await shadow.replay();
          expect(warm.cache.hit).toBe(COUNT + PRISMA.length);
          expect((await placement(warm))[warm.database]).toBe('pg_default');
        });
        await withShadow({ cache: false }, async (shadow) => {
          const cold = await shadow.replay();
          expect((await placement(cold))[cold.database]).toBe('pg_default');
          expect(await schemaOf(cold.databaseUrl), 'the same schema, replayed on disk').toBe(memorySchema);
        });
      } finally {
        fs.rmSync(note);
      }
    },
    testBudget({ server: 4, query: 6 }),
  );

  it(
    'two shadows of one process on the same server make the tablespace once, and both replay into it',
    async () => {
      await withShadow({}, async (first) => {
        const replay = await first.replay();
        await replay.drop();
        await query(admin(replay), `DROP TABLESPACE ${MEMORY}`);
        const [a, b] = [await openShadow({ config }), await openShadow({ config })];
        try {
          const [ra, rb] = await Promise.all([a.replay(), b.replay()]);
          const where = await placement(ra);
          expect([where[ra.database], where[rb.database]]).toEqual([MEMORY, MEMORY]);
          expect(await memoryTablespace(ra)).toMatchObject({ location });
          expect([...a.warnings, ...b.warnings].join('\n')).not.toMatch(/memory/);
        } finally {
          await Promise.all([a.close(), b.close()]);
        }
      });
    },
    testBudget({ server: 2, query: 8 }),
  );

  it(
    'after a reboot emptied /dev/shm (the folder gone while no server ran), drops what was left in it and makes the tablespace again',
    async () => {
      const leftover = `polymigrate_shadow_run_${Math.floor(Date.now() / 1000).toString(36)}_0badc0de`;
      let before: { oid: number } | undefined;
      let dataDir = '';
      await withShadow({}, async (shadow) => {
        dataDir = shadow.location;
        const replay = await shadow.replay();
        before = await memoryTablespace(replay);
        // What a run killed mid-replay leaves: a scratch database in memory, with tables in it.
        await query(admin(replay), `CREATE DATABASE ${leftover} TABLESPACE ${MEMORY}`);
        await query(urlWithDatabase(replay.databaseUrl, leftover), 'CREATE TABLE half_done (id int); INSERT INTO half_done VALUES (1)');
      });
      expect(fs.existsSync(path.join(dataDir, 'postmaster.pid')), 'the server stopped with the last shadow').toBe(false);
      fs.rmSync(location, { recursive: true });

      await withShadow({}, async (shadow) => {
        const replay = await shadow.replay();
        expect(replay.cache.hit, 'the templates were on disk: they survived').toBe(COUNT + PRISMA.length);
        const where = await placement(replay);
        expect(where[replay.database]).toBe(MEMORY);
        expect(Object.keys(where)).not.toContain(leftover);
        const after = await memoryTablespace(replay);
        expect(after?.location).toBe(location);
        expect(after?.oid, 'made again').not.toBe(before?.oid);
        expect(fs.readdirSync(location).some((n) => n.startsWith('PG_'))).toBe(true);
        expect((await query<{ n: number }>(replay.databaseUrl, "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name ~ '^t_[0-9]+$'"))[0]!.n).toBe(COUNT);
        expect(shadow.warnings.join('\n')).not.toMatch(/memory/);
      });
    },
    testBudget({ server: 4, query: 10 }),
  );

  it(
    "falls back to the disk with one warning when the folder cannot be made (a file in its place, not the server's), and uses memory again once it can",
    async () => {
      let dataDir = '';
      await withShadow({}, async (shadow) => {
        dataDir = shadow.location;
      });
      expect(fs.existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
      fs.rmSync(location, { recursive: true });
      fs.writeFileSync(location, 'not a folder\n');
      try {
        await withShadow({}, async (shadow) => {
          const first = await shadow.replay();
          expect((await placement(first))[first.database]).toBe('pg_default');
          const second = await shadow.replay();
          expect((await placement(second))[second.database]).toBe('pg_default');
          const lines = shadow.warnings.filter((w) => w.includes('memory'));
          expect(lines).toHaveLength(1);
          expect(lines[0]).toContain(location);
          expect(lines[0]).toMatch(/on disk, not in memory/);
        });
      } finally {
        fs.rmSync(location, { force: true });
      }
      await withShadow({}, async (shadow) => {
        const replay = await shadow.replay();
        expect((await placement(replay))[replay.database]).toBe(MEMORY);
        expect(shadow.warnings.join('\n')).not.toMatch(/memory/);
      });
    },
    testBudget({ server: 6, query: 8 }),
  );
});
