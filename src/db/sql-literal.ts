/**
 * SQL literals for the few statements polymigrate appends to a migration's own simple-protocol
 * query (its history row), saving a round trip per migration. Only ever used for values
 * polymigrate produced itself (ids, checksums, names from file names); standard_conforming_strings
 * is on in every supported PostgreSQL, so doubling single quotes is the whole escape.
 */
export function sqlLiteral(value: string | number | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  if (value.includes('\u0000')) throw new Error('NUL characters cannot be stored in PostgreSQL text');
  return `'${value.replace(/'/g, "''")}'`;
}

export function sqlTextArray(values: string[]): string {
  return values.length === 0 ? `'{}'::text[]` : `ARRAY[${values.map(sqlLiteral).join(', ')}]::text[]`;
}
