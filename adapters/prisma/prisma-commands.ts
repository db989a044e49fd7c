/**
 * The Prisma CLI commands polymigrate prints, in the syntax of the Prisma major the project has
 * installed. Prisma 7 removed `migrate diff`'s `--from-schema-datamodel`/`--to-schema-datamodel`
 * ("was removed. Please use `--[from/to]-schema`") and `--from-url`/`--to-url`/
 * `--[from/to]-schema-datasource` ("Please use `--[from/to]-config-datasource` in combination with
 * a Prisma config file"): prisma/prisma packages/migrate/src/commands/MigrateDiff.ts
 * (`getRemovedTargetParameterHint`, tag 7.9.1), answered the same by the 7.10.1 CLI.
 * Prisma 6 has every flag used for 6 below (6.19.0's MigrateDiff.ts); 5 and older are printed
 * Prisma 6 syntax, which they share.
 */
export type PrismaSyntax = 6 | 7;

/** Prisma 7's syntax from 7 on; Prisma 6's for 6 and older, and when no Prisma is installed. */
export function prismaSyntaxFor(major: number | undefined): PrismaSyntax {
  return major !== undefined && major >= 7 ? 7 : 6;
}

/**
 * A path as one shell word: quoted only when it holds something a shell would split or expand.
 * A `<placeholder>` the user replaces stays as it is.
 */
export function shellWord(text: string): string {
  if (/^[\w./@:+,=-]+$/.test(text) || /^<[^<>]+>$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `--config FILE`, when Prisma would not find the config on its own from where it runs. */
function configFlag(config: string | undefined): string {
  return config ? ` --config ${shellWord(config)}` : '';
}

/** The SQL that turns schema `from` into schema `to` (each a .prisma file or a folder of them). */
export function diffSchemasCommand(syntax: PrismaSyntax, from: string, to: string): string {
  return syntax === 7
    ? `npx prisma migrate diff --from-schema ${shellWord(from)} --to-schema ${shellWord(to)} --script`
    : `npx prisma migrate diff --from-schema-datamodel ${shellWord(from)} --to-schema-datamodel ${shellWord(to)} --script`;
}

/**
 * The SQL that brings the development database to `schema`. Prisma 6 takes the database's URL;
 * Prisma 7 only the datasource of its config file (`datasource.url` in prisma.config.ts).
 */
export function diffDatabaseToSchemaCommand(syntax: PrismaSyntax, schema: string, config?: string): string {
  return syntax === 7
    ? `npx prisma migrate diff${configFlag(config)} --from-config-datasource --to-schema ${shellWord(schema)} --script`
    : `npx prisma migrate diff --from-url "$DATABASE_URL" --to-schema-datamodel ${shellWord(schema)} --script`;
}

/** Prisma's own way to write a migration from the schema (the same in 6 and 7). */
export function createOnlyArgs(name: string, config?: string, schema?: string): string[] {
  return ['migrate', 'dev', '--create-only', '--name', name, ...(config ? ['--config', config] : []), ...(schema ? ['--schema', schema] : [])];
}
