import path from 'node:path';
import * as v from 'valibot';
import { ConfigError } from '../errors.js';
import { engineDescriptor, engineKindNames } from '../adapter/registry.js';
import { adapterProblems, isAdapterObject } from '../adapter/verify-adapter.js';
import type { MigrationAdapter } from '../adapter/contract.js';
import type { ResolvedConfig, ResolvedEngine } from './config-types.js';
import { ignorePatternProblem } from '../schema/ignore-patterns.js';

const topLevelSchema = v.strictObject({
  databaseUrl: v.optional(v.string()),
  directUrl: v.optional(v.string()),
  journalSchema: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a PostgreSQL identifier')), 'polymigrate'),
  lockTimeout: v.optional(v.pipe(v.number(), v.minValue(0, 'expected a number of seconds (0 or more)')), 60),
  ddlLockTimeout: v.optional(v.pipe(v.number(), v.gtValue(0, 'expected a number of seconds (more than 0)'))),
  ddlRetries: v.optional(v.pipe(v.number(), v.integer('expected a whole number'), v.minValue(0, 'expected 0 or more')), 0),
  shadowUrl: v.optional(v.string()),
  verify: v.optional(
    v.strictObject({
      ignore: v.optional(
        v.array(
          v.pipe(
            v.string(),
            v.check(
              (pattern) => ignorePatternProblem(pattern) === undefined,
              (issue) => ignorePatternProblem(String(issue.input)) ?? 'invalid pattern',
            ),
          ),
        ),
      ),
    }),
  ),
  engines: v.pipe(v.array(v.unknown()), v.minLength(1, 'expected at least one engine')),
});

/** `engines[1].migrations` from a key path. */
export function keyPath(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

function issuesMessage(file: string, prefix: PropertyKey[], issues: readonly v.BaseIssue<unknown>[]): ConfigError {
  const lines = issues.map((issue) => {
    const keys = (issue.path ?? []).map((item) => item.key as PropertyKey);
    // A key the schema does not know: name it, at its parent's path.
    if (issue.type === 'strict_object' && issue.expected === 'never') {
      return `${keyPath([...prefix, ...keys.slice(0, -1)])}: unknown key "${String(keys[keys.length - 1])}"`;
    }
    if (issue.type === 'strict_object' && issue.input === undefined) {
      return `${keyPath([...prefix, ...keys])}: missing (it is required)`;
    }
    return `${keyPath([...prefix, ...keys])}: ${issue.message}`;
  });
  return new ConfigError(`Invalid config ${file}:\n  ${lines.join('\n  ')}`, 'Fix the keys above; the README lists every option of each engine kind.');
}

/** An adapter object in the config: checked for the contract's shape, since it comes from user code. */
function customEngine(entry: MigrationAdapter, file: string, at: string): ResolvedEngine {
  const problems = adapterProblems(entry);
  if (problems.length > 0) {
    throw new ConfigError(
      `Invalid config ${file}: ${at} is a custom adapter object but:\n  ${problems.join('\n  ')}`,
      'Build it on the MigrationAdapter type from polymigrate/adapter-kit, and run the suite from polymigrate/testing against it (README: Custom engines).',
    );
  }
  return { name: entry.name, kind: entry.kind, adapter: entry };
}

/** A built-in kind's options, checked by that kind's schema; `migrations` resolved against the config's folder. */
function builtInEngine(entry: unknown, index: number, file: string, dir: string): ResolvedEngine {
  const at = `engines[${index}]`;
  const kind = (entry as { kind?: unknown } | null)?.kind;
  const known = engineKindNames();
  if (typeof kind !== 'string') {
    throw new ConfigError(`Invalid config ${file}: ${at}.kind is missing; expected one of ${known.map((k) => `"${k}"`).join(', ')}.`);
  }
  const kindEntry = engineDescriptor(kind);
  if (!kindEntry) {
    throw new ConfigError(`Invalid config ${file}: ${at}.kind: unknown engine kind "${kind}"; expected one of ${known.map((k) => `"${k}"`).join(', ')}, or a custom adapter object.`);
  }
  const parsed = v.safeParse(kindEntry.optionsSchema, entry);
  if (!parsed.success) throw issuesMessage(file, ['engines', index], parsed.issues);
  const options = parsed.output as Record<string, unknown> & { kind: string; migrations: string; name?: string; url?: string };
  const name = options.name ?? kind;
  return {
    name,
    kind,
    options: { ...options, name, migrations: path.resolve(dir, options.migrations) },
    ...(options.url ? { url: options.url } : {}),
  };
}

/**
 * Validate a loaded config object. Every problem names the config file and the key path, and
 * says what was expected. Relative paths are resolved against the config file's directory.
 */
export function validateConfig(raw: unknown, file: string): ResolvedConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`Invalid config ${file}: the default export must be an object like { engines: [...] }.`, 'See the README for an example config.');
  }
  const top = v.safeParse(topLevelSchema, raw);
  if (!top.success) throw issuesMessage(file, [], top.issues);
  const dir = path.dirname(file);
  const engines: ResolvedEngine[] = [];
  const seen = new Map<string, number>();

  top.output.engines.forEach((entry, index) => {
    const at = `engines[${index}]`;
    const engine = isAdapterObject(entry) ? customEngine(entry, file, at) : builtInEngine(entry, index, file, dir);
    const previous = seen.get(engine.name);
    if (previous !== undefined) {
      throw new ConfigError(
        `Invalid config ${file}: ${at}.name: duplicate engine name "${engine.name}" (also engines[${previous}]).`,
        'Give each engine a unique "name"; it defaults to the kind, so two engines of one kind need names.',
      );
    }
    seen.set(engine.name, index);
    engines.push(engine);
  });

  return {
    file,
    dir,
    ...(top.output.databaseUrl ? { databaseUrl: top.output.databaseUrl } : {}),
    // `directUrl: process.env.DIRECT_URL` with the variable unset is no direct URL.
    ...(top.output.directUrl ? { directUrl: top.output.directUrl } : {}),
    journalSchema: top.output.journalSchema,
    lockTimeoutSeconds: top.output.lockTimeout,
    ...(top.output.ddlLockTimeout !== undefined ? { ddlLockTimeoutSeconds: top.output.ddlLockTimeout } : {}),
    ddlRetries: top.output.ddlRetries,
    ...(top.output.shadowUrl ? { shadowUrl: top.output.shadowUrl } : {}),
    ...(top.output.verify ? { verify: top.output.verify } : {}),
    engines,
  };
}
