import { describe, expect, it } from 'vitest';
import { maskUrl, registerUrlSecrets, urlSecrets } from '../../src/db/mask-url.js';
import { maskKeyValuePairs, parseKeyValueDsn, urlForKeyValuePairs } from '../../src/db/key-value-dsn.js';
import { redactedJson, redactSecrets, registerSecret } from '../../src/secrets/secret-registry.js';

describe('password masking', () => {
  it('masks the password of a URL and of a password parameter', () => {
    expect(maskUrl('postgres://u:s3cr%40t@h:5432/db')).toBe('postgres://u:****@h:5432/db');
    expect(maskUrl('postgres://u@h/db?password=abc')).toBe('postgres://u@h/db?password=****');
    expect(maskUrl('not a url u:pw@host')).not.toContain('pw');
  });

  it('masks a password with an unencoded @ (pg sends what runs to the last @) and one with / in an unparsable URL', () => {
    expect(maskUrl('postgres://app:p@ss@db/app')).toBe('postgres://app:****@db/app');
    // "ss:w/rd" must not survive: the old mask stopped at the first '@'.
    expect(maskUrl('postgres://app:p@ss:w/rd@db/app')).toBe('postgres://app:****@db/app');
    expect(maskUrl('postgres://db:abc/app?password=top%20secret&sslmode=require')).toBe('postgres://db:abc/app?password=****&sslmode=require');
    expect(maskUrl('hunter2-pasted-here')).not.toContain('hunter2');
  });

  it('every form of a URL password is a secret: as written, encoded, decoded, and what pg sends', () => {
    expect(urlSecrets('postgres://app:p@ss:w/rd@db/app')).toEqual(expect.arrayContaining(['p@ss:w/rd']));
    expect(urlSecrets('postgres://app:p%40ss%2Fw@db/app')).toEqual(expect.arrayContaining(['p%40ss%2Fw', 'p@ss/w']));
    expect(urlSecrets('postgres://app:50%off@db/app')).toEqual(expect.arrayContaining(['50%off']));
    expect(urlSecrets('postgres://app:x@db/app?password=se%20cret')).toEqual(expect.arrayContaining(['se cret', 'se%20cret', 'x']));
    expect(urlSecrets("host=db password='a b\\'c'")).toEqual(["a b'c"]);
  });

  it('redacts registered secrets and any user:password@ in free text', () => {
    registerUrlSecrets('postgres://me:hunter2-xyz@db:5432/app');
    const text = redactSecrets('failed for postgres://me:hunter2-xyz@db:5432/app (password hunter2-xyz)');
    expect(text).not.toContain('hunter2-xyz');
    expect(text).toContain('postgres://me:****@db:5432/app');
  });

  it('masks secrets by shape where they are not known: URLs to their last @, password= and "password":', () => {
    expect(redactSecrets("unknown command 'postgres://a:b@c/d@e:5432/f'")).toBe("unknown command 'postgres://a:****@e:5432/f'");
    expect(redactSecrets("connect host=db password='x y' dbname=app")).toBe('connect host=db password=**** dbname=app');
    expect(redactSecrets('PGPASSWORD=abc123 node x')).toBe('PGPASSWORD=**** node x');
    expect(redactSecrets("{ user: 'app', password: 'it''s' }")).not.toContain('it');
  });

  it('keeps a JSON document valid while masking it, quotes and backslashes in the secret included', () => {
    registerSecret('q"uo\\te-secret');
    const json = redactedJson({ message: 'echo q"uo\\te-secret, password=\'a","b\' and postgres://u:p"w@h/db', n: 1 });
    expect(json).not.toContain('uo');
    expect(JSON.parse(json)).toMatchObject({ n: 1 });
  });
});

describe('key=value connection strings (libpq syntax)', () => {
  it('parses quotes and backslash escapes as libpq does, and refuses what libpq refuses', () => {
    expect(parseKeyValueDsn("host=db port = 5432 password='p w\\'d' user=a\\ b")).toEqual([
      ['host', 'db'],
      ['port', '5432'],
      ['password', "p w'd"],
      ['user', 'a b'],
    ]);
    expect(parseKeyValueDsn("host=db password='open")).toBeUndefined();
    expect(parseKeyValueDsn('host db')).toBeUndefined();
  });

  it('shows the pairs with the password masked, and the URL to write instead without it', () => {
    const pairs = parseKeyValueDsn("host=db.internal port=6432 dbname=app user=app@corp password='s3 cret' sslmode=require")!;
    expect(maskKeyValuePairs(pairs)).toBe('host=db.internal port=6432 dbname=app user=app@corp password=**** sslmode=require');
    expect(urlForKeyValuePairs(pairs)).toBe('postgres://app%40corp:PASSWORD@db.internal:6432/app?sslmode=require');
    expect(urlForKeyValuePairs(parseKeyValueDsn('host=/var/run/postgresql dbname=app')!)).toBe('postgres://localhost/app?host=%2Fvar%2Frun%2Fpostgresql');
  });
});
