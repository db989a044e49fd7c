import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-cli.js';

/**
 * The declarations a consumer's type-check reads, from every entry point in package.json's
 * `exports`: they may name only packages the consumer is sure to have (polymigrate's own
 * dependencies and Node's built-ins) and the entry points' optional peers — never a package
 * polymigrate uses internally whose types are a devDependency (pg: @types/pg).
 */
const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types?: string }>;
  dependencies: Record<string, string>;
};

function reachablePackages(entry: string): Map<string, string> {
  const found = new Map<string, string>();
  const queue = [entry];
  const seen = new Set<string>();
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom '([^']+)'|\bimport\("([^"]+)"\)/gm)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith('.')) queue.push(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.d.ts')));
      else found.set(specifier, path.relative(REPO_ROOT, file));
    }
  }
  return found;
}

describe('public type declarations', () => {
  const entries = Object.entries(manifest.exports).flatMap(([name, target]) => (typeof target === 'object' && target.types ? [[name, path.join(REPO_ROOT, target.types)] as const] : []));

  it('every entry point has its declaration file (npm run build)', () => {
    expect(entries.map(([name]) => name)).toEqual(expect.arrayContaining(['.', './config', './adapter-kit', './testing']));
    for (const [, file] of entries) expect(fs.existsSync(file), file).toBe(true);
  });

  it.each(entries)('%s names only dependencies, Node built-ins and its own peer', (name, file) => {
    const allowed = (pkg: string) => pkg.startsWith('node:') || pkg in manifest.dependencies || (name === './testing' && pkg === 'vitest');
    const offending = [...reachablePackages(file)].filter(
      ([pkg]) =>
        !allowed(
          pkg
            .split('/')
            .slice(0, pkg.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
    );
    expect(offending).toEqual([]);
  });
});
