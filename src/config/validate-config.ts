import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { engineKinds } from '../adapter/registry.js';
import { adapterProblems, isAdapterObject } from '../adapter/verify-adapter.js';
import type { ResolvedConfig, ResolvedEngine } from './config-types.js';

const topLevelSchema = z.strictObject({
  databaseUrl: z.string().optional(),
  journalSchema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a PostgreSQL identifier').default('polymigrate'),
  lockTimeout: z.number().nonnegative().default(60),
  engines: z.array(z.unknown()).min(1, 'at least one engine'),
});

/** `engines[1].migrations` from zod's path array. */
export function keyPath(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

function zodMessage(file: string, prefix: PropertyKey[], error: z.ZodError): ConfigError {
  const lines = error.issues.map((issue) => {
    const where = keyPath([...prefix, ...issue.path]);
    if (issue.code === 'unrecognized_keys') {
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    return `${where}: ${issue.message}`;
  });
  return new ConfigError(`Invalid config ${file}:\n  ${lines.join('\n  ')}`,
    'Fix the keys above; the README lists every option of each engine kind.');
}

/**
 * Validate a loaded config object. Every problem names the config file and the key path, and
 * says what was expected. Relative paths are resolved against the config file's directory.
 */
export function validateConfig(raw: unknown, file: string): ResolvedConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`Invalid config ${file}: the default export must be an object like { engines: [...] }.`,
      'See the README for an example config.');
  }
  const top = topLevelSchema.safeParse(raw);
  if (!top.success) throw zodMessage(file, [], top.error);
  const dir = path.dirname(file);
  const engines: ResolvedEngine[] = [];
  const seen = new Map<string, number>();

  top.data.engines.forEach((entry, index) => {
    const at = `engines[${index}]`;
    let engine: ResolvedEngine;
    if (isAdapterObject(entry)) {
      const problems = adapterProblems(entry);
      if (problems.length > 0) {
        throw new ConfigError(`Invalid config ${file}: ${at} is a custom adapter object but:\n  ${problems.join('\n  ')}`,
          'See src/adapter/contract.ts for the adapter contract.');
      }
      engine = { name: entry.name, kind: entry.kind, adapter: entry };
    } else {
      const kind = (entry as { kind?: unknown } | null)?.kind;
      const known = Object.keys(engineKinds);
      if (typeof kind !== 'string') {
        throw new ConfigError(`Invalid config ${file}: ${at}.kind is missing; expected one of ${known.map((k) => `"${k}"`).join(', ')}.`);
      }
      const kindEntry = engineKinds[kind];
      if (!kindEntry) {
        throw new ConfigError(`Invalid config ${file}: ${at}.kind: unknown engine kind "${kind}"; expected one of ${known.map((k) => `"${k}"`).join(', ')}, or a custom adapter object.`);
      }
      const parsed = kindEntry.schema.safeParse(entry);
      if (!parsed.success) throw zodMessage(file, ['engines', index], parsed.error);
      const options = parsed.data as Record<string, unknown> & { kind: string; migrations: string; name?: string; url?: string };
      const name = options.name ?? kind;
      engine = {
        name,
        kind,
        options: { ...options, name, migrations: path.resolve(dir, options.migrations) },
        ...(options.url ? { url: options.url } : {}),
      };
    }
    const previous = seen.get(engine.name);
    if (previous !== undefined) {
      throw new ConfigError(`Invalid config ${file}: ${at}.name: duplicate engine name "${engine.name}" (also engines[${previous}]).`,
        'Give each engine a unique "name"; it defaults to the kind, so two engines of one kind need names.');
    }
    seen.set(engine.name, index);
    engines.push(engine);
  });

  return {
    file,
    dir,
    ...(top.data.databaseUrl ? { databaseUrl: top.data.databaseUrl } : {}),
    journalSchema: top.data.journalSchema,
    lockTimeoutSeconds: top.data.lockTimeout,
    engines,
  };
}
