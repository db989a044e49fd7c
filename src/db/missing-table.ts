/** 42P01 undefined_table, 3F000 invalid_schema_name: a history table that does not exist yet. */
export function isMissingTable(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '42P01' || code === '3F000';
}
