import type { SchemaModel, SchemaObject } from './schema-model.js';
import { formatSchemaSummary, summarizeObjects } from './summary.js';

/**
 * One line that says what an object is, the way a person would write it: `text NOT NULL`,
 * `CREATE INDEX … USING btree (email)`, `('happy', 'sad')`. Used for a missing or unexpected
 * object in a difference; `model` lets a table say how much it holds.
 */
export function describeObject(object: SchemaObject, model?: SchemaModel): string {
  const f = object.fields;
  switch (object.kind) {
    case 'column':
      return words(f.type, f.nullability === 'NOT NULL' ? 'NOT NULL' : '', f.default ? `DEFAULT ${f.default}` : '', f.identity, f.generated, f.collation);
    case 'constraint':
      return words(f.definition, f.validation === 'NOT VALID' ? 'NOT VALID' : '');
    case 'index':
      return words(f.definition, f.validity === 'INVALID' ? '(INVALID)' : '');
    case 'view':
    case 'materialized view':
    case 'trigger':
      return f.definition ?? '';
    case 'function':
    case 'procedure':
      return words(`(${f.arguments ?? ''})`, f.returns ? `RETURNS ${f.returns}` : '', `LANGUAGE ${f.language ?? ''}`, f.attributes);
    case 'policy':
      return words(f.mode, `FOR ${f.command ?? ''}`, `TO ${f.roles ?? ''}`, f.using ? `USING ${f.using}` : '', f['with check'] ? `WITH CHECK ${f['with check']}` : '');
    case 'enum':
      return `(${f.labels ?? ''})`;
    case 'domain':
      return words(f.type, f.nullability === 'NOT NULL' ? 'NOT NULL' : '', f.default ? `DEFAULT ${f.default}` : '', f.collation, f.constraints);
    case 'sequence':
      return words(f.type, `START ${f.start ?? ''}`, `INCREMENT ${f.increment ?? ''}`, f['owned by'] ? `OWNED BY ${f['owned by']}` : '');
    case 'extension':
      return `version ${f.version ?? ''}`;
    case 'table':
      return model ? describeContents(object, model) : '';
    case 'schema':
      return '';
  }
}

function words(...parts: Array<string | undefined>): string {
  return parts.filter((p) => p !== undefined && p !== '').join(' ');
}

/** `4 columns, 3 constraints, 1 sequence`: what a missing table would have held. */
function describeContents(table: SchemaObject, model: SchemaModel): string {
  const children = [...model.objects.values()].filter((object) => object.table === table.key);
  return children.length === 0 ? '' : formatSchemaSummary(summarizeObjects(children));
}
