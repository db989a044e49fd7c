/**
 * `verify.ignore`: objects that the hosting platform or extensions create and that no migration
 * owns (Supabase's `auth` and `storage` schemas, PostGIS's `spatial_ref_sys` …).
 *
 * Syntax of one pattern:   [KIND ]NAME-GLOB
 *   KIND       optional, one of the object kinds: schema, extension, enum, domain, sequence, table,
 *              column, constraint, index, view, materialized view, function, procedure, trigger,
 *              policy. Without it the pattern applies to objects of every kind.
 *   NAME-GLOB  the object's display name as differences show it (`public.users`,
 *              `public.users.email`, `public.f(integer, text)`), with wildcards:
 *              `*` any run of characters within one part of the name (it does not cross a `.`),
 *              `**` any run of characters, dots included, `?` one character other than `.`.
 *              Double quotes may be left out (`public.avatar_generations.projectId` matches
 *              `public.avatar_generations."projectId"`), and a function or procedure also
 *              matches by its name without the argument list (`auth.uid` matches `auth.uid()`).
 * An object is ignored when a pattern matches it, its table (for columns, constraints, indexes,
 * triggers, policies and serial sequences) or its schema. Examples:
 *   `schema auth`                 the schema auth and everything in it
 *   `auth.*`                      every table, view, function … directly in auth, and what they
 *                                 own (not the schema object itself: add `schema auth` for that)
 *   `table public.spatial_ref_sys` that table with its columns, indexes and constraints
 *   `extension pg_graphql`        that extension
 *   `function public.pgrst_*`     every overload of every function whose name starts so
 *   `index **_tmp_idx`            any index, in any schema, whose name ends so
 */
import { leadingKind, RELATION_KINDS, SCHEMA_OBJECT_KINDS, parseObjectKey, type SchemaObject, type SchemaObjectKind } from './schema-model.js';

export interface IgnorePattern {
  readonly source: string;
  readonly kind?: SchemaObjectKind;
  readonly regex: RegExp;
}

/** What a pattern is matched against: a schema object, or just its key. */
export type IgnoreTarget = string | Pick<SchemaObject, 'key' | 'kind' | 'name' | 'schema' | 'table'>;

/** Parse one pattern; throws with a message that says what is wrong with it. */
export function parseIgnorePattern(source: string): IgnorePattern {
  const trimmed = source.trim();
  const kind = leadingKind(trimmed);
  const glob = (kind ? trimmed.slice(kind.length) : trimmed).trim();
  if (glob === '') throw new Error(`ignore pattern ${JSON.stringify(source)} names no object`);
  if (!kind && /\s/.test(glob) && !glob.includes('"')) {
    const word = glob.split(/\s/)[0];
    throw new Error(`ignore pattern ${JSON.stringify(source)}: "${word}" is not an object kind (one of: ${SCHEMA_OBJECT_KINDS.join(', ')})`);
  }
  return { source, ...(kind ? { kind } : {}), regex: globToRegex(glob) };
}

/** The problem with a pattern, or undefined when it is valid (for the config validator). */
export function ignorePatternProblem(source: string): string | undefined {
  try {
    parseIgnorePattern(source);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Whether any pattern matches the object, its table or its schema. */
export function matchesIgnore(object: IgnoreTarget, patterns: ReadonlyArray<string | IgnorePattern>): boolean {
  const compiled = patterns.map((p) => (typeof p === 'string' ? parseIgnorePattern(p) : p));
  const candidates = candidatesOf(object);
  return compiled.some((pattern) => candidates.some((candidate) => matches(pattern, candidate)));
}

/** A name the object answers to, with its kind (undefined: some relation whose kind the key does not say). */
interface Candidate {
  kind: SchemaObjectKind | undefined;
  name: string;
}

function matches(pattern: IgnorePattern, candidate: Candidate): boolean {
  if (pattern.kind !== undefined) {
    const kindFits = candidate.kind === undefined ? RELATION_KINDS.has(pattern.kind) : pattern.kind === candidate.kind;
    if (!kindFits) return false;
  }
  return nameForms(candidate.name).some((form) => pattern.regex.test(form));
}

function candidatesOf(object: IgnoreTarget): Candidate[] {
  const target = typeof object === 'string' ? targetFromKey(object) : object;
  const candidates: Candidate[] = [{ kind: target.kind, name: target.name }];
  if (target.table !== undefined) {
    const owner = target.table.includes(' ') ? parseObjectKey(target.table) : { kind: undefined, name: target.table };
    candidates.push(owner);
  }
  if (target.schema !== undefined) candidates.push({ kind: 'schema', name: target.schema });
  return candidates;
}

const CHILD_KINDS: ReadonlySet<SchemaObjectKind> = new Set(['column', 'constraint', 'trigger', 'policy']);

/** A key alone says the schema and, for columns, constraints, triggers and policies, the table (not its kind). */
function targetFromKey(key: string): { kind: SchemaObjectKind; name: string; schema?: string; table?: string } {
  const { kind, name } = parseObjectKey(key);
  if (kind === 'schema' || kind === 'extension') return { kind, name };
  const parts = splitDisplayName(name);
  const schema = parts[0]!;
  // A bare name (no kind): the owner's kind is unknown, matched as any relation.
  const table = CHILD_KINDS.has(kind) && parts.length >= 3 ? `${parts[0]}.${parts[1]}` : undefined;
  return { kind, name, schema, ...(table ? { table } : {}) };
}

/** `public."a.b".c` → ['public', '"a.b"', 'c']: dots inside quotes or an argument list do not split. */
export function splitDisplayName(name: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let depth = 0;
  for (const ch of name) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth += 1;
    else if (!quoted && ch === ')') depth -= 1;
    if (ch === '.' && !quoted && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** The display name, without its quotes, and for a function without its argument list. */
function nameForms(name: string): string[] {
  const forms = [name, unquote(name)];
  const args = name.indexOf('(');
  if (args > 0) forms.push(name.slice(0, args), unquote(name.slice(0, args)));
  return forms;
}

function unquote(name: string): string {
  return name.replace(/"((?:[^"]|"")*)"/g, (_match, inner: string) => inner.replace(/""/g, '"'));
}

function globToRegex(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      source += '.*';
      i += 1;
    } else if (ch === '*') source += '[^.]*';
    else if (ch === '?') source += '[^.]';
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
