import { describe, expect, it } from 'vitest';
import { ignorePatternProblem, matchesIgnore, parseIgnorePattern, splitDisplayName } from '../../src/schema/ignore-patterns.js';
import type { SchemaObject } from '../../src/schema/schema-model.js';

const object = (key: string, extra: Partial<SchemaObject> = {}): SchemaObject => {
  const space = key.startsWith('materialized view ') ? 17 : key.indexOf(' ');
  return { key, kind: key.slice(0, space) as SchemaObject['kind'], name: key.slice(space + 1), fields: {}, ...extra };
};

describe('verify.ignore patterns', () => {
  it('a schema pattern ignores the schema and everything in it', () => {
    const patterns = ['schema storage'];
    expect(matchesIgnore('schema storage', patterns)).toBe(true);
    expect(matchesIgnore('table storage.objects', patterns)).toBe(true);
    expect(matchesIgnore('column storage.objects.name', patterns)).toBe(true);
    expect(matchesIgnore('function storage.search(text, integer)', patterns)).toBe(true);
    expect(matchesIgnore('table public.objects', patterns)).toBe(false);
    expect(matchesIgnore('schema storage_extra', patterns)).toBe(false);
  });

  it('`auth.*` ignores what is directly in auth and what it owns, not the schema itself', () => {
    const patterns = ['auth.*'];
    expect(matchesIgnore('table auth.users', patterns)).toBe(true);
    expect(matchesIgnore('column auth.users.id', patterns)).toBe(true);
    expect(matchesIgnore('policy auth.users.own', patterns)).toBe(true);
    expect(matchesIgnore('function auth.uid()', patterns)).toBe(true);
    expect(matchesIgnore('schema auth', patterns)).toBe(false);
    expect(matchesIgnore('table public.auth', patterns)).toBe(false);
  });

  it("a kind restricts the pattern; a table pattern takes the table's indexes along (from the object, not the key)", () => {
    const patterns = ['table public.spatial_ref_sys'];
    expect(matchesIgnore('table public.spatial_ref_sys', patterns)).toBe(true);
    expect(matchesIgnore('column public.spatial_ref_sys.srid', patterns)).toBe(true);
    expect(matchesIgnore('view public.spatial_ref_sys', patterns)).toBe(false);
    expect(matchesIgnore(object('index public.spatial_ref_sys_srid_idx', { table: 'table public.spatial_ref_sys', schema: 'public' }), patterns)).toBe(true);
    expect(matchesIgnore('index public.spatial_ref_sys_srid_idx', patterns)).toBe(false);
    expect(matchesIgnore(object('index public.other_idx', { table: 'table public.other', schema: 'public' }), patterns)).toBe(false);
  });

  it('`*` stays within one part of a name, `**` crosses dots, `?` is one character', () => {
    expect(matchesIgnore('index public.tmp_a_idx', ['index *.tmp_*'])).toBe(true);
    expect(matchesIgnore('column public.users.email', ['column public.*'])).toBe(false);
    // Without a kind, `public.*` matches the column's table, and so the column.
    expect(matchesIgnore('column public.users.email', ['public.*'])).toBe(true);
    expect(matchesIgnore('column public.users.email', ['column public.**'])).toBe(true);
    expect(matchesIgnore('index app.x_tmp_idx', ['index **_tmp_idx'])).toBe(true);
    expect(matchesIgnore('table public.t1', ['table public.t?'])).toBe(true);
    expect(matchesIgnore('table public.t10', ['table public.t?'])).toBe(false);
  });

  it('quotes may be left out, and a function matches by its name without arguments', () => {
    expect(matchesIgnore('column public.avatar_generations."projectId"', ['public.avatar_generations.projectId'])).toBe(true);
    expect(matchesIgnore('column public.avatar_generations."projectId"', ['column public.avatar_generations."projectId"'])).toBe(true);
    expect(matchesIgnore('function public.pgrst_watch(app.mood)', ['function public.pgrst_*'])).toBe(true);
    expect(matchesIgnore('function public.f(integer, text)', ['function public.f(integer, text)'])).toBe(true);
    expect(matchesIgnore('function public.f(integer, text)', ['function public.f(integer)'])).toBe(false);
    expect(matchesIgnore('extension pg_graphql', ['extension pg_graphql'])).toBe(true);
    expect(matchesIgnore('materialized view public.stats', ['materialized view public.*'])).toBe(true);
    expect(matchesIgnore('view public.stats', ['materialized view public.*'])).toBe(false);
  });

  it('no pattern, no match; regex characters in a name are literal', () => {
    expect(matchesIgnore('table public.users', [])).toBe(false);
    expect(matchesIgnore('table public."a+b"', ['public.a+b'])).toBe(true);
    expect(matchesIgnore('table public.aab', ['public.a+b'])).toBe(false);
  });

  it('a pattern that is not valid says why', () => {
    expect(ignorePatternProblem('tables public.users')).toMatch(/"tables" is not an object kind/);
    expect(ignorePatternProblem('  ')).toMatch(/names no object/);
    expect(ignorePatternProblem('')).toMatch(/names no object/);
    expect(ignorePatternProblem('table public.users')).toBeUndefined();
    expect(() => matchesIgnore('table public.users', ['tables public.users'])).toThrow(/not an object kind/);
    expect(parseIgnorePattern('materialized view app.*').kind).toBe('materialized view');
  });

  it('splits display names on dots outside quotes and argument lists', () => {
    expect(splitDisplayName('public."a.b".c')).toEqual(['public', '"a.b"', 'c']);
    expect(splitDisplayName('app.f(app.mood, integer)')).toEqual(['app', 'f(app.mood, integer)']);
  });
});
