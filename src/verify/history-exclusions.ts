import type { MigrationAdapter } from '../adapter/contract.js';
import { defaultExclusions, type SchemaExclusions } from '../schema/exclusions.js';

/**
 * What a schema comparison leaves out for this project: polymigrate's journal schema and every
 * engine's history table as the engine itself names it (drizzle's configured schema and table, a
 * Prisma `schema`, Payload's `schemaName` …), plus the built-in defaults, so that a history table an
 * engine created under its default name before the config changed is not reported either.
 */
export async function historyExclusions(journalSchema: string, adapters: Iterable<MigrationAdapter>): Promise<SchemaExclusions> {
  const defaults = defaultExclusions(journalSchema);
  const tables = [...defaults.tables];
  for (const adapter of adapters) {
    for (const table of (await adapter.history.tables?.()) ?? []) tables.push(table);
  }
  return { schemas: defaults.schemas, tables: dedupe(tables) };
}

export type HistoryTable = SchemaExclusions['tables'][number];

/**
 * Whether the schema a difference names (its display name, as quote_ident made it) is one that
 * holds one of these history tables: an engine creates that schema for its history on its first
 * run (drizzle's `drizzle`), so it is not a difference the migrations themselves make or undo.
 */
export function holdsHistory(tables: readonly HistoryTable[], schemaDisplayName: string): boolean {
  const name = schemaDisplayName.startsWith('"') ? schemaDisplayName.slice(1, -1).replaceAll('""', '"') : schemaDisplayName;
  return tables.some((table) => table.schema === name);
}

function dedupe(tables: HistoryTable[]): HistoryTable[] {
  const seen = new Map<string, HistoryTable>();
  for (const table of tables) seen.set(`${table.schema ?? '*'}.${table.name}`, table);
  return [...seen.values()];
}
