import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate-config.js';
import { ConfigError } from '../../src/errors.js';
import { Session } from '../../src/session.js';

const POOLED = 'postgres://app:pw@pooler.example.com:6543/app';
const DIRECT = 'postgres://app:pw@db.example.com:5432/app';
const OTHER = 'postgres://app:pw@other.example.com:5432/app';

function session(config: Record<string, unknown>, options: { databaseUrl?: string; directUrl?: string } = {}): Session {
  return new Session({ config: validateConfig({ ...config, engines: [{ kind: 'sql', migrations: 'db' }] }, '/repo/polymigrate.config.json'), ...options });
}

describe('the direct URL: which URL up, down and resolve run on', () => {
  const saved = { DATABASE_URL: process.env.DATABASE_URL, DIRECT_URL: process.env.DIRECT_URL };
  beforeEach(() => {
    delete process.env.DATABASE_URL;
    delete process.env.DIRECT_URL;
  });
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('DATABASE_URL pairs with DIRECT_URL; status keeps DATABASE_URL', () => {
    process.env.DATABASE_URL = POOLED;
    process.env.DIRECT_URL = DIRECT;
    const s = session({});
    expect(s.databaseUrl).toBe(POOLED);
    expect(s.forRun().databaseUrl).toBe(DIRECT);
    expect(s.forRun().forRun()).toBe(s.forRun());
  });

  it("the config's directUrl wins over DIRECT_URL; an empty one (an unset variable) is none", () => {
    process.env.DATABASE_URL = POOLED;
    process.env.DIRECT_URL = OTHER;
    expect(session({ directUrl: DIRECT }).forRun().databaseUrl).toBe(DIRECT);
    expect(session({ directUrl: '' }).forRun().databaseUrl).toBe(OTHER);
  });

  it('a URL named on the command line or in the config never pairs with a DIRECT_URL left in the environment', () => {
    process.env.DIRECT_URL = OTHER;
    const cli = session({}, { databaseUrl: POOLED });
    expect(cli.forRun()).toBe(cli);
    const configured = session({ databaseUrl: POOLED });
    expect(configured.forRun()).toBe(configured);
    expect(session({}, { databaseUrl: POOLED, directUrl: DIRECT }).forRun().databaseUrl).toBe(DIRECT);
    expect(session({ databaseUrl: POOLED, directUrl: DIRECT }).forRun().databaseUrl).toBe(DIRECT);
  });

  it('no direct URL, or the same URL: the run uses the session itself', () => {
    process.env.DATABASE_URL = POOLED;
    const s = session({});
    expect(s.forRun()).toBe(s);
    const same = session({ directUrl: POOLED });
    expect(same.forRun()).toBe(same);
  });

  it('a bad direct URL is a usage error naming where it came from', () => {
    process.env.DATABASE_URL = POOLED;
    process.env.DIRECT_URL = 'mysql://x@y/z';
    expect(() => session({}).forRun()).toThrow(ConfigError);
    expect(() => session({}).forRun()).toThrow(/DIRECT_URL must start with postgres:\/\//);
    expect(() => session({ directUrl: 'nope' }).forRun()).toThrow(/"directUrl" in \/repo\/polymigrate.config.json is not a valid URL/);
  });
});
