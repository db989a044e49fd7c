import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { pgCredentials } from '../../src/db/pg-credentials.js';

// pg's own parser, the copy pg itself loads (resolved from pg, as pg resolves it).
const fromPg = createRequire(createRequire(import.meta.url).resolve('pg'));
const { parse } = fromPg('pg-connection-string') as { parse: (url: string) => { user?: string; password?: string } };

const URLS = [
  'postgres://app:plain@db/app',
  'postgres://app:p@ss@db/app',
  'postgres://app:pa:ss@db/app',
  'postgres://app:50%off@db/app',
  'postgres://app:my pass@db/app',
  'postgres://app:a%41 b@db/app',
  'postgres://app:p%zz%2fx@db/app',
  'postgres://app:%E2%82%AC%20x@db/app',
  'postgres://app:x@db/app?password=from%20query',
  'postgres://app:x@db/app?password=&user=other',
  'postgres://app:x@db/app?password=one&password=two',
  'postgres://a%40corp:pw@db/app',
  'postgres://u:pw@/app',
  'postgresql://:only-password@db/app',
  '/var/run/postgresql app',
];

describe('pgCredentials: the user and password pg sends', () => {
  it.each(URLS)('%s', (url) => {
    const pg = parse(url);
    expect(pgCredentials(url)).toEqual({ user: pg.user ?? '', password: pg.password ?? '' });
  });

  it.each(['postgres://app:p@ss:w/rd@db/app', 'postgres://app:%E0%A4@db/app'])('throws where pg throws: %s', (url) => {
    expect(() => parse(url)).toThrow();
    expect(() => pgCredentials(url)).toThrow();
  });
});
