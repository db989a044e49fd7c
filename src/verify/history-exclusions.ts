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

function dedupe(tables: Array<{ schema?: string; name: string }>): Array<{ schema?: string; name: string }> {
  const seen = new Map<string, { schema?: string; name: string }>();
  for (const table of tables) seen.set(`${table.schema ?? '*'}.${table.name}`, table);
  return [...seen.values()];
}
