/**
 * A catalog value or a parse-tree field as text: a string as it is, a number or boolean printed,
 * anything else (absent, or a node where a name was expected) as the empty string — never
 * "[object Object]" in a message.
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return '';
}
