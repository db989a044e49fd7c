import { describe, expect, it } from 'vitest';
import { poolerHint } from '../../src/pooler/pooler-url.js';

describe("poolerHint: what a URL's shape says about a pooler", () => {
  it.each([
    ['postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres', true, /Supavisor\) in transaction mode/],
    ['postgres://u:p@db.abcdefghijklmnop.supabase.co:6543/postgres', true, /dedicated pooler \(PgBouncer\) in transaction mode/],
    ['postgres://u:p@ep-cool-name-123456-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require', true, /Neon's pooled endpoint/],
    ['postgres://u:p@pgbouncer.internal:5432/app?pgbouncer=true', true, /pgbouncer=true/],
    ['postgres://u:p@pgbouncer.railway.internal:6432/railway', false, /port 6432 is PgBouncer's usual port/],
    ['postgres://u:p@my-db.example.com:6543/app', false, /port 6543 is the usual port/],
  ])('%s', (url, certain, what) => {
    const hint = poolerHint(url);
    expect(hint?.certain).toBe(certain);
    expect(hint?.what).toMatch(what);
    expect(hint?.directUrl).toBeTruthy();
  });

  it.each([
    'postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres', // Supavisor's session mode
    'postgres://u:p@db.abcdefghijklmnop.supabase.co:5432/postgres',
    'postgres://u:p@ep-cool-name-123456.eu-central-1.aws.neon.tech/neondb',
    'postgres://u:p@localhost/app',
    'not a url',
  ])('no hint: %s', (url) => {
    expect(poolerHint(url)).toBeUndefined();
  });
});
