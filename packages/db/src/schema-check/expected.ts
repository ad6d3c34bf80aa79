import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@im/contracts';
import { type GetDMMFError, getDMMF } from '@prisma/get-dmmf';

type Document = Exclude<ReturnType<typeof getDMMF>, GetDMMFError>;
type Datamodel = Document['datamodel'];
type Model = Datamodel['models'][number];
type Field = Model['fields'][number];

/** What a column's type must be: a `format_type()` rendering, or an enum by name. */
export type ExpectedType =
  | { kind: 'builtin'; sql: string; list: boolean }
  | { kind: 'enum'; name: string; list: boolean };

/** Literal default values, kept as the text Postgres would store them from. */
export type DefaultLiteral = string | DefaultLiteral[];

export type ExpectedDefault =
  | { kind: 'none' }
  | { kind: 'sequence' }
  | { kind: 'now' }
  /** `dbgenerated(...)`: the expression when given, else "some default". */
  | { kind: 'expression'; sql: string | null }
  | { kind: 'value'; scalar: string; value: DefaultLiteral }
  /** A literal this check does not compare by value (Bytes): only that a default exists. */
  | { kind: 'any' };

export interface ExpectedColumn {
  name: string;
  field: string;
  type: ExpectedType;
  /** Scalar lists are created without NOT NULL by Prisma, so their nullability is not compared. */
  nullable: boolean | null;
  default: ExpectedDefault;
}

export interface IndexColumn {
  name: string;
  desc: boolean;
}

export interface ExpectedIndex {
  name: string;
  unique: boolean;
  columns: IndexColumn[];
  method: string;
}

export type ReferentialAction = 'Cascade' | 'Restrict' | 'NoAction' | 'SetNull' | 'SetDefault';

export interface ExpectedForeignKey {
  /** Default constraint name. Prisma's `map:` on a relation is not in the DMMF, so names are informative only. */
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

export interface ExpectedTable {
  name: string;
  model: string;
  columns: ExpectedColumn[];
  primaryKey: { name: string; columns: string[] } | null;
  indexes: ExpectedIndex[];
  foreignKeys: ExpectedForeignKey[];
}

export interface ExpectedEnum {
  name: string;
  values: string[];
}

export interface ExpectedSchema {
  tables: ExpectedTable[];
  enums: ExpectedEnum[];
}

/** Postgres' NAMEDATALEN - 1: Prisma truncates generated constraint names to fit it. */
const MAX_IDENTIFIER_BYTES = 63;

/** Reads a schema file, or every `.prisma` file under a folder (Prisma's multi-file schemas). */
export async function readPrismaSchema(schemaPath: string): Promise<Array<[string, string]>> {
  const info = await stat(schemaPath);
  if (info.isFile()) return [[schemaPath, await readFile(schemaPath, 'utf8')]];
  const files: Array<[string, string]> = [];
  for (const entry of await readdir(schemaPath, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.prisma')) {
      const path = join(entry.parentPath, entry.name);
      files.push([path, await readFile(path, 'utf8')]);
    }
  }
  return files.sort(([a], [b]) => a.localeCompare(b));
}

/** Parses the schema with Prisma's own (wasm) parser and derives the tables Prisma Migrate would create. */
export function expectedSchemaFrom(files: Array<[string, string]>): ExpectedSchema {
  const dmmf = getDMMF({ datamodel: files });
  if ('type' in dmmf) {
    throw new AppError('VALIDATION_FAILED', `The Prisma schema does not parse: ${dmmf.error.message}`);
  }
  return fromDatamodel(dmmf.datamodel);
}

function fromDatamodel(datamodel: Datamodel): ExpectedSchema {
  const models = new Map(datamodel.models.map((m) => [m.name, m]));
  const enumDbNames = new Map(datamodel.enums.map((e) => [e.name, pgIdentifier(e.dbName ?? e.name)]));
  const enumValueDbNames = new Map(
    datamodel.enums.map((e) => [e.name, new Map(e.values.map((v) => [v.name, v.dbName ?? v.name]))]),
  );
  const tables = datamodel.models.map((model) => {
    if (model.schema) {
      throw unsupported(`model ${model.name} uses @@schema; this check covers one schema per service`);
    }
    const table = tableName(model);
    const columns = model.fields
      .filter((f) => f.kind === 'scalar' || f.kind === 'enum')
      .map((f) => expectedColumn(f, enumDbNames, enumValueDbNames));
    const column = (fieldName: string) => columnName(model, fieldName);

    let primaryKey: ExpectedTable['primaryKey'] = null;
    const indexes: ExpectedIndex[] = [];
    for (const index of datamodel.indexes.filter((i) => i.model === model.name)) {
      // Default names are built from the full names, then truncated (psl ConstraintNames); the
      // columns themselves are matched under the names Postgres keeps (truncated to 63 bytes).
      const names = index.fields.map((f) => column(f.name));
      const cols = index.fields.map((f) => ({
        name: pgIdentifier(column(f.name)),
        desc: f.sortOrder === 'desc',
      }));
      if (index.type === 'id') {
        primaryKey = { name: index.dbName ?? primaryKeyName(table), columns: cols.map((c) => c.name) };
      } else if (index.type === 'unique' || index.type === 'normal') {
        const unique = index.type === 'unique';
        indexes.push({
          name: index.dbName ?? indexName(table, names, unique ? '_key' : '_idx'),
          unique,
          columns: cols,
          method: (index.algorithm ?? 'BTree').toLowerCase(),
        });
      } else {
        throw unsupported(`index type "${index.type}" on model ${model.name}`);
      }
    }

    const foreignKeys: ExpectedForeignKey[] = [];
    for (const field of model.fields.filter((f) => f.kind === 'object')) {
      const target = models.get(field.type);
      if (!target)
        throw unsupported(`relation ${model.name}.${field.name} points at unknown model ${field.type}`);
      const from = field.relationFromFields ?? [];
      if (from.length === 0) {
        const back = target.fields.find(
          (f) => f.kind === 'object' && f.relationName === field.relationName && f !== field,
        );
        if (field.isList && back?.isList) {
          throw unsupported(
            `implicit many-to-many relation ${model.name}.${field.name}; declare the join table as a model (project convention)`,
          );
        }
        continue;
      }
      const columns = from.map(column);
      foreignKeys.push({
        name: foreignKeyName(table, columns),
        columns: columns.map(pgIdentifier),
        referencedTable: pgIdentifier(tableName(target)),
        referencedColumns: (field.relationToFields ?? []).map((f) => pgIdentifier(columnName(target, f))),
        onDelete:
          (field.relationOnDelete as ReferentialAction | undefined) ??
          (field.isRequired ? 'Restrict' : 'SetNull'),
        onUpdate: (field.relationOnUpdate as ReferentialAction | undefined) ?? 'Cascade',
      });
    }
    return { name: pgIdentifier(table), model: model.name, columns, primaryKey, indexes, foreignKeys };
  });
  const enums = datamodel.enums.map((e) => ({
    name: pgIdentifier(e.dbName ?? e.name),
    values: e.values.map((v) => v.dbName ?? v.name),
  }));
  return { tables, enums };
}

function expectedColumn(
  field: Field,
  enumDbNames: Map<string, string>,
  enumValueDbNames: Map<string, Map<string, string>>,
): ExpectedColumn {
  const name = pgIdentifier(field.dbName ?? field.name);
  const type: ExpectedType =
    field.kind === 'enum'
      ? { kind: 'enum', name: enumDbNames.get(field.type) ?? field.type, list: field.isList }
      : { kind: 'builtin', sql: builtinType(field), list: field.isList };
  return {
    name,
    field: field.name,
    type,
    nullable: field.isList ? null : !field.isRequired,
    default: expectedDefault(field, enumValueDbNames.get(field.type)),
  };
}

const DEFAULT_TYPES: Record<string, string> = {
  String: 'text',
  Boolean: 'boolean',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

/** The `format_type()` text of the column Prisma creates for a scalar field. */
function builtinType(field: Field): string {
  if (!field.nativeType) {
    const sql = DEFAULT_TYPES[field.type];
    if (!sql) throw unsupported(`type ${field.type} of field ${field.name}`);
    return sql;
  }
  const [native, args] = field.nativeType as [string, string[]];
  const [a, b] = args;
  const withArgs = (base: string, suffix = '') =>
    a === undefined ? `${base}${suffix}` : `${base}(${args.join(',')})${suffix}`;
  switch (native) {
    case 'Text':
      return 'text';
    case 'Char':
      return `character(${a ?? 1})`;
    case 'VarChar':
      return withArgs('character varying');
    case 'Bit':
      return `bit(${a ?? 1})`;
    case 'VarBit':
      return withArgs('bit varying');
    case 'Uuid':
      return 'uuid';
    case 'Xml':
      return 'xml';
    case 'Inet':
      return 'inet';
    case 'Citext':
      return 'citext';
    case 'Boolean':
      return 'boolean';
    case 'Integer':
      return 'integer';
    case 'SmallInt':
      return 'smallint';
    case 'Oid':
      return 'oid';
    case 'BigInt':
      return 'bigint';
    case 'DoublePrecision':
      return 'double precision';
    case 'Real':
      return 'real';
    case 'Decimal':
      return a === undefined ? 'numeric' : `numeric(${a},${b ?? 0})`;
    case 'Money':
      return 'money';
    case 'Timestamp':
      return withArgs('timestamp', ' without time zone');
    case 'Timestamptz':
      return withArgs('timestamp', ' with time zone');
    case 'Date':
      return 'date';
    case 'Time':
      return withArgs('time', ' without time zone');
    case 'Timetz':
      return withArgs('time', ' with time zone');
    case 'Json':
      return 'json';
    case 'JsonB':
      return 'jsonb';
    case 'ByteA':
      return 'bytea';
    default:
      throw unsupported(`native type @db.${native} of field ${field.name}`);
  }
}

/** Defaults Prisma evaluates in the client instead of the database. */
const CLIENT_SIDE_DEFAULTS = new Set(['uuid', 'cuid', 'nanoid', 'ulid']);

function expectedDefault(field: Field, enumValues: Map<string, string> | undefined): ExpectedDefault {
  if (!field.hasDefaultValue || field.default === undefined) return { kind: 'none' };
  const value: unknown = field.default;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const fn = value as { name: string; args: unknown[] };
    if (CLIENT_SIDE_DEFAULTS.has(fn.name)) return { kind: 'none' };
    if (fn.name === 'autoincrement') return { kind: 'sequence' };
    if (fn.name === 'now') return { kind: 'now' };
    if (fn.name === 'dbgenerated') {
      const [sql] = fn.args;
      return { kind: 'expression', sql: typeof sql === 'string' && sql.length > 0 ? sql : null };
    }
    throw unsupported(`default function ${fn.name}() on field ${field.name}`);
  }
  if (field.type === 'Bytes') return { kind: 'any' };
  const literal = (v: unknown): DefaultLiteral => {
    if (Array.isArray(v)) return v.map(literal);
    if (field.kind === 'enum' && typeof v === 'string') return enumValues?.get(v) ?? v;
    if (field.type === 'Json' && typeof v !== 'string') return JSON.stringify(v);
    return String(v);
  };
  return { kind: 'value', scalar: field.kind === 'enum' ? 'Enum' : field.type, value: literal(value) };
}

function tableName(model: Model): string {
  return model.dbName ?? model.name;
}

function columnName(model: Model, fieldName: string): string {
  const field = model.fields.find((f) => f.name === fieldName);
  if (!field)
    throw unsupported(`field ${model.name}.${fieldName} referenced by an index or relation does not exist`);
  return field.dbName ?? field.name;
}

/** Truncates to at most `bytes` UTF-8 bytes without splitting a character (Prisma's floor_char_boundary). */
function truncateBytes(text: string, bytes: number): string {
  let out = '';
  let used = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (used + size > bytes) break;
    out += char;
    used += size;
  }
  return out;
}

/** The name Postgres keeps for an identifier: longer ones are cut to 63 bytes (NAMEDATALEN - 1). */
function pgIdentifier(name: string): string {
  return truncateBytes(name, MAX_IDENTIFIER_BYTES);
}

/** Prisma's default names (psl ConstraintNames), including its truncation to 63 bytes. */
export function primaryKeyName(table: string): string {
  const base =
    Buffer.byteLength(table) >= MAX_IDENTIFIER_BYTES - 5
      ? truncateBytes(table, MAX_IDENTIFIER_BYTES - 5)
      : table;
  return `${base}_pkey`;
}

export function indexName(table: string, columns: string[], suffix: '_key' | '_idx'): string {
  const joined = `${table}_${columns.join('_')}`;
  const limit = MAX_IDENTIFIER_BYTES - suffix.length;
  return `${Buffer.byteLength(joined) >= limit ? truncateBytes(joined, limit) : joined}${suffix}`;
}

export function foreignKeyName(table: string, columns: string[]): string {
  const joined = `${table}_${columns.join('_')}`;
  const limit = MAX_IDENTIFIER_BYTES - 5;
  return `${Buffer.byteLength(joined) >= limit ? truncateBytes(joined, limit) : joined}_fkey`;
}

function unsupported(what: string): AppError {
  return new AppError('VALIDATION_FAILED', `The schema check does not support ${what}`);
}
