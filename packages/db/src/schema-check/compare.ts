import type {
  DefaultLiteral,
  ExpectedColumn,
  ExpectedDefault,
  ExpectedIndex,
  ExpectedSchema,
  ExpectedTable,
} from './expected.js';
import type { ActualColumn, ActualForeignKey, ActualIndex, ActualSchema, ActualTable } from './introspect.js';

export type DifferenceKind = 'table' | 'column' | 'primaryKey' | 'index' | 'foreignKey' | 'enum';

/** One way the database and the Prisma schema disagree. */
export interface SchemaDifference {
  kind: DifferenceKind;
  /** The database object, e.g. `column "members"."readSeq"`. */
  object: string;
  problem: string;
}

export function formatDifference(d: SchemaDifference): string {
  return `${d.object}: ${d.problem}`;
}

const q = (name: string) => `"${name}"`;

/** Every difference between what Prisma Migrate would create and what the database has. */
export function compareSchemas(expected: ExpectedSchema, actual: ActualSchema): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  for (const table of expected.tables) {
    const found = actual.tables.find((t) => t.name === table.name);
    if (!found) {
      out.push({
        kind: 'table',
        object: `table ${q(table.name)}`,
        problem: `missing (model ${table.model})`,
      });
      continue;
    }
    compareTable(table, found, out);
  }
  for (const table of actual.tables) {
    if (!expected.tables.some((t) => t.name === table.name)) {
      out.push({
        kind: 'table',
        object: `table ${q(table.name)}`,
        problem: 'in the database but not in the Prisma schema',
      });
    }
  }
  for (const wanted of expected.enums) {
    const found = actual.enums.find((e) => e.name === wanted.name);
    const object = `enum ${q(wanted.name)}`;
    if (!found) {
      out.push({ kind: 'enum', object, problem: 'missing' });
      continue;
    }
    const missing = wanted.values.filter((v) => !found.values.includes(v));
    const extra = found.values.filter((v) => !wanted.values.includes(v));
    if (missing.length > 0)
      out.push({ kind: 'enum', object, problem: `missing values ${missing.map(q).join(', ')}` });
    if (extra.length > 0) {
      out.push({
        kind: 'enum',
        object,
        problem: `values ${extra.map(q).join(', ')} are not in the Prisma schema`,
      });
    }
  }
  for (const found of actual.enums) {
    if (!expected.enums.some((e) => e.name === found.name)) {
      out.push({
        kind: 'enum',
        object: `enum ${q(found.name)}`,
        problem: 'in the database but not in the Prisma schema',
      });
    }
  }
  return out;
}

function compareTable(table: ExpectedTable, found: ActualTable, out: SchemaDifference[]): void {
  for (const column of table.columns) {
    const object = `column ${q(table.name)}.${q(column.name)}`;
    const actual = found.columns.find((c) => c.name === column.name);
    if (!actual) {
      out.push({ kind: 'column', object, problem: `missing (field ${table.model}.${column.field})` });
      continue;
    }
    compareColumn(column, actual, object, out);
  }
  for (const actual of found.columns) {
    if (!table.columns.some((c) => c.name === actual.name)) {
      out.push({
        kind: 'column',
        object: `column ${q(table.name)}.${q(actual.name)}`,
        problem: 'in the database but not in the Prisma schema',
      });
    }
  }

  const pkObject = `primary key of ${q(table.name)}`;
  if (table.primaryKey && !found.primaryKey) {
    out.push({
      kind: 'primaryKey',
      object: pkObject,
      problem: `missing (${table.primaryKey.columns.map(q).join(', ')})`,
    });
  } else if (!table.primaryKey && found.primaryKey) {
    out.push({
      kind: 'primaryKey',
      object: pkObject,
      problem: 'the database has one, the Prisma schema has none',
    });
  } else if (table.primaryKey && found.primaryKey) {
    if (!sameList(table.primaryKey.columns, found.primaryKey.columns)) {
      out.push({
        kind: 'primaryKey',
        object: pkObject,
        problem: `columns are (${found.primaryKey.columns.map(q).join(', ')}), the schema wants (${table.primaryKey.columns.map(q).join(', ')})`,
      });
    }
    if (table.primaryKey.name !== found.primaryKey.name) {
      out.push({
        kind: 'primaryKey',
        object: pkObject,
        problem: `named ${q(found.primaryKey.name)}, the schema wants ${q(table.primaryKey.name)}`,
      });
    }
  }

  compareIndexes(table, found, out);
  compareForeignKeys(table, found, out);
}

function compareColumn(
  column: ExpectedColumn,
  actual: ActualColumn,
  object: string,
  out: SchemaDifference[],
): void {
  const wantedType = column.type.kind === 'enum' ? q(column.type.name) : column.type.sql;
  const wantedText = `${wantedType}${column.type.list ? '[]' : ''}`;
  const actualElement = actual.isEnum ? q(actual.elementTypeName) : unqualified(actual.elementType);
  const typeMatches =
    column.type.list === actual.isArray &&
    (column.type.kind === 'enum'
      ? actual.isEnum && actual.elementTypeName === column.type.name
      : !actual.isEnum && unqualified(actual.elementType) === column.type.sql);
  if (!typeMatches) {
    out.push({
      kind: 'column',
      object,
      problem: `type is ${actualElement}${actual.isArray ? '[]' : ''}, the schema wants ${wantedText}`,
    });
  }
  if (column.nullable !== null && column.nullable === actual.notNull) {
    out.push({
      kind: 'column',
      object,
      problem: actual.notNull
        ? 'NOT NULL in the database, optional in the schema'
        : 'nullable in the database, required in the schema',
    });
  }
  const defaultProblem = compareDefault(column.default, actual.default);
  if (defaultProblem) out.push({ kind: 'column', object, problem: defaultProblem });
}

function unqualified(type: string): string {
  return type.replace(/^(?:"[^"]+"|[a-z_][a-z0-9_$]*)\.(?=.)/, '');
}

function describeDefault(expected: ExpectedDefault): string {
  switch (expected.kind) {
    case 'none':
      return 'no default';
    case 'sequence':
      return 'autoincrement() (a sequence)';
    case 'now':
      return 'now() (CURRENT_TIMESTAMP)';
    case 'expression':
      return expected.sql === null ? 'a dbgenerated() default' : `dbgenerated("${expected.sql}")`;
    case 'value':
      return `default ${JSON.stringify(expected.value)}`;
    case 'any':
      return 'a default';
  }
}

/** A problem sentence, or null when the database default agrees with the schema's. */
function compareDefault(expected: ExpectedDefault, actual: string | null): string | null {
  const mismatch = () =>
    `default is ${actual === null ? 'none' : actual}, the schema wants ${describeDefault(expected)}`;
  switch (expected.kind) {
    case 'none':
      return actual === null ? null : mismatch();
    case 'any':
      return actual === null ? mismatch() : null;
    case 'sequence':
      return actual !== null && /^nextval\(/i.test(actual) ? null : mismatch();
    case 'now':
      return actual !== null && /^(?:current_timestamp(?:\(\d\))?|now\(\))$/i.test(actual.trim())
        ? null
        : mismatch();
    case 'expression':
      if (actual === null) return mismatch();
      return expected.sql === null || normalizeExpression(expected.sql) === normalizeExpression(actual)
        ? null
        : mismatch();
    case 'value': {
      const parsed = actual === null ? null : parseLiteral(actual);
      return parsed !== null && literalEquals(expected.scalar, expected.value, parsed) ? null : mismatch();
    }
  }
}

const IDENT = '(?:"[^"]*"|[a-z_][a-z0-9_$]*)';
/** A `::type` cast as pg_get_expr prints it: optional schema, multi-word names, modifiers, array brackets. */
const CAST = new RegExp(
  `^::\\s*(?:${IDENT}\\.)?(?:"[^"]*"|[a-z_][a-z0-9_$]*(?: [a-z_][a-z0-9_$]*)*)(?:\\(\\s*\\d+(?:\\s*,\\s*\\d+)?\\s*\\))?(?: with(?:out)? time zone)?(?:\\[\\])*`,
  'i',
);

/** Compares expressions loosely: case, white space, parentheses and type casts do not count. */
function normalizeExpression(sql: string): string {
  return sql
    .toLowerCase()
    .replace(new RegExp(CAST.source.slice(1), 'gi'), '')
    .replace(/[\s()]/g, '');
}

/**
 * Parses a column default as `pg_get_expr` renders literals: `'text'::type`,
 * `42`, `'-1'::integer`, `true`, `ARRAY['a'::text, 'b'::text]`, `'{}'::text[]`.
 * Returns null for anything that is not a literal.
 */
export function parseLiteral(expr: string): DefaultLiteral | null {
  const parser = { text: expr.trim(), pos: 0 };
  const value = readValue(parser);
  if (value === null) return null;
  skipCast(parser);
  return parser.pos === parser.text.length ? value : null;
}

interface Parser {
  text: string;
  pos: number;
}

function readValue(p: Parser): DefaultLiteral | null {
  const rest = p.text.slice(p.pos);
  if (rest.startsWith("'")) {
    let value = '';
    let i = p.pos + 1;
    while (i < p.text.length) {
      if (p.text[i] === "'") {
        if (p.text[i + 1] === "'") {
          value += "'";
          i += 2;
          continue;
        }
        p.pos = i + 1;
        skipCast(p);
        return value;
      }
      value += p.text[i];
      i += 1;
    }
    return null;
  }
  if (/^array\[/i.test(rest)) {
    p.pos += 'ARRAY['.length;
    const items: DefaultLiteral[] = [];
    skipSpaces(p);
    while (p.text[p.pos] !== ']') {
      const item = readValue(p);
      if (item === null) return null;
      skipCast(p);
      items.push(item);
      skipSpaces(p);
      if (p.text[p.pos] === ',') {
        p.pos += 1;
        skipSpaces(p);
      } else if (p.text[p.pos] !== ']') {
        return null;
      }
    }
    p.pos += 1;
    skipCast(p);
    return items;
  }
  const scalar = /^(?:-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|true|false)/i.exec(rest);
  if (scalar) {
    p.pos += scalar[0].length;
    return scalar[0].toLowerCase();
  }
  return null;
}

function skipSpaces(p: Parser): void {
  while (p.text[p.pos] === ' ') p.pos += 1;
}

function skipCast(p: Parser): void {
  const cast = CAST.exec(p.text.slice(p.pos));
  if (cast) p.pos += cast[0].length;
}

function literalEquals(scalar: string, expected: DefaultLiteral, actual: DefaultLiteral): boolean {
  if (Array.isArray(expected) || Array.isArray(actual)) {
    const list = Array.isArray(actual) ? actual : parsePgArray(actual);
    return (
      Array.isArray(expected) &&
      list !== null &&
      list.length === expected.length &&
      expected.every((item, i) => literalEquals(scalar, item, list[i] as DefaultLiteral))
    );
  }
  switch (scalar) {
    case 'Int':
    case 'BigInt':
    case 'Float':
    case 'Decimal':
      return Number(expected) === Number(actual);
    case 'Boolean':
      return expected.toLowerCase() === actual.toLowerCase();
    case 'DateTime':
      return Date.parse(expected) === Date.parse(actual);
    case 'Json':
      return canonicalJson(expected) === canonicalJson(actual);
    default:
      return expected === actual;
  }
}

/** `'{a,b}'` (a Postgres array literal in text form) as its items; null when it is not one. */
function parsePgArray(text: string): string[] | null {
  if (!text.startsWith('{') || !text.endsWith('}')) return null;
  const body = text.slice(1, -1);
  if (body === '') return [];
  return body.split(',').map((item) => item.replace(/^"(.*)"$/, '$1'));
}

function canonicalJson(text: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(text)));
  } catch (err) {
    return `invalid JSON (${String(err)}): ${text}`;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

function describeIndex(index: {
  unique: boolean;
  columns: Array<{ name: string | null; desc: boolean }>;
}): string {
  const cols = index.columns.map(
    (c) => `${c.name === null ? '<expression>' : q(c.name)}${c.desc ? ' DESC' : ''}`,
  );
  return `${index.unique ? 'unique ' : ''}(${cols.join(', ')})`;
}

function actualIndexColumns(index: ActualIndex): Array<{ name: string | null; desc: boolean }> {
  return index.columns.map((name, i) => ({ name, desc: index.descending[i] ?? false }));
}

function sameShape(wanted: ExpectedIndex, actual: ActualIndex): boolean {
  const cols = actualIndexColumns(actual);
  return (
    wanted.unique === actual.unique &&
    cols.length === wanted.columns.length &&
    wanted.columns.every((c, i) => cols[i]?.name === c.name && cols[i]?.desc === c.desc)
  );
}

function compareIndexes(table: ExpectedTable, found: ActualTable, out: SchemaDifference[]): void {
  const unmatched = [...found.indexes];
  const missing: ExpectedIndex[] = [];
  for (const wanted of table.indexes) {
    const i = unmatched.findIndex((a) => a.name === wanted.name);
    const object = `index ${q(wanted.name)} on ${q(table.name)}`;
    if (i === -1) {
      missing.push(wanted);
      continue;
    }
    const [actual] = unmatched.splice(i, 1) as [ActualIndex];
    if (!sameShape(wanted, actual)) {
      out.push({
        kind: 'index',
        object,
        problem: `is ${describeIndex({ unique: actual.unique, columns: actualIndexColumns(actual) })}, the schema wants ${describeIndex(wanted)}`,
      });
    }
    if (actual.method !== wanted.method) {
      out.push({
        kind: 'index',
        object,
        problem: `uses ${actual.method}, the schema wants ${wanted.method}`,
      });
    }
    if (actual.predicate !== null) {
      out.push({
        kind: 'index',
        object,
        problem: `is partial (WHERE ${actual.predicate}); the schema declares a full index`,
      });
    }
  }
  for (const wanted of missing) {
    const object = `index ${q(wanted.name)} on ${q(table.name)}`;
    const renamed = unmatched.findIndex((a) => sameShape(wanted, a));
    if (renamed !== -1) {
      const [actual] = unmatched.splice(renamed, 1) as [ActualIndex];
      out.push({ kind: 'index', object, problem: `is named ${q(actual.name)} in the database` });
    } else {
      out.push({ kind: 'index', object, problem: `missing: ${describeIndex(wanted)}` });
    }
  }
  for (const actual of unmatched) {
    out.push({
      kind: 'index',
      object: `index ${q(actual.name)} on ${q(table.name)}`,
      problem: `${describeIndex({ unique: actual.unique, columns: actualIndexColumns(actual) })} is in the database but not in the Prisma schema`,
    });
  }
}

function describeForeignKey(fk: {
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
}): string {
  return `(${fk.columns.map(q).join(', ')}) → ${q(fk.referencedTable)}(${fk.referencedColumns.map(q).join(', ')})`;
}

function compareForeignKeys(table: ExpectedTable, found: ActualTable, out: SchemaDifference[]): void {
  const unmatched: ActualForeignKey[] = [...found.foreignKeys];
  for (const wanted of table.foreignKeys) {
    const object = `foreign key ${q(table.name)}${describeForeignKey(wanted)}`;
    const i = unmatched.findIndex(
      (a) =>
        sameList(a.columns, wanted.columns) &&
        a.referencedTable === wanted.referencedTable &&
        sameList(a.referencedColumns, wanted.referencedColumns),
    );
    if (i === -1) {
      out.push({
        kind: 'foreignKey',
        object,
        problem: `missing (Prisma names it ${q(wanted.name)} by default)`,
      });
      continue;
    }
    const [actual] = unmatched.splice(i, 1) as [ActualForeignKey];
    if (actual.onDelete !== wanted.onDelete) {
      out.push({
        kind: 'foreignKey',
        object,
        problem: `ON DELETE ${actual.onDelete} in the database, the schema wants ${wanted.onDelete}`,
      });
    }
    if (actual.onUpdate !== wanted.onUpdate) {
      out.push({
        kind: 'foreignKey',
        object,
        problem: `ON UPDATE ${actual.onUpdate} in the database, the schema wants ${wanted.onUpdate}`,
      });
    }
  }
  for (const actual of unmatched) {
    out.push({
      kind: 'foreignKey',
      object: `foreign key ${q(actual.name)} on ${q(table.name)}`,
      problem: `${describeForeignKey(actual)} is in the database but not in the Prisma schema`,
    });
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
