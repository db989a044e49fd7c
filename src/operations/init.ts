import fs from 'node:fs';
import path from 'node:path';
import { engineDescriptor, ENGINE_DESCRIPTORS } from '../adapter/registry.js';
import type { DetectedEngine } from '../adapter/descriptor.js';
import { ConfigError } from '../errors.js';
import { CONFIG_NAMES } from '../config/load-config.js';

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Workspace package folders from pnpm-workspace.yaml or package.json "workspaces" (dir/* and plain dirs). */
export function workspacePackages(root: string): string[] {
  const patterns: string[] = [];
  const pnpm = path.join(root, 'pnpm-workspace.yaml');
  if (fs.existsSync(pnpm)) {
    let inPackages = false;
    for (const line of fs.readFileSync(pnpm, 'utf8').split('\n')) {
      if (/^packages\s*:/.test(line)) {
        inPackages = true;
        continue;
      }
      if (inPackages && /^\S/.test(line)) inPackages = false;
      const item = inPackages ? /^\s*-\s*['"]?([^'"#]+?)['"]?\s*(#.*)?$/.exec(line) : null;
      if (item?.[1]) patterns.push(item[1].trim());
    }
  }
  const workspaces = readJson(path.join(root, 'package.json'))?.workspaces;
  if (Array.isArray(workspaces)) patterns.push(...workspaces.map(String));
  else if (workspaces && typeof workspaces === 'object' && Array.isArray((workspaces as { packages?: unknown }).packages)) {
    patterns.push(...(workspaces as { packages: unknown[] }).packages.map(String));
  }
  const dirs = new Set<string>();
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) continue;
    const clean = pattern.replace(/\/+$/, '');
    if (clean.endsWith('/*') || clean.endsWith('/**')) {
      const base = path.join(root, clean.replace(/\/\*\*?$/, ''));
      if (!fs.existsSync(base)) continue;
      for (const entry of fs.readdirSync(base, { withFileTypes: true })) {
        if (entry.isDirectory() && entry.name !== 'node_modules') dirs.add(path.join(base, entry.name));
      }
    } else if (fs.existsSync(path.join(root, clean))) {
      dirs.add(path.join(root, clean));
    }
  }
  return [...dirs].sort();
}

/** Ask every engine what it finds in one package folder; in a workspace, the folder's name prefixes the engine's. */
export function detectIn(root: string, dir: string): DetectedEngine[] {
  const rel = (p: string) => path.relative(root, p).split(path.sep).join('/') || '.';
  const label = dir === root ? '' : path.basename(dir);
  return ENGINE_DESCRIPTORS.flatMap((descriptor) => descriptor.detect?.({ root, dir, rel }) ?? []).map((found) => ({ ...found, name: label ? `${label}-${found.name}` : found.name }));
}

export function detectEngines(root: string): DetectedEngine[] {
  const all = [root, ...workspacePackages(root)].flatMap((dir) => detectIn(root, dir));
  const rank = (kind: string) => engineDescriptor(kind)?.initRank ?? Number.MAX_SAFE_INTEGER;
  return all.sort((a, b) => rank(a.kind) - rank(b.kind));
}

export function renderConfig(engines: DetectedEngine[]): string {
  const lines = [
    "import { defineConfig } from 'polymigrate/config';",
    '',
    'export default defineConfig({',
    '  // A migration waits at most 5 s for a table lock, then is rolled back and tried again (5 times,',
    '  // with backoff): an ALTER queued behind a long-running query would otherwise hold up every read',
    '  // of that table until it gets its lock. Remove these two lines to let migrations wait forever.',
    '  ddlLockTimeout: 5,',
    '  ddlRetries: 5,',
    '  // Engines run in this order for `up` and in reverse for `down`.',
    '  engines: [',
  ];
  for (const engine of engines) {
    const fields = [`kind: '${engine.kind}'`, `name: '${engine.name}'`, `migrations: '${engine.migrations}'`, ...Object.entries(engine.extra).map(([k, v]) => `${k}: '${v}'`)];
    const entry = `{ ${fields.join(', ')} },`;
    if (engineDescriptor(engine.kind)) lines.push(`    ${entry}`);
    else lines.push(`    // Detected ${engine.evidence}, but this polymigrate version has no ${engine.kind} engine yet:`, `    // ${entry}`);
  }
  lines.push('  ],', '});', '');
  return lines.join('\n');
}

export interface InitResult {
  file: string;
  engines: DetectedEngine[];
  explanation: string[];
  addedScript: boolean;
  /** `.polymigrate/` was added to .gitignore (the shadow's and --embedded's local servers keep their data there). */
  addedGitignore: boolean;
}

export function init(root: string, options: { force?: boolean; addScript?: boolean } = {}): InitResult {
  const existing = CONFIG_NAMES.map((n) => path.join(root, n)).find((f) => fs.existsSync(f));
  if (existing && !options.force) {
    throw new ConfigError(`${existing} already exists.`, 'Pass --force to replace it.');
  }
  const engines = detectEngines(root);
  if (engines.length === 0) {
    throw new ConfigError(
      `Found no Prisma, Payload, Drizzle or supabase/migrations folder in ${root} or its workspace packages.`,
      'Write polymigrate.config.ts by hand (see the README), or run init from the repository root.',
    );
  }
  const file = path.join(root, 'polymigrate.config.ts');
  fs.writeFileSync(file, renderConfig(engines));
  const explanation = engines.map((e, i) => `${i + 1}. ${e.name} (${e.kind}) from ${e.evidence}`);
  // Why the first engine goes first, when it is there for a reason and others follow it.
  const first = engineDescriptor(engines[0]!.kind);
  if (first?.initReason && engines.some((e) => e.kind !== first.kind)) explanation.push(first.initReason);
  let addedScript = false;
  if (options.addScript) {
    const pkgFile = path.join(root, 'package.json');
    const pkg = readJson(pkgFile) ?? {};
    const scripts = (pkg.scripts ?? {}) as Record<string, string>;
    if (!scripts['db:migrate']) {
      scripts['db:migrate'] = 'polymigrate';
      pkg.scripts = scripts;
      fs.writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
      addedScript = true;
    }
  }
  return { file, engines, explanation, addedScript, addedGitignore: ignoreStateFolder(root) };
}

const STATE_FOLDER = '.polymigrate/';

/**
 * `.polymigrate/` in the root's .gitignore (made if missing): the local PostgreSQL data of the
 * shadow and of --embedded lives there, megabytes nobody should commit. False: already ignored.
 */
export function ignoreStateFolder(root: string): boolean {
  const file = path.join(root, '.gitignore');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const ignored = text.split(/\r?\n/).some((line) => /^\/?\.polymigrate\/?(\*\*?)?\s*$/.test(line.trim()));
  if (ignored) return false;
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  fs.appendFileSync(file, `${separator}${STATE_FOLDER}\n`);
  return true;
}
