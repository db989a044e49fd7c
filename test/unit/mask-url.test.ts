import { describe, expect, it } from 'vitest';
import { maskUrl, redactSecrets, registerUrlSecrets } from '../../src/db/mask-url.js';

describe('password masking', () => {
  it('masks the password of a URL and of a password parameter', () => {
    expect(maskUrl('postgres://u:s3cr%40t@h:5432/db')).toBe('postgres://u:****@h:5432/db');
    expect(maskUrl('postgres://u@h/db?password=abc')).toBe('postgres://u@h/db?password=****');
    expect(maskUrl('not a url u:pw@host')).not.toContain('pw@');
  });

  it('redacts registered secrets and any user:password@ in free text', () => {
    registerUrlSecrets('postgres://me:hunter2-xyz@db:5432/app');
    const text = redactSecrets('failed for postgres://me:hunter2-xyz@db:5432/app (password hunter2-xyz)');
    expect(text).not.toContain('hunter2-xyz');
    expect(text).toContain('postgres://me:****@db:5432/app');
  });
});
