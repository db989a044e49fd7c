/**
 * History timestamps are read as epoch milliseconds (float8) rather than as timestamptz text:
 * pg parses every timestamptz value through postgres-date (regular expressions and several Date
 * calls each), which at 10,000 history rows costs more than the rest of the read. A number
 * becomes a Date with one cheap constructor call.
 *
 * floor() drops the microseconds the way postgres-date does (it truncates them), so the Dates
 * are the very ones pg would have built. An infinite timestamp stays Infinity (an Invalid Date).
 */
export function epochMillisSql(column: string): string {
  return `floor(extract(epoch FROM ${column}) * 1000)::float8`;
}

/** A Date from a column read through `epochMillisSql` (NULL stays null). */
export function dateFromEpochMillis(value: number | null): Date | null {
  return value === null ? null : new Date(value);
}
