import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { ConfigError } from '../../src/errors.js';
import { memoryAdapter } from '../helpers/memory-adapter.js';
import { TempProject } from '../helpers/project.js';

let project: TempProject | undefined;
afterEach(() => project?.cleanup());

describe('config validation', () => {
  it('fills names from kinds and resolves paths against the config file', () => {
    const config = validateConfig({ engines: [{ kind: 'sql', migrations: 'db' }] }, '/repo/app/polymigrate.config.json');
    expect(config.engines[0]).toMatchObject({ name: 'sql', kind: 'sql' });
    expect(config.engines[0]!.options!.migrations).toBe('/repo/app/db');
    expect(config.journalSchema).toBe('polymigrate');
    expect(config.lockTimeoutSeconds).toBe(60);
  });

  it.each([
    [
      {
        engines: [
          { kind: 'sql', migrations: 'a' },
          { kind: 'sql', migrations: 'b' },
        ],
      },
      /engines\[1\]\.name: duplicate engine name "sql"/,
    ],
    [{ engines: [{ kind: 'mongo', migrations: 'a' }] }, /engines\[0\]\.kind: unknown engine kind "mongo"; expected one of "sql"/],
    [{ engines: [{ kind: 'sql', migrations: 'a', histroy: 'supabase' }] }, /engines\[0\]: unknown key "histroy"/],
    [{ engines: [{ kind: 'sql', migrations: 'a', history: 'flyway' }] }, /engines\[0\]\.history:/],
    [{ engines: [{ kind: 'sql' }] }, /engines\[0\]\.migrations:/],
    [{ engines: [] }, /engines: .*at least one engine/i],
    [{ engines: [{ migrations: 'a' }] }, /engines\[0\]\.kind is missing/],
    [{ engines: [{ kind: 'sql', migrations: 'a' }], lockTimout: 3 }, /unknown key "lockTimout"/],
    [[], /default export must be an object/],
  ])('reports %j with the key path', (raw, message) => {
    expect(() => validateConfig(raw, '/repo/polymigrate.config.json')).toThrow(message);
    try {
      validateConfig(raw, '/repo/polymigrate.config.json');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('/repo/polymigrate.config.json');
    }
  });

  it('accepts a custom adapter object and checks its shape', () => {
    const ok = validateConfig({ engines: [memoryAdapter('custom', [])] }, '/r/c.json');
    expect(ok.engines[0]!.adapter?.name).toBe('custom');
    const broken = { ...memoryAdapter('custom', []), capabilities: { rollback: 'sometimes' } };
    expect(() => validateConfig({ engines: [broken] }, '/r/c.json')).toThrow(/engines\[0\] is a custom adapter object but:\n.*capabilities.rollback/);
  });
});

describe('config loading', () => {
  it('finds the config from a subdirectory and loads TypeScript through jiti', async () => {
    project = new TempProject();
    project.write('polymigrate.config.ts', `const dir: string = 'db';\nexport default { engines: [{ kind: 'sql' as const, name: 'auth', migrations: dir }] };\n`);
    project.write('deep/er/.keep', '');
    const config = await loadConfig({ cwd: project.path('deep/er') });
    expect(config.file).toBe(project.path('polymigrate.config.ts'));
    expect(config.engines[0]!.options!.migrations).toBe(project.path('db'));
  });

  it('reports unparsable JSON with line and column, and a missing --config file', async () => {
    project = new TempProject();
    project.write('polymigrate.config.json', '{\n  "engines": [,]\n}\n');
    await expect(loadConfig({ cwd: project.dir })).rejects.toThrow(/Cannot parse .*polymigrate.config.json.*not valid JSON/s);
    await expect(loadConfig({ cwd: project.dir, configFile: 'nope.json' })).rejects.toThrow(/Config file not found: .*nope.json/);
  });

  it('reports a config module that throws', async () => {
    project = new TempProject();
    project.write('polymigrate.config.mjs', 'throw new Error("boom from config");\n');
    await expect(loadConfig({ cwd: project.dir })).rejects.toThrow(/Cannot load config .*boom from config/);
  });
});
