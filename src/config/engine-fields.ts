import * as v from 'valibot';

/**
 * Fields every engine kind shares, as valibot schemas (valibot rather than a heavier validator:
 * the config is validated on every command, `status` included, so its load time counts).
 */
export const engineName = v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, "_" or "-"')));

/** The engine's migration directory, relative to the config file. */
export const migrationsPath = v.pipe(v.string(), v.minLength(1, 'expected a non-empty path'));

/** A different database for this engine (defaults to the config's database). */
export const engineUrl = v.optional(v.string());

export const pgIdentifier = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'expected a PostgreSQL identifier'), v.maxLength(63));
