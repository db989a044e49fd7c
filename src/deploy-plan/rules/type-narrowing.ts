/**
 * Whether a column type change can lose data or fail on existing values, from the types as
 * format_type writes them ("character varying(20)", "numeric(10,2)", "bigint"). Pure.
 */
const INTEGER_BYTES: Record<string, number> = { smallint: 2, integer: 4, bigint: 8 };
const FLOAT_BYTES: Record<string, number> = { real: 4, 'double precision': 8 };

interface ParsedType {
  base: string;
  mods: number[];
}

function parse(type: string): ParsedType {
  const match = /^(.*?)(?:\(([\d,\s]+)\))?(\[\])?$/.exec(type.trim());
  const base = (match?.[1] ?? type).trim();
  return { base: match?.[3] ? `${base}[]` : base, mods: (match?.[2] ?? '').split(',').filter(Boolean).map(Number) };
}

/** A sentence saying how `from` → `to` narrows, or undefined when it does not. */
export function narrowing(from: string, to: string): string | undefined {
  const a = parse(from);
  const b = parse(to);
  if (a.base in INTEGER_BYTES && b.base in INTEGER_BYTES && INTEGER_BYTES[b.base]! < INTEGER_BYTES[a.base]!) return `${from} values beyond ${to}'s range fail`;
  if (a.base in FLOAT_BYTES && b.base in FLOAT_BYTES && FLOAT_BYTES[b.base]! < FLOAT_BYTES[a.base]!) return 'precision is lost';
  if ((a.base === 'numeric' || a.base in FLOAT_BYTES) && b.base in INTEGER_BYTES) return 'fractions are rounded away';
  if (a.base === 'numeric' && b.base === 'numeric' && b.mods.length > 0) {
    const [p1 = Infinity, s1 = 0] = a.mods.length > 0 ? a.mods : [Infinity, Infinity];
    const [p2 = Infinity, s2 = 0] = b.mods;
    if (s2 < s1) return 'digits after the decimal point are rounded away';
    if (p2 - s2 < p1 - s1) return 'larger values fail';
  }
  if (isText(a.base) && isText(b.base)) {
    const limitA = a.mods[0] ?? Infinity;
    const limitB = b.mods[0] ?? (b.base === 'character' ? 1 : Infinity);
    if (limitB < limitA) return `longer values fail (limit ${limitB})`;
  }
  if (/^timestamp/.test(a.base) && b.base === 'date') return 'the time of day is lost';
  if (a.base === 'timestamp with time zone' && b.base === 'timestamp without time zone') return 'the time zone is lost';
  return undefined;
}

function isText(base: string): boolean {
  return base === 'text' || base === 'character varying' || base === 'character';
}
