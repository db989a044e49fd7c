// A realistic migration history for benchmark 6: ~800 migrations shaped like the histories of real
// Prisma apps (enums and enum values, CREATE TABLE with Prisma's quoted identifiers, indexes,
// foreign keys, columns added, dropped, renamed and retyped, plpgsql functions and triggers, data
// backfills, a few hand-written transaction-control backfills and CREATE INDEX CONCURRENTLY), most
// small, some large. Deterministic: a seeded PRNG drives everything, so a seed is a history.
//
// The generator keeps a model of the schema it has built so far, and only emits what applies
// cleanly in order on an empty PostgreSQL 15 database, both file by file with psql and with each
// file inside its own transaction (CONCURRENTLY files outside one). Rules that keep that true:
// - a value added by ALTER TYPE … ADD VALUE is used only by later migrations (it cannot be used in
//   the transaction that added it), and never added to an enum created in the same migration;
// - a NOT NULL column without a default is added only to a table no migration has put rows in;
//   SET NOT NULL likewise, or right after a backfill in the same file that filled the column;
// - a unique index only on columns whose values the backfills keep distinct;
// - the transaction-control backfills (BEGIN; SET TRANSACTION …; COMMIT;) change data only, and
//   nothing later depends on their rows (so `withBegin: false` leaves a valid history: the other
//   files are byte for byte the same).
//
// `node scripts/bench/realistic-history.mjs [--count 800] [--seed 1] [--out DIR]` prints the shape
// statistics (and writes the Prisma folder to DIR when given).
import fs from 'node:fs';
import path from 'node:path';

/** mulberry32: a small, fast, seeded PRNG (no Math.random anywhere in the generator). */
function createRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    /** Integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    /** `weights`: [[value, weight], …]. */
    weighted: (weights) => {
      const total = weights.reduce((s, [, w]) => s + w, 0);
      let r = next() * total;
      for (const [value, w] of weights) {
        r -= w;
        if (r < 0) return value;
      }
      return weights.at(-1)[0];
    },
    shuffle: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i -= 1) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
  };
  return rng;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const TABLE_NAMES = [
  'User',
  'Account',
  'Session',
  'VerificationToken',
  'Team',
  'Membership',
  'Invitation',
  'Project',
  'Task',
  'Comment',
  'Post',
  'Tag',
  'Category',
  'Product',
  'Order',
  'OrderItem',
  'Invoice',
  'Payment',
  'Subscription',
  'Plan',
  'Customer',
  'Address',
  'Review',
  'Cart',
  'CartItem',
  'Coupon',
  'Shipment',
  'Warehouse',
  'Inventory',
  'Message',
  'Thread',
  'Channel',
  'Reaction',
  'Attachment',
  'Folder',
  'Document',
  'Page',
  'Media',
  'Notification',
  'Webhook',
  'ApiKey',
  'Setting',
  'FeatureFlag',
  'Event',
  'Ticket',
  'Label',
  'Milestone',
  'Sprint',
  'Board',
  'Card',
  'Workspace',
  'Organization',
  'Permission',
  'Report',
  'Dashboard',
  'Widget',
  'Integration',
  'Device',
  'Location',
  'Vendor',
  'Contract',
  'Asset',
  'Booking',
  'Room',
  'Schedule',
  'Course',
  'Lesson',
  'Enrollment',
  'Quiz',
  'Question',
  'Answer',
  'Survey',
  'Campaign',
  'Lead',
  'Deal',
  'Contact',
  'Note',
  'Activity',
  'Goal',
  'Metric',
  'Alert',
  'Incident',
  'Release',
  'Deployment',
  'Environment',
  'Secret',
  'Export',
  'Job',
  'Run',
  'Template',
  'Variant',
  'PriceList',
  'Discount',
  'Refund',
  'Payout',
  'Wallet',
  'Transfer',
];
const TABLE_SUFFIXES = ['Item', 'Member', 'Setting', 'Version', 'Link', 'Log', 'Stat', 'Rule', 'Field', 'Snapshot', 'Share', 'Group'];

/** [name, kind]; kinds ending in N are nullable when the column is created with its table. */
const COLUMNS = [
  ['name', 'text'],
  ['title', 'text'],
  ['description', 'textN'],
  ['slug', 'text'],
  ['email', 'text'],
  ['phone', 'textN'],
  ['url', 'textN'],
  ['avatarUrl', 'textN'],
  ['bio', 'textN'],
  ['notes', 'textN'],
  ['content', 'textN'],
  ['body', 'textN'],
  ['summary', 'textN'],
  ['externalId', 'textN'],
  ['locale', 'text'],
  ['timezone', 'text'],
  ['color', 'textN'],
  ['icon', 'textN'],
  ['code', 'text'],
  ['currency', 'text'],
  ['country', 'textN'],
  ['city', 'textN'],
  ['postalCode', 'textN'],
  ['reference', 'textN'],
  ['subject', 'textN'],
  ['quantity', 'int'],
  ['position', 'int'],
  ['sortOrder', 'int'],
  ['views', 'int'],
  ['attempts', 'int'],
  ['version', 'int'],
  ['capacity', 'intN'],
  ['durationMinutes', 'intN'],
  ['seats', 'intN'],
  ['amount', 'decimal'],
  ['price', 'decimal'],
  ['total', 'decimal'],
  ['discount', 'decimalN'],
  ['taxRate', 'decimalN'],
  ['score', 'float'],
  ['rating', 'floatN'],
  ['latitude', 'floatN'],
  ['longitude', 'floatN'],
  ['isActive', 'bool'],
  ['isPublic', 'bool'],
  ['isArchived', 'bool'],
  ['verified', 'bool'],
  ['pinned', 'bool'],
  ['enabled', 'bool'],
  ['publishedAt', 'tsN'],
  ['archivedAt', 'tsN'],
  ['deletedAt', 'tsN'],
  ['expiresAt', 'tsN'],
  ['startsAt', 'tsN'],
  ['endsAt', 'tsN'],
  ['lastSeenAt', 'tsN'],
  ['completedAt', 'tsN'],
  ['dueDate', 'tsN'],
  ['metadata', 'json'],
  ['settings', 'json'],
  ['payload', 'jsonN'],
  ['config', 'jsonN'],
  ['tags', 'array'],
  ['scopes', 'array'],
  ['sizeBytes', 'bigintN'],
];
const COLUMN_PREFIXES = ['billing', 'shipping', 'primary', 'last', 'display', 'internal', 'legacy', 'default', 'public', 'stripe'];

const ENUMS = {
  Role: ['USER', 'ADMIN', 'OWNER', 'MEMBER', 'GUEST', 'EDITOR', 'VIEWER', 'BILLING', 'SUPPORT'],
  Status: ['PENDING', 'ACTIVE', 'INACTIVE', 'ARCHIVED', 'DELETED', 'SUSPENDED', 'DRAFT', 'PUBLISHED', 'CANCELLED', 'COMPLETED', 'FAILED', 'EXPIRED'],
  Priority: ['LOW', 'MEDIUM', 'HIGH', 'URGENT', 'CRITICAL', 'NONE'],
  Visibility: ['PRIVATE', 'PUBLIC', 'UNLISTED', 'INTERNAL', 'TEAM'],
  Provider: ['EMAIL', 'GOOGLE', 'GITHUB', 'APPLE', 'MICROSOFT', 'SAML', 'OKTA', 'GITLAB'],
  Frequency: ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY', 'HOURLY', 'QUARTERLY', 'NEVER'],
  Kind: ['DEFAULT', 'SYSTEM', 'CUSTOM', 'IMPORTED', 'TEMPLATE', 'GENERATED'],
  Level: ['INFO', 'WARNING', 'ERROR', 'DEBUG', 'FATAL', 'TRACE'],
  Method: ['CARD', 'BANK_TRANSFER', 'PAYPAL', 'INVOICE', 'CASH', 'CRYPTO', 'SEPA'],
  Stage: ['LEAD', 'QUALIFIED', 'PROPOSAL', 'NEGOTIATION', 'WON', 'LOST', 'CHURNED'],
};

const GROUP_ORDER = [
  'CreateEnum',
  'AlterEnum',
  'DropForeignKey',
  'DropIndex',
  'AlterTable',
  'RenameColumn',
  'RenameTable',
  'DropTable',
  'CreateTable',
  'CreateIndex',
  'RenameIndex',
  'AddForeignKey',
];

const MAX_IDENT = 63;
const lowerFirst = (s) => s[0].toLowerCase() + s.slice(1);
const upperFirst = (s) => s[0].toUpperCase() + s.slice(1);
const snake = (s) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
const q = (ident) => `"${ident}"`;

const SQL_TYPE = {
  text: 'TEXT',
  varchar: 'VARCHAR(255)',
  int: 'INTEGER',
  bigint: 'BIGINT',
  decimal: 'DECIMAL(65,30)',
  float: 'DOUBLE PRECISION',
  bool: 'BOOLEAN',
  ts: 'TIMESTAMP(3)',
  json: 'JSONB',
  array: 'TEXT[]',
};
const DEFAULTS = {
  text: "''",
  varchar: "''",
  int: '0',
  bigint: '0',
  decimal: '0',
  float: '0',
  bool: 'false',
  ts: 'CURRENT_TIMESTAMP',
  json: "'{}'",
  array: 'ARRAY[]::TEXT[]',
};
/** Kinds whose backfilled values stay distinct, so a unique index on them holds. */
const DISTINCT_KINDS = new Set(['text', 'varchar', 'int', 'bigint']);

// ---------------------------------------------------------------------------------------------
// The schema model

class Model {
  constructor(rng) {
    this.rng = rng;
    this.tables = new Map();
    this.enums = new Map();
    /** Relation and type names in "public" (tables, indexes, sequences, enums share namespaces). */
    this.names = new Set();
    this.tableNameCursor = 0;
    this.updatedAtFunction = false;
    this.auditFunction = false;
    this.functions = new Set();
  }

  freeName(name) {
    return name.length <= MAX_IDENT && !this.names.has(name);
  }

  /** A model name not taken yet: the base list first, then compounds (ProjectMember, OrderLog…). */
  newTableName() {
    while (this.tableNameCursor < TABLE_NAMES.length) {
      const name = TABLE_NAMES[this.tableNameCursor++];
      if (this.freeName(name) && this.freeName(`${name}_pkey`)) return name;
    }
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const name = `${this.rng.pick(TABLE_NAMES)}${this.rng.pick([...TABLE_SUFFIXES, ...TABLE_NAMES])}`;
      if (this.freeName(name) && this.freeName(`${name}_pkey`) && this.freeName(`${name}_id_seq`)) return name;
    }
    for (let i = 1; ; i += 1) {
      const name = `Model${i}`;
      if (this.freeName(name) && this.freeName(`${name}_pkey`)) return name;
    }
  }

  /** A column name not in `table`, of `kind` when given (vocabulary, then prefixed compounds). */
  newColumnName(table, kind) {
    const candidates = COLUMNS.filter(([name, k]) => !table.columns.has(name) && (!kind || k.replace(/N$/, '') === kind));
    if (candidates.length) return this.rng.pick(candidates);
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const [base, k] = kind ? (this.rng.pick(COLUMNS.filter(([, c]) => c.replace(/N$/, '') === kind)) ?? []) : this.rng.pick(COLUMNS);
      if (!base) return undefined;
      const name = `${this.rng.pick(COLUMN_PREFIXES)}${upperFirst(base)}`;
      if (!table.columns.has(name)) return [name, k];
    }
    return undefined;
  }

  /** Tables the random operations may change (not the audit log, not implicit m2m tables). */
  userTables(ctx, { fresh = true } = {}) {
    return [...this.tables.values()].filter((t) => !t.protected && !t.join && !ctx.locked.has(t.name) && (fresh || !ctx.newTables.has(t.name)));
  }

  /** Tables with a foreign key to `table`. */
  incoming(table) {
    return [...this.tables.values()].filter((t) => t !== table && [...t.columns.values()].some((c) => c.fk === table));
  }

  usableValues(enumName, mig) {
    return this.enums
      .get(enumName)
      .values.filter((v) => v.addedAt < mig || this.enums.get(enumName).createdAt === mig)
      .map((v) => v.value);
  }
}

function makeColumn(name, kind, { notNull, def = null, system = false, fk = null, enumName = null, addedAt = 0 } = {}) {
  return { name, kind, notNull, def, system, fk, fkName: null, enumName, dupRisk: false, addedAt };
}

const columnType = (c) => (c.kind === 'enum' ? q(c.enumName) : SQL_TYPE[c.kind]);
function columnDefinition(c) {
  let text = `${q(c.name)} ${columnType(c)}`;
  if (c.kind === 'serial') text = `${q(c.name)} SERIAL`;
  if (c.notNull) text += ' NOT NULL';
  if (c.def !== null) text += ` DEFAULT ${c.def}`;
  return text;
}

// ---------------------------------------------------------------------------------------------
// One migration being built

class Migration {
  constructor(model, index) {
    this.model = model;
    this.index = index;
    this.groups = Object.fromEntries(GROUP_ORDER.map((g) => [g, []]));
    /** ALTER TABLE subcommands per table, rendered as one statement per table like Prisma. */
    this.alters = new Map();
    this.custom = [];
    this.warnings = [];
    this.names = [];
    /** Tables this migration renamed, dropped or must not change any more (rename targets, …). */
    this.locked = new Set();
    this.newTables = new Set();
    this.newEnums = new Set();
    /** "Table.column" touched by this migration: no second change to them here. */
    this.touched = new Set();
    this.shapes = new Set();
  }

  alter(table, subcommand) {
    if (!this.alters.has(table.name)) {
      this.alters.set(table.name, []);
      this.groups.AlterTable.push({ table: table.name });
    }
    this.alters.get(table.name).push(subcommand);
  }

  touch(table, column) {
    this.touched.add(`${table.name}.${column}`);
  }

  isTouched(table, column) {
    return this.touched.has(`${table.name}.${column}`);
  }

  render() {
    const parts = [];
    if (this.warnings.length) {
      parts.push(`/*\n  Warnings:\n\n${this.warnings.map((w) => `  - ${w}`).join('\n\n')}\n\n*/`);
    }
    for (const group of GROUP_ORDER) {
      for (const entry of this.groups[group]) {
        if (group === 'AlterTable') {
          const subs = this.alters.get(entry.table);
          parts.push(`-- AlterTable\nALTER TABLE ${q(entry.table)} ${subs.join(',\n')};`);
        } else {
          parts.push(`-- ${entry.comment ?? group}\n${entry.sql}`);
        }
      }
    }
    parts.push(...this.custom);
    return `${parts.join('\n\n')}\n`;
  }
}

// ---------------------------------------------------------------------------------------------
// Operations. Each returns true when it changed something (false: nothing fit, try another).

function addForeignKey(mig, table, column, parent, onDelete) {
  const name = `${table.name}_${column.name}_fkey`;
  column.fk = parent;
  column.fkName = name;
  mig.groups.AddForeignKey.push({
    sql: `ALTER TABLE ${q(table.name)} ADD CONSTRAINT ${q(name)} FOREIGN KEY (${q(column.name)}) REFERENCES ${q(parent.name)}(${q('id')}) ON DELETE ${onDelete} ON UPDATE CASCADE;`,
  });
  mig.locked.add(parent.name);
}

function createIndex(mig, table, columns, { unique = false, gin = false, concurrently = false } = {}) {
  const name = `${table.name}_${columns.join('_')}_${unique ? 'key' : 'idx'}`;
  if (!mig.model.freeName(name)) return undefined;
  mig.model.names.add(name);
  table.indexes.set(name, { columns: [...columns], unique });
  for (const c of columns) mig.touch(table, c);
  const using = gin ? ' USING GIN ' : '';
  const cols = `(${columns.map(q).join(', ')})`;
  const sql = `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${concurrently ? 'CONCURRENTLY ' : ''}${q(name)} ON ${q(table.name)}${using}${cols};`;
  if (!concurrently) mig.groups.CreateIndex.push({ sql });
  return sql;
}

/** Can a unique index on this column hold whatever the backfills wrote? */
const distinctColumn = (c) => DISTINCT_KINDS.has(c.kind) && !c.dupRisk && !c.fk && !c.system;

/** A new enum; `attach`: also add a column of that type to an existing table (Prisma only writes used enums). */
function opCreateEnum(mig, { attach = true } = {}) {
  const { model, index } = mig;
  const usedBases = new Set([...model.enums.values()].map((e) => e.base));
  const unused = Object.keys(ENUMS).filter((b) => !usedBases.has(b));
  const base = model.rng.pick(unused.length && model.rng.chance(0.7) ? unused : Object.keys(ENUMS));
  const tables = model.userTables(mig, { fresh: false });
  const owner = tables.length ? model.rng.pick(tables) : undefined;
  const candidates = [owner ? `${owner.name}${base}` : base, base, `${base}Type`];
  const name = candidates.find((n) => model.freeName(n) && model.freeName(`_${n}`));
  if (!name) return false;
  const values = ENUMS[base].slice(0, model.rng.int(2, 5));
  model.enums.set(name, { name, base, values: values.map((value) => ({ value, addedAt: index })), createdAt: index });
  model.names.add(name);
  mig.newEnums.add(name);
  mig.groups.CreateEnum.push({ sql: `CREATE TYPE ${q(name)} AS ENUM (${values.map((v) => `'${v}'`).join(', ')});` });
  mig.names.push(`add_${snake(name)}`);
  if (owner && attach) opAddColumns(mig, { table: owner, enumName: name });
  return name;
}

function opAddEnumValue(mig) {
  const { model } = mig;
  const enums = [...model.enums.values()].filter((e) => !mig.newEnums.has(e.name) && !mig.touched.has(`enum:${e.name}`));
  if (!enums.length) return false;
  const e = model.rng.pick(enums);
  const count = model.rng.chance(0.8) ? 1 : 2;
  const added = [];
  for (let i = 0; i < count; i += 1) {
    const pool = ENUMS[e.base].filter((v) => !e.values.some((x) => x.value === v));
    const value = pool.length ? pool[0] : `${e.base.toUpperCase()}_${e.values.length + 1}`;
    e.values.push({ value, addedAt: mig.index });
    added.push(value);
  }
  mig.touched.add(`enum:${e.name}`);
  const statements = added.map((v) => `ALTER TYPE ${q(e.name)} ADD VALUE '${v}';`).join('\n');
  if (added.length > 1) {
    // What Prisma writes above more than one ADD VALUE.
    mig.groups.AlterEnum.push({
      comment:
        'AlterEnum\n-- This migration adds more than one value to an enum.\n-- With PostgreSQL versions 11 and earlier, this is not possible\n-- in a single migration. This can be worked around by creating\n-- multiple migrations, each migration adding only one value to\n-- the enum.\n\n',
      sql: statements,
    });
  } else {
    mig.groups.AlterEnum.push({ sql: statements });
  }
  mig.names.push(`add_${snake(added[0])}_to_${snake(e.name)}`);
  return true;
}

/** A new column for `table` (name, kind, constraints) following the rules in the header. */
function newColumn(mig, table, { inCreate, enumName, kind } = {}) {
  const { model } = mig;
  if (enumName || (!kind && model.enums.size && model.rng.chance(0.08))) {
    const e = enumName ?? model.rng.pick([...model.enums.keys()]);
    const values = model.usableValues(e, mig.index);
    if (!values.length) return undefined;
    const base = lowerFirst(model.enums.get(e).base);
    const name = table.columns.has(base) ? (table.columns.has(`${base}Type`) ? undefined : `${base}Type`) : base;
    if (!name) return undefined;
    const withDefault = model.rng.chance(0.8) || (!inCreate && table.hasRows);
    return makeColumn(name, 'enum', { enumName: e, notNull: withDefault || model.rng.chance(0.5), def: withDefault ? `'${values[0]}'` : null, addedAt: mig.index });
  }
  const picked = model.newColumnName(table, kind);
  if (!picked) return undefined;
  const [name, k] = picked;
  const base = k.replace(/N$/, '');
  let notNull = !k.endsWith('N');
  let def = null;
  if (notNull && ['int', 'bool', 'decimal', 'float', 'json', 'array'].includes(base) && model.rng.chance(0.7)) def = DEFAULTS[base];
  if (!inCreate) {
    if (notNull && def === null && table.hasRows) {
      if (model.rng.chance(0.5)) def = DEFAULTS[base];
      else notNull = false;
    }
    if (base === 'array' && !notNull && model.rng.chance(0.5)) def = DEFAULTS.array;
  }
  const column = makeColumn(name, base, { notNull, def, addedAt: mig.index });
  // Every existing row gets the same default: values no longer distinct.
  if (!inCreate && table.hasRows && def !== null) column.dupRisk = true;
  return column;
}

function opAddColumns(mig, { table, enumName } = {}) {
  const { model } = mig;
  const tables = model.userTables(mig, { fresh: false });
  const t = table ?? (tables.length ? model.rng.pick(tables) : undefined);
  if (!t) return false;
  const count = enumName
    ? 1
    : model.rng.weighted([
        [1, 60],
        [2, 25],
        [3, 10],
        [4, 5],
      ]);
  let added = 0;
  for (let i = 0; i < count; i += 1) {
    const column = newColumn(mig, t, { enumName });
    if (!column || mig.isTouched(t, column.name)) continue;
    t.columns.set(column.name, column);
    mig.touch(t, column.name);
    mig.alter(t, `ADD COLUMN     ${columnDefinition(column)}`);
    if (column.notNull && column.def === null) {
      mig.warnings.push(`Added the required column \`${column.name}\` to the \`${t.name}\` table without a default value. This is not possible if the table is not empty.`);
    }
    if (!added) mig.names.push(`add_${snake(column.name)}_to_${snake(t.name)}`);
    added += 1;
  }
  return added > 0;
}

function opCreateTable(mig, { parents = [], enumNames = [] } = {}) {
  const { model, index, rng } = mig;
  const name = model.newTableName();
  const serial = rng.chance(0.25);
  const table = { name, columns: new Map(), indexes: new Map(), hasRows: false, protected: false, join: false, triggers: new Set(), serial, pkey: `${name}_pkey`, createdAt: index };
  model.tables.set(name, table);
  model.names.add(name);
  model.names.add(table.pkey);
  if (serial) model.names.add(`${name}_id_seq`);
  mig.newTables.add(name);
  table.columns.set('id', makeColumn('id', serial ? 'serial' : 'text', { notNull: true, system: true }));
  const count = rng.weighted([
    [2, 20],
    [3, 25],
    [4, 20],
    [5, 15],
    [6, 10],
    [8, 6],
    [11, 4],
  ]);
  for (let i = 0; i < count; i += 1) {
    const column = newColumn(mig, table, { inCreate: true });
    if (column) table.columns.set(column.name, column);
  }
  for (const enumName of enumNames) {
    const column = newColumn(mig, table, { inCreate: true, enumName });
    if (column) table.columns.set(column.name, column);
  }
  table.columns.set('createdAt', makeColumn('createdAt', 'ts', { notNull: true, def: 'CURRENT_TIMESTAMP', system: true }));
  table.columns.set('updatedAt', makeColumn('updatedAt', 'ts', { notNull: true, system: true }));
  // Relations: to the tables asked for, else to up to two existing tables.
  const existing = [...model.tables.values()].filter((t) => t !== table && !t.join && !t.protected);
  const targets = parents.length
    ? parents
    : rng.shuffle(existing).slice(
        0,
        rng.weighted([
          [0, 30],
          [1, 45],
          [2, 25],
        ]),
      );
  const fks = [];
  for (const parent of targets) {
    const colName = `${lowerFirst(parent.name)}Id`;
    if (table.columns.has(colName) || colName.length > 40) continue;
    const required = rng.chance(0.7);
    const column = makeColumn(colName, parent.serial ? 'int' : 'text', { notNull: required, fk: parent, addedAt: index });
    table.columns.set(colName, column);
    fks.push([column, parent, required ? rng.pick(['CASCADE', 'RESTRICT']) : 'SET NULL']);
  }
  const defs = [...table.columns.values()].map((c) => `    ${columnDefinition(c)},`);
  mig.groups.CreateTable.push({ sql: `CREATE TABLE ${q(name)} (\n${defs.join('\n')}\n\n    CONSTRAINT ${q(table.pkey)} PRIMARY KEY (${q('id')})\n);` });
  for (const c of table.columns.values()) mig.touch(table, c.name);
  // Prisma's @unique / @@index on the new model.
  const distinct = [...table.columns.values()].filter(distinctColumn);
  if (distinct.length && rng.chance(0.45)) createIndex(mig, table, [rng.pick(distinct).name], { unique: true });
  for (const [column] of fks) if (rng.chance(0.6)) createIndex(mig, table, [column.name]);
  if (rng.chance(0.15)) createIndex(mig, table, ['createdAt']);
  for (const [column, parent, onDelete] of fks) addForeignKey(mig, table, column, parent, onDelete);
  mig.names.push(`create_${snake(name)}`);
  return table;
}

/** An implicit many-to-many table as Prisma writes it ("_PostToTag" with "A" and "B"). */
function opCreateJoinTable(mig) {
  const { model, rng } = mig;
  const candidates = [...model.tables.values()].filter((t) => !t.join && !t.protected);
  if (candidates.length < 2) return false;
  const [a, b] = rng
    .shuffle(candidates)
    .slice(0, 2)
    .sort((x, y) => (x.name < y.name ? -1 : 1));
  const name = `_${a.name}To${b.name}`;
  if (!model.freeName(name) || !model.freeName(`${name}_AB_pkey`) || !model.freeName(`${name}_B_index`)) return false;
  const table = {
    name,
    columns: new Map(),
    indexes: new Map(),
    hasRows: false,
    protected: false,
    join: true,
    triggers: new Set(),
    serial: false,
    pkey: `${name}_AB_pkey`,
    createdAt: mig.index,
  };
  const colA = makeColumn('A', a.serial ? 'int' : 'text', { notNull: true, system: true });
  const colB = makeColumn('B', b.serial ? 'int' : 'text', { notNull: true, system: true });
  table.columns.set('A', colA);
  table.columns.set('B', colB);
  model.tables.set(name, table);
  for (const n of [name, table.pkey, `${name}_B_index`]) model.names.add(n);
  table.indexes.set(`${name}_B_index`, { columns: ['B'], unique: false });
  mig.newTables.add(name);
  mig.locked.add(name);
  mig.groups.CreateTable.push({
    sql: `CREATE TABLE ${q(name)} (\n    ${columnDefinition(colA)},\n    ${columnDefinition(colB)},\n\n    CONSTRAINT ${q(table.pkey)} PRIMARY KEY ("A","B")\n);`,
  });
  mig.groups.CreateIndex.push({ sql: `CREATE INDEX ${q(`${name}_B_index`)} ON ${q(name)}("B");` });
  addForeignKey(mig, table, colA, a, 'CASCADE');
  addForeignKey(mig, table, colB, b, 'CASCADE');
  mig.names.push(`add_${snake(a.name)}_${snake(b.name)}_relation`);
  return true;
}

function opAddRelation(mig) {
  const { model, rng } = mig;
  const children = model.userTables(mig, { fresh: false });
  const parents = [...model.tables.values()].filter((t) => !t.join && !t.protected && !mig.locked.has(t.name));
  if (!children.length || parents.length < 2) return false;
  const child = rng.pick(children);
  const parent = rng.pick(parents.filter((p) => p !== child));
  if (!parent) return false;
  const base = `${lowerFirst(parent.name)}Id`;
  const colName = child.columns.has(base) ? `${rng.pick(['owner', 'parent', 'source', 'target', 'created', 'assigned'])}${parent.name}Id` : base;
  if (child.columns.has(colName) || colName.length > 40 || mig.isTouched(child, colName)) return false;
  const required = !child.hasRows && rng.chance(0.5);
  const column = makeColumn(colName, parent.serial ? 'int' : 'text', { notNull: required, fk: parent, addedAt: mig.index });
  child.columns.set(colName, column);
  mig.touch(child, colName);
  mig.alter(child, `ADD COLUMN     ${columnDefinition(column)}`);
  if (required) mig.warnings.push(`Added the required column \`${colName}\` to the \`${child.name}\` table without a default value. This is not possible if the table is not empty.`);
  if (rng.chance(0.7)) createIndex(mig, child, [colName]);
  addForeignKey(mig, child, column, parent, required ? 'CASCADE' : 'SET NULL');
  mig.locked.add(child.name);
  mig.names.push(`add_${snake(parent.name)}_to_${snake(child.name)}`);
  return true;
}

function opCreateIndex(mig, { unique = false } = {}) {
  const { model, rng } = mig;
  const tables = model.userTables(mig, { fresh: false });
  for (let attempt = 0; attempt < 6 && tables.length; attempt += 1) {
    const t = rng.pick(tables);
    const free = [...t.columns.values()].filter((c) => c.kind !== 'serial' && c.name !== 'id' && !mig.isTouched(t, c.name) && ![...t.indexes.values()].some((i) => i.columns[0] === c.name));
    const pool = unique ? free.filter(distinctColumn) : free.filter((c) => c.kind !== 'json' && c.kind !== 'array');
    if (!pool.length) continue;
    const first = rng.pick(pool);
    const columns = [first.name];
    if (rng.chance(unique ? 0.2 : 0.3)) {
      const second = (unique ? pool : free.filter((c) => c.kind !== 'json' && c.kind !== 'array')).filter((c) => c !== first);
      if (second.length) columns.push(rng.pick(second).name);
      else if (!unique && first.name !== 'createdAt') columns.push('createdAt');
    }
    if (createIndex(mig, t, columns, { unique })) {
      mig.names.push(`add_${snake(t.name)}_${snake(columns.join('_'))}_${unique ? 'unique' : 'index'}`);
      return true;
    }
  }
  // GIN on an array or JSONB column (Prisma's @@index([tags], type: Gin)).
  const gin = tables.flatMap((t) =>
    [...t.columns.values()]
      .filter((c) => (c.kind === 'array' || c.kind === 'json') && !mig.isTouched(t, c.name) && ![...t.indexes.values()].some((i) => i.columns[0] === c.name))
      .map((c) => [t, c]),
  );
  if (!unique && gin.length) {
    const [t, c] = rng.pick(gin);
    if (createIndex(mig, t, [c.name], { gin: true })) {
      mig.names.push(`add_${snake(t.name)}_${snake(c.name)}_gin_index`);
      return true;
    }
  }
  return false;
}

function opDropIndex(mig) {
  const { model, rng } = mig;
  const candidates = model
    .userTables(mig, { fresh: false })
    .flatMap((t) => [...t.indexes.entries()].filter(([, i]) => i.columns.every((c) => !mig.isTouched(t, c))).map(([name, i]) => [t, name, i]));
  if (!candidates.length) return false;
  const [t, name, index] = rng.pick(candidates);
  t.indexes.delete(name);
  model.names.delete(name);
  for (const c of index.columns) mig.touch(t, c);
  mig.groups.DropIndex.push({ sql: `DROP INDEX ${q(name)};` });
  mig.names.push(`drop_${snake(name)}`);
  return true;
}

/** Prisma renames an index whose name no longer matches its columns (after a rename). */
function opRenameIndex(mig) {
  const { model, rng } = mig;
  const candidates = model
    .userTables(mig, { fresh: false })
    .flatMap((t) =>
      [...t.indexes.entries()]
        .map(([name, i]) => [t, name, i, `${t.name}_${i.columns.join('_')}_${i.unique ? 'key' : 'idx'}`])
        .filter(([, name, i, wanted]) => name !== wanted && model.freeName(wanted) && i.columns.every((c) => !mig.isTouched(t, c))),
    );
  if (!candidates.length) return false;
  const [t, name, index, wanted] = rng.pick(candidates);
  t.indexes.delete(name);
  t.indexes.set(wanted, index);
  model.names.delete(name);
  model.names.add(wanted);
  for (const c of index.columns) mig.touch(t, c);
  mig.groups.RenameIndex.push({ sql: `ALTER INDEX ${q(name)} RENAME TO ${q(wanted)};` });
  mig.names.push(`rename_${snake(name)}`);
  return true;
}

function opDropColumn(mig) {
  const { model, rng } = mig;
  const candidates = model.userTables(mig, { fresh: false }).flatMap((t) => [...t.columns.values()].filter((c) => !c.system && !mig.isTouched(t, c.name)).map((c) => [t, c]));
  if (!candidates.length) return false;
  const [t, c] = rng.pick(candidates);
  if ([...t.indexes.values()].some((i) => i.columns.includes(c.name) && i.columns.some((x) => x !== c.name && mig.isTouched(t, x)))) return false;
  if (c.fk) {
    mig.groups.DropForeignKey.push({ sql: `ALTER TABLE ${q(t.name)} DROP CONSTRAINT ${q(c.fkName)};` });
  }
  for (const [name, index] of [...t.indexes.entries()]) {
    if (!index.columns.includes(c.name)) continue;
    if (c.fk || rng.chance(0.6)) mig.groups.DropIndex.push({ sql: `DROP INDEX ${q(name)};` });
    t.indexes.delete(name);
    model.names.delete(name);
  }
  t.columns.delete(c.name);
  mig.touch(t, c.name);
  mig.alter(t, `DROP COLUMN ${q(c.name)}`);
  mig.warnings.push(`You are about to drop the column \`${c.name}\` on the \`${t.name}\` table. All the data in the column will be lost.`);
  mig.names.push(`remove_${snake(c.name)}_from_${snake(t.name)}`);
  return true;
}

function opRenameColumn(mig) {
  const { model, rng } = mig;
  const candidates = model
    .userTables(mig, { fresh: false })
    .flatMap((t) => [...t.columns.values()].filter((c) => !c.system && !c.fk && c.kind !== 'enum' && !mig.isTouched(t, c.name)).map((c) => [t, c]));
  if (!candidates.length) return false;
  const [t, c] = rng.pick(candidates);
  const picked = model.newColumnName(t, c.kind === 'varchar' ? 'text' : c.kind);
  if (!picked || mig.isTouched(t, picked[0])) return false;
  const [to] = picked;
  t.columns.delete(c.name);
  const from = c.name;
  c.name = to;
  t.columns.set(to, c);
  for (const index of t.indexes.values()) index.columns = index.columns.map((x) => (x === from ? to : x));
  mig.touch(t, from);
  mig.touch(t, to);
  mig.groups.RenameColumn.push({ comment: 'AlterTable', sql: `ALTER TABLE ${q(t.name)} RENAME COLUMN ${q(from)} TO ${q(to)};` });
  mig.names.push(`rename_${snake(t.name)}_${snake(from)}_to_${snake(to)}`);
  return true;
}

function opRenameTable(mig) {
  const { model, rng } = mig;
  const candidates = model.userTables(mig, { fresh: false }).filter((t) => [...t.columns.keys()].every((c) => !mig.isTouched(t, c)));
  if (!candidates.length) return false;
  const t = rng.pick(candidates);
  const to = model.newTableName();
  const toPkey = `${to}_pkey`;
  if (!model.freeName(to) || !model.freeName(toPkey)) return false;
  const from = t.name;
  model.tables.delete(from);
  model.names.delete(from);
  model.names.delete(t.pkey);
  t.name = to;
  model.tables.set(to, t);
  model.names.add(to);
  model.names.add(toPkey);
  mig.groups.RenameTable.push({ comment: 'AlterTable', sql: `ALTER TABLE ${q(from)} RENAME TO ${q(to)};\nALTER TABLE ${q(to)} RENAME CONSTRAINT ${q(t.pkey)} TO ${q(toPkey)};` });
  t.pkey = toPkey;
  mig.locked.add(to);
  mig.names.push(`rename_${snake(from)}_to_${snake(to)}`);
  return true;
}

function opDropTable(mig) {
  const { model, rng } = mig;
  const candidates = model
    .userTables(mig, { fresh: false })
    .filter((t) => model.incoming(t).length === 0 && [...t.columns.keys()].every((c) => !mig.isTouched(t, c)) && model.tables.size > 12);
  if (!candidates.length) return false;
  const t = rng.pick(candidates);
  model.tables.delete(t.name);
  for (const n of [t.name, t.pkey, ...t.indexes.keys()]) model.names.delete(n);
  // The sequence of a SERIAL id keeps its name ("Old_id_seq" after a rename): leave it reserved.
  mig.locked.add(t.name);
  mig.groups.DropTable.push({ sql: `DROP TABLE ${q(t.name)};` });
  mig.warnings.push(`You are about to drop the \`${t.name}\` table. If the table is not empty, all the data it contains will be lost.`);
  mig.names.push(`drop_${snake(t.name)}`);
  return true;
}

function opAlterColumn(mig) {
  const { model, rng } = mig;
  const candidates = model.userTables(mig, { fresh: false }).flatMap((t) => [...t.columns.values()].filter((c) => !c.system && !c.fk && !mig.isTouched(t, c.name)).map((c) => [t, c]));
  for (let attempt = 0; attempt < 6 && candidates.length; attempt += 1) {
    const [t, c] = rng.pick(candidates);
    const options = [];
    if (c.kind === 'text') options.push(['type', 'varchar']);
    if (c.kind === 'varchar') options.push(['type', 'text']);
    if (c.kind === 'int') options.push(['type', 'bigint']);
    if (c.kind === 'float') options.push(['type', 'decimal']);
    if (c.notNull) options.push(['drop not null']);
    if (!c.notNull && !t.hasRows) options.push(['set not null']);
    if (c.def === null && c.kind !== 'enum') options.push(['set default']);
    if (c.def !== null) options.push(['drop default']);
    if (!options.length) continue;
    const [what, to] = rng.pick(options);
    let sub;
    if (what === 'type') {
      c.kind = to;
      sub = `ALTER COLUMN ${q(c.name)} SET DATA TYPE ${SQL_TYPE[to]}`;
    } else if (what === 'drop not null') {
      c.notNull = false;
      sub = `ALTER COLUMN ${q(c.name)} DROP NOT NULL`;
    } else if (what === 'set not null') {
      c.notNull = true;
      sub = `ALTER COLUMN ${q(c.name)} SET NOT NULL`;
    } else if (what === 'set default') {
      c.def = DEFAULTS[c.kind];
      sub = `ALTER COLUMN ${q(c.name)} SET DEFAULT ${c.def}`;
    } else {
      c.def = null;
      sub = `ALTER COLUMN ${q(c.name)} DROP DEFAULT`;
    }
    mig.touch(t, c.name);
    mig.alter(t, sub);
    mig.names.push(`${what === 'type' ? 'change' : snake(what.split(' ')[0])}_${snake(t.name)}_${snake(c.name)}${what === 'type' ? '_type' : ''}`);
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Hand-written migrations: functions, triggers, backfills

const UPDATED_AT_FUNCTION = `-- CreateFunction
CREATE OR REPLACE FUNCTION "set_updated_at"() RETURNS TRIGGER AS $$
BEGIN
  NEW."updatedAt" = CURRENT_TIMESTAMP;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;`;

function auditFunction() {
  return `-- CreateTable
CREATE TABLE "AuditLog" (
    "id" TEXT NOT NULL,
    "tableName" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "payload" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AuditLog_tableName_createdAt_idx" ON "AuditLog"("tableName", "createdAt");

-- CreateFunction
CREATE OR REPLACE FUNCTION "audit_row_change"() RETURNS TRIGGER AS $audit$
DECLARE
  row_data JSONB;
BEGIN
  IF (TG_OP = 'DELETE') THEN
    row_data := to_jsonb(OLD);
  ELSE
    row_data := to_jsonb(NEW);
  END IF;
  INSERT INTO "AuditLog" ("id", "tableName", "operation", "payload")
  VALUES (gen_random_uuid()::text, TG_TABLE_NAME, TG_OP, row_data);
  RETURN NULL; -- AFTER trigger: the result is ignored
END;
$audit$ LANGUAGE plpgsql;`;
}

const HELPER_FUNCTIONS = [
  [
    'generate_short_code',
    `CREATE OR REPLACE FUNCTION "generate_short_code"(len INTEGER DEFAULT 8) RETURNS TEXT AS $$
DECLARE
  chars TEXT := 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  result TEXT := '';
  i INTEGER;
BEGIN
  FOR i IN 1..len LOOP
    result := result || substr(chars, 1 + floor(random() * length(chars))::INTEGER, 1);
  END LOOP;
  RETURN result;
END;
$$ LANGUAGE plpgsql VOLATILE;`,
  ],
  [
    'slugify',
    `CREATE OR REPLACE FUNCTION "slugify"(value TEXT) RETURNS TEXT AS $$
  SELECT trim(BOTH '-' FROM regexp_replace(lower(value), '[^a-z0-9]+', '-', 'g'));
$$ LANGUAGE sql IMMUTABLE STRICT;`,
  ],
  [
    'business_days_between',
    `CREATE OR REPLACE FUNCTION "business_days_between"(from_date DATE, to_date DATE) RETURNS INTEGER AS $body$
DECLARE
  d DATE := from_date;
  n INTEGER := 0;
BEGIN
  IF to_date < from_date THEN
    RETURN 0;
  END IF;
  WHILE d < to_date LOOP
    IF extract(isodow FROM d) < 6 THEN
      n := n + 1;
    END IF;
    d := d + 1;
  END LOOP;
  RETURN n;
END;
$body$ LANGUAGE plpgsql IMMUTABLE;`,
  ],
  [
    'jsonb_merge_deep',
    `CREATE OR REPLACE FUNCTION "jsonb_merge_deep"(a JSONB, b JSONB) RETURNS JSONB AS $fn$
DECLARE
  k TEXT;
  v JSONB;
  result JSONB := coalesce(a, '{}'::jsonb);
BEGIN
  FOR k, v IN SELECT * FROM jsonb_each(coalesce(b, '{}'::jsonb)) LOOP
    IF jsonb_typeof(v) = 'object' AND jsonb_typeof(result -> k) = 'object' THEN
      result := jsonb_set(result, ARRAY[k], "jsonb_merge_deep"(result -> k, v));
    ELSE
      result := jsonb_set(result, ARRAY[k], v);
    END IF;
  END LOOP;
  RETURN result; -- a; b; c: semicolons in a comment inside the body
END;
$fn$ LANGUAGE plpgsql IMMUTABLE;`,
  ],
];

function triggerSql(t, name, timing, events, fn) {
  return `CREATE TRIGGER ${q(name)} ${timing} ${events} ON ${q(t.name)} FOR EACH ROW EXECUTE FUNCTION ${q(fn)}();`;
}

function opFunctionsAndTriggers(mig) {
  const { model, rng } = mig;
  const kind = rng.weighted([
    ['updatedAt', 55],
    ['audit', 25],
    ['helper', 20],
  ]);
  const tables = model.userTables(mig, { fresh: false });
  if (kind === 'helper') {
    const fresh = HELPER_FUNCTIONS.filter(([name]) => !model.functions.has(name));
    const [name, sql] = fresh.length ? fresh[0] : rng.pick(HELPER_FUNCTIONS);
    model.functions.add(name);
    mig.custom.push(`-- CreateFunction\n${sql}`);
    mig.names.push(`add_${name}_function`);
    mig.shapes.add('function');
    return true;
  }
  if (kind === 'audit') {
    const eligible = tables.filter((t) => !t.triggers.has('audit'));
    if (!eligible.length) return false;
    if (!model.auditFunction) {
      if (!model.freeName('AuditLog') || !model.freeName('AuditLog_pkey')) return false;
      model.auditFunction = true;
      const log = {
        name: 'AuditLog',
        columns: new Map(),
        indexes: new Map([['AuditLog_tableName_createdAt_idx', { columns: ['tableName', 'createdAt'], unique: false }]]),
        hasRows: true,
        protected: true,
        join: false,
        triggers: new Set(),
        serial: false,
        pkey: 'AuditLog_pkey',
        createdAt: mig.index,
      };
      for (const c of ['id', 'tableName', 'operation', 'payload', 'createdAt']) log.columns.set(c, makeColumn(c, 'text', { notNull: true, system: true }));
      model.tables.set('AuditLog', log);
      for (const n of ['AuditLog', 'AuditLog_pkey', 'AuditLog_tableName_createdAt_idx']) model.names.add(n);
      mig.custom.push(auditFunction());
      mig.shapes.add('function');
    }
    const chosen = rng.shuffle(eligible).slice(0, rng.int(1, 3));
    mig.custom.push(
      `-- CreateTrigger\n${chosen
        .map((t) => {
          t.triggers.add('audit');
          return triggerSql(t, `${t.name}_audit`, 'AFTER', 'INSERT OR UPDATE OR DELETE', 'audit_row_change');
        })
        .join('\n')}`,
    );
    mig.names.push(`audit_${chosen.map((t) => snake(t.name)).join('_')}`);
    mig.shapes.add('trigger');
    return true;
  }
  const eligible = tables.filter((t) => !t.triggers.has('updatedAt') && t.columns.has('updatedAt'));
  if (!eligible.length) return false;
  if (!model.updatedAtFunction || rng.chance(0.2)) {
    model.updatedAtFunction = true;
    mig.custom.push(UPDATED_AT_FUNCTION);
    mig.shapes.add('function');
  }
  const chosen = rng.shuffle(eligible).slice(
    0,
    rng.weighted([
      [1, 50],
      [2, 25],
      [4, 15],
      [8, 10],
    ]),
  );
  mig.custom.push(
    `-- CreateTrigger\n${chosen
      .map((t) => {
        t.triggers.add('updatedAt');
        return triggerSql(t, `${t.name}_set_updated_at`, 'BEFORE', 'UPDATE', 'set_updated_at');
      })
      .join('\n')}`,
  );
  mig.names.push(`updated_at_trigger_${snake(chosen[0].name)}`);
  mig.shapes.add('trigger');
  return true;
}

/** The value a backfill writes into `c` for row number expression `n` (distinct per row for DISTINCT_KINDS). */
function backfillValue(mig, c, n, parentRef) {
  switch (c.kind) {
    case 'text':
    case 'varchar':
      return c.fk ? parentRef : `'${snake(c.name).slice(0, 8)}-' || (${n})`;
    case 'int':
    case 'bigint':
      return c.fk ? parentRef : `(${n})`;
    case 'decimal':
      return `((${n}) % 1000) * 0.25`;
    case 'float':
      return `((${n}) % 97) * 1.5`;
    case 'bool':
      return `((${n}) % 2 = 0)`;
    case 'ts':
      return c.name === 'createdAt' || c.name === 'updatedAt' ? `CURRENT_TIMESTAMP - ((${n}) % 10000) * INTERVAL '1 minute'` : `CURRENT_TIMESTAMP + ((${n}) % 500) * INTERVAL '1 hour'`;
    case 'json':
      return `jsonb_build_object('n', ${n}, 'source', 'backfill')`;
    case 'array':
      return `ARRAY['imported', 'batch-${mig.index}']`;
    case 'enum':
      return `'${mig.model.usableValues(c.enumName, mig.index).at(-1)}'`;
    default:
      throw new Error(`no backfill value for ${c.kind}`);
  }
}

/**
 * INSERT … SELECT: a few thousand rows from generate_series, or (a table with a required foreign
 * key) a few rows per parent row. Returns the SQL, or undefined when no table fits.
 */
function backfillInsert(mig, { tables }) {
  const { rng } = mig;
  const offset = mig.index * 1_000_000;
  const eligible = tables.filter((t) => [...t.columns.values()].filter((c) => c.fk && c.notNull).length <= 1 && !t.join && !t.protected);
  if (!eligible.length) return undefined;
  const t = rng.pick(eligible);
  const required = [...t.columns.values()].find((c) => c.fk && c.notNull);
  const columns = [...t.columns.values()].filter((c) => c.kind !== 'serial' && (!c.fk || c.notNull));
  const prefix = snake(t.name).slice(0, 6);
  let sql;
  if (required) {
    const per = rng.int(2, 5);
    const limit = rng.int(300, 1500);
    const n = `${offset} + s.n * ${per} + g.i`;
    const values = columns.map((c) => (c.name === 'id' ? `'${prefix}_' || (${n})` : backfillValue(mig, c, n, 's."id"')));
    sql = `INSERT INTO ${q(t.name)} (${columns.map((c) => q(c.name)).join(', ')})
SELECT ${values.join(',\n       ')}
FROM (
  SELECT "id", row_number() OVER (ORDER BY "id") AS n FROM ${q(required.fk.name)} ORDER BY "id" LIMIT ${limit}
) AS s
CROSS JOIN generate_series(1, ${per}) AS g(i);`;
  } else {
    const rows = rng.int(10, 50) * 100;
    const n = `${offset} + g.i`;
    const values = columns.map((c) => (c.name === 'id' ? `'${prefix}_' || (${n})` : backfillValue(mig, c, n)));
    sql = `INSERT INTO ${q(t.name)} (${columns.map((c) => q(c.name)).join(', ')})
SELECT ${values.join(',\n       ')}
FROM generate_series(1, ${rows}) AS g(i);`;
  }
  t.hasRows = true;
  mig.names.push(`backfill_${snake(t.name)}`);
  return sql;
}

/** UPDATE … FROM over the table's own rows: distinct values in a nullable column, numbered by age. */
function backfillUpdate(mig, t, c) {
  const offset = mig.index * 1_000_000;
  const value = c.kind === 'int' || c.kind === 'bigint' ? `${offset} + s.n` : `'${snake(c.name).slice(0, 8)}-' || (${offset} + s.n)`;
  return `UPDATE ${q(t.name)} AS t
SET ${q(c.name)} = ${value.replace(/s\.n/g, 's."n"')}
FROM (
  SELECT "id", row_number() OVER (ORDER BY "createdAt", "id") AS "n" FROM ${q(t.name)}
) AS s
WHERE t."id" = s."id";`;
}

/** A hand-written data migration (in its own file, as teams write them). */
function opBackfill(mig) {
  const { model, rng } = mig;
  const tables = model.userTables(mig, { fresh: false });
  const kind = rng.weighted([
    ['insert', 45],
    ['update-new-column', 35],
    ['counter', 20],
  ]);
  if (kind === 'insert') {
    const sql = backfillInsert(mig, { tables });
    if (!sql) return false;
    mig.custom.push(`-- Backfill\n${sql}`);
    mig.shapes.add('backfill-insert');
    return true;
  }
  if (kind === 'counter') {
    // A denormalised counter on the parent, filled from the child rows.
    const pairs = tables.flatMap((child) => [...child.columns.values()].filter((c) => c.fk && tables.includes(c.fk) && c.fk !== child).map((c) => [child, c]));
    if (!pairs.length) return false;
    const [child, fkCol] = rng.pick(pairs);
    const parent = fkCol.fk;
    const name = `${lowerFirst(child.name)}Count`;
    if (parent.columns.has(name) || name.length > 40) return false;
    const column = makeColumn(name, 'int', { notNull: true, def: '0', addedAt: mig.index });
    column.dupRisk = true;
    parent.columns.set(name, column);
    mig.touch(parent, name);
    mig.alter(parent, `ADD COLUMN     ${columnDefinition(column)}`);
    mig.custom.push(`-- Backfill
UPDATE ${q(parent.name)} AS t
SET ${q(name)} = s."count"
FROM (
  SELECT ${q(fkCol.name)} AS "parentId", count(*)::int AS "count" FROM ${q(child.name)} GROUP BY ${q(fkCol.name)}
) AS s
WHERE t."id" = s."parentId";`);
    mig.names.push(`backfill_${snake(parent.name)}_${snake(name)}`);
    mig.shapes.add('backfill-update');
    return true;
  }
  // A new column, filled for existing rows, then required (and often unique): "add slug".
  const candidates = tables.filter((t) => t.columns.has('createdAt') && !t.serial);
  if (!candidates.length) return false;
  const t = rng.pick(candidates);
  const picked = model.newColumnName(t, rng.chance(0.7) ? 'text' : 'int');
  if (!picked) return false;
  const [name, k] = picked;
  const column = makeColumn(name, k.replace(/N$/, ''), { notNull: false, addedAt: mig.index });
  t.columns.set(name, column);
  mig.touch(t, name);
  mig.alter(t, `ADD COLUMN     ${columnDefinition(column)}`);
  column.notNull = true;
  const parts = [`-- Backfill\n${backfillUpdate(mig, t, column)}`, `-- AlterTable\nALTER TABLE ${q(t.name)} ALTER COLUMN ${q(name)} SET NOT NULL;`];
  if (rng.chance(0.6)) {
    const index = `${t.name}_${name}_key`;
    if (model.freeName(index)) {
      model.names.add(index);
      t.indexes.set(index, { columns: [name], unique: true });
      parts.push(`-- CreateIndex\nCREATE UNIQUE INDEX ${q(index)} ON ${q(t.name)}(${q(name)});`);
    }
  }
  mig.custom.push(...parts);
  mig.names.push(`backfill_${snake(t.name)}_${snake(name)}`);
  mig.shapes.add('backfill-update');
  return true;
}

/**
 * BEGIN; SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; … COMMIT; around a backfill. Data only:
 * the model's schema does not change, and tables are only marked as holding rows (which restricts
 * later migrations, never enables them), so the history stays valid without these files.
 */
function opTransactionBackfill(mig) {
  const { model, rng } = mig;
  const tables = model.userTables(mig, { fresh: false });
  const insert = backfillInsert(mig, { tables });
  if (!insert) return false;
  const parts = [insert];
  // An UPDATE … FROM on a nullable column without a unique index (values stay distinct anyway).
  const updatable = tables.flatMap((t) =>
    [...t.columns.values()]
      .filter((c) => !c.notNull && !c.fk && !c.system && (c.kind === 'text' || c.kind === 'int') && ![...t.indexes.values()].some((i) => i.unique && i.columns.includes(c.name)))
      .map((c) => [t, c]),
  );
  if (updatable.length) {
    const [t, c] = rng.pick(updatable);
    parts.push(backfillUpdate(mig, t, c));
  }
  mig.custom.push(`-- Prisma does not automatically wrap PostgreSQL migrations in a transaction.
BEGIN;
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;

-- Backfill
${parts.join('\n\n')}

COMMIT;`);
  mig.shapes.add('transaction-control');
  return true;
}

function opConcurrentIndex(mig) {
  const { model, rng } = mig;
  const candidates = model
    .userTables(mig, { fresh: false })
    .flatMap((t) =>
      [...t.columns.values()]
        .filter((c) => c.kind !== 'serial' && c.kind !== 'json' && c.kind !== 'array' && c.name !== 'id' && ![...t.indexes.values()].some((i) => i.columns[0] === c.name))
        .map((c) => [t, c]),
    );
  for (let attempt = 0; attempt < 10 && candidates.length; attempt += 1) {
    const [t, c] = rng.pick(candidates);
    const sql = createIndex(mig, t, [c.name], { concurrently: true });
    if (sql) {
      mig.custom.push(`-- CreateIndex\n${sql}`);
      mig.names.push(`add_${snake(t.name)}_${snake(c.name)}_index_concurrently`);
      mig.shapes.add('concurrently');
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// The history

const DIFF_OPS = [
  [opAddColumns, 28],
  [opCreateTable, 13],
  [opAddRelation, 8],
  [opCreateIndex, 10],
  [(m) => opCreateIndex(m, { unique: true }), 4],
  [opDropColumn, 6],
  [opAlterColumn, 8],
  [opCreateEnum, 4],
  [opAddEnumValue, 5],
  [opRenameColumn, 3],
  [opRenameTable, 1],
  [opDropIndex, 2.5],
  [opRenameIndex, 1.5],
  [opDropTable, 1.5],
  [opCreateJoinTable, 2],
];
const OP_SHAPE = new Map([
  [opAddColumns, 'add-column'],
  [opCreateTable, 'create-table'],
  [opAddRelation, 'add-foreign-key'],
  [opCreateIndex, 'create-index'],
  [opDropColumn, 'drop-column'],
  [opAlterColumn, 'alter-column'],
  [opCreateEnum, 'create-enum'],
  [opAddEnumValue, 'add-enum-value'],
  [opRenameColumn, 'rename-column'],
  [opRenameTable, 'rename-table'],
  [opDropIndex, 'drop-index'],
  [opRenameIndex, 'rename-index'],
  [opDropTable, 'drop-table'],
  [opCreateJoinTable, 'create-join-table'],
]);

function initMigration(mig) {
  for (let i = 0; i < 3; i += 1) opCreateEnum(mig, { attach: false });
  const tables = [opCreateTable(mig, { enumNames: [...mig.newEnums] })];
  const count = mig.rng.int(9, 13);
  for (let i = 0; i < count; i += 1)
    tables.push(
      opCreateTable(mig, {
        parents: mig.rng.shuffle(tables).slice(
          0,
          mig.rng.weighted([
            [0, 20],
            [1, 55],
            [2, 25],
          ]),
        ),
      }),
    );
  opCreateJoinTable(mig);
  mig.names = ['init'];
  mig.shapes.add('init');
}

/** A feature: a few models at once, their enums, relations and indexes (Prisma's larger diffs). */
function featureMigration(mig) {
  const { rng } = mig;
  for (let i = rng.int(0, 2); i > 0; i -= 1) opCreateEnum(mig, { attach: false });
  const enumNames = [...mig.newEnums];
  const created = [];
  const count = rng.int(3, 8);
  const existing = mig.model.userTables(mig, { fresh: false });
  for (let i = 0; i < count; i += 1) {
    const parents = rng.shuffle([...created, ...rng.shuffle(existing).slice(0, 2)]).slice(
      0,
      rng.weighted([
        [0, 15],
        [1, 55],
        [2, 30],
      ]),
    );
    created.push(opCreateTable(mig, { parents, enumNames: i === 0 ? enumNames : [] }));
  }
  for (let i = rng.int(0, 3); i > 0; i -= 1) opAddColumns(mig);
  if (rng.chance(0.3)) opCreateJoinTable(mig);
  mig.names = [`add_${snake(created[0].name)}_feature`.replace('_feature', rng.pick(['_feature', '_module', '_models', '']))];
  mig.shapes.add('feature');
}

const NOISE_NAMES = ['wip', 'fix', 'update_schema', 'changes', 'schema_update', 'misc', 'cleanup', 'sync', 'hotfix', 'dev'];

/**
 * Write `count` migrations into `dir` and return { files (apply order), concurrently (files that
 * run outside a transaction), transactionControl (files with BEGIN/COMMIT of their own), stats }.
 * `format`: 'prisma' (dir/migrations/<timestamp>_<name>/migration.sql + migration_lock.toml) or
 * 'sql' (dir/<timestamp>_<name>.sql; CONCURRENTLY files start with polymigrate's
 * "-- migrate:up transaction:false"). `withBegin: false` leaves the transaction-control files out
 * (every other file is the same).
 */
export function generateRealisticHistory(dir, { count = 800, seed = 1, format = 'prisma', withBegin = true } = {}) {
  if (format !== 'prisma' && format !== 'sql') throw new Error(`unknown format ${format}`);
  const rng = createRng(seed);
  const model = new Model(rng);
  // Fixed slots for the rare shapes (about 1% each), away from the very start.
  const rare = Math.max(1, Math.round(count / 100));
  const slots = rng.shuffle(Array.from({ length: Math.max(0, count - 30) }, (_, i) => i + 30));
  const beginSlots = new Set(slots.slice(0, rare));
  const concurrentSlots = new Set(slots.slice(rare, 2 * rare));

  const root = format === 'prisma' ? path.join(dir, 'migrations') : dir;
  fs.mkdirSync(root, { recursive: true });
  if (format === 'prisma') {
    fs.writeFileSync(
      path.join(root, 'migration_lock.toml'),
      '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
    );
  }
  const files = [];
  const concurrently = new Set();
  const transactionControl = new Set();
  const shapeCounts = {};
  const sizes = [];
  let totalBytes = 0;
  let statements = 0;
  let time = Date.UTC(2021, 2, 1, 9, 12, 33);

  for (let index = 0; index < count; index += 1) {
    const mig = new Migration(model, index);
    mig.rng = rng;
    if (index === 0) {
      initMigration(mig);
    } else if (beginSlots.has(index)) {
      if (!opTransactionBackfill(mig)) throw new Error(`migration ${index}: no table for the transaction-control backfill`);
    } else if (concurrentSlots.has(index)) {
      if (!opConcurrentIndex(mig)) throw new Error(`migration ${index}: no column for CREATE INDEX CONCURRENTLY`);
    } else {
      const kind = rng.weighted([
        ['diff', 88],
        ['feature', 2.5],
        ['function', 3.5],
        ['backfill', 4],
        ['bulk-index', 2],
      ]);
      let done = false;
      if (kind === 'feature') {
        featureMigration(mig);
        done = true;
      } else if (kind === 'function') {
        done = opFunctionsAndTriggers(mig);
      } else if (kind === 'backfill') {
        done = opBackfill(mig);
      } else if (kind === 'bulk-index') {
        // "add missing indexes": many CREATE INDEX in one migration.
        let n = 0;
        for (let i = rng.int(6, 20); i > 0; i -= 1) n += opCreateIndex(mig) ? 1 : 0;
        if (n) {
          mig.names = [rng.pick(['add_missing_indexes', 'add_indexes', 'performance_indexes', 'index_foreign_keys'])];
          mig.shapes.add('bulk-index');
          done = true;
        }
      }
      if (!done) {
        const ops = rng.weighted([
          [1, 55],
          [2, 25],
          [3, 10],
          [5, 6],
          [8, 4],
        ]);
        for (let i = 0, tries = 0; i < ops && tries < ops * 5; tries += 1) {
          const op = rng.weighted(DIFF_OPS);
          if (op(mig)) {
            mig.shapes.add(OP_SHAPE.get(op) ?? 'create-unique-index');
            i += 1;
          }
        }
        if (!mig.shapes.size && !opAddColumns(mig)) opCreateTable(mig);
        if (!mig.shapes.size) mig.shapes.add('add-column');
      }
    }

    // Timestamps: bursts on the same day, days or weeks apart otherwise.
    time +=
      1000 *
      rng.weighted([
        [rng.int(40, 600), 25],
        [rng.int(600, 4 * 3600), 30],
        [rng.int(4 * 3600, 3 * 86400), 35],
        [rng.int(3 * 86400, 21 * 86400), 10],
      ]);
    const stamp = new Date(time).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const rawName = rng.chance(0.06) ? rng.pick(NOISE_NAMES) : (mig.names[0] ?? 'update');
    const name = rawName.slice(0, 60).replace(/_+$/, '');
    const id = `${stamp}_${name}`;
    let text = mig.render();
    const isConcurrent = mig.shapes.has('concurrently');
    const isBegin = mig.shapes.has('transaction-control');
    if (isBegin && !withBegin) continue;
    if (format === 'sql' && isConcurrent) text = `-- migrate:up transaction:false\n${text}`;
    let file;
    if (format === 'prisma') {
      fs.mkdirSync(path.join(root, id));
      file = path.join(root, id, 'migration.sql');
    } else {
      file = path.join(root, `${id}.sql`);
    }
    fs.writeFileSync(file, text);
    files.push(file);
    if (isConcurrent) concurrently.add(file);
    if (isBegin) transactionControl.add(file);
    for (const shape of mig.shapes) shapeCounts[shape] = (shapeCounts[shape] ?? 0) + 1;
    const bytes = Buffer.byteLength(text);
    sizes.push(bytes);
    totalBytes += bytes;
    statements += countStatements(text);
  }
  sizes.sort((a, b) => a - b);
  const pct = (p) => sizes[Math.min(sizes.length - 1, Math.floor(p * sizes.length))];
  const stats = {
    files: files.length,
    totalBytes,
    statements,
    shapes: shapeCounts,
    bytes: { median: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: sizes.at(-1), min: sizes[0] },
    over4kB: sizes.filter((s) => s > 4096).length,
    tables: model.tables.size,
    enums: model.enums.size,
    indexes: [...model.tables.values()].reduce((s, t) => s + t.indexes.size, 0),
  };
  return { files, concurrently, transactionControl, stats };
}

/** Statements in a migration (semicolons outside comments and dollar-quoted bodies; a rough count for the report). */
function countStatements(text) {
  const code = text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/--[^\n]*/g, '')
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, '$$');
  return (code.match(/;/g) ?? []).length;
}

// CLI: print the statistics of a generated history.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const argv = process.argv.slice(2);
  const arg = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const out = arg('--out', undefined) ?? fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'polymigrate-realistic-'));
  const result = generateRealisticHistory(out, {
    count: Number(arg('--count', 800)),
    seed: Number(arg('--seed', 1)),
    format: arg('--format', 'prisma'),
    withBegin: !argv.includes('--without-begin'),
  });
  process.stdout.write(`${JSON.stringify({ dir: out, ...result.stats, concurrently: result.concurrently.size, transactionControl: result.transactionControl.size }, null, 2)}\n`);
  if (!argv.includes('--out')) fs.rmSync(out, { recursive: true, force: true });
}
