import type pg from 'pg';
import { MIGRATIONS_TABLE } from '../migrations/migrate.js';

export interface ActualColumn {
  name: string;
  /** `format_type()` of the column's type (element type for arrays is in `elementType`). */
  type: string;
  isArray: boolean;
  /** The element type's name and whether it is an enum (`typtype = 'e'`). */
  elementTypeName: string;
  isEnum: boolean;
  /** `format_type()` of the element type, without schema qualification. */
  elementType: string;
  notNull: boolean;
  default: string | null;
}

export interface ActualIndex {
  name: string;
  unique: boolean;
  /** Column names; null for an expression. */
  columns: Array<string | null>;
  descending: boolean[];
  method: string;
  predicate: string | null;
}

export interface ActualForeignKey {
  name: string;
  columns: string[];
  referencedTable: string;
  referencedSchema: string;
  referencedColumns: string[];
  onDelete: string;
  onUpdate: string;
}

export interface ActualTable {
  name: string;
  columns: ActualColumn[];
  primaryKey: { name: string; columns: string[] } | null;
  indexes: ActualIndex[];
  foreignKeys: ActualForeignKey[];
}

export interface ActualSchema {
  tables: ActualTable[];
  enums: Array<{ name: string; values: string[] }>;
}

/** pg_constraint.confdeltype / confupdtype codes, named as in the Prisma schema. */
const ACTIONS: Record<string, string> = {
  a: 'NoAction',
  r: 'Restrict',
  c: 'Cascade',
  n: 'SetNull',
  d: 'SetDefault',
};

/** Reads tables, columns, keys, indexes and enums of one schema from pg_catalog. */
export async function introspectSchema(client: pg.ClientBase, schema: string): Promise<ActualSchema> {
  const tables = await client.query<{ name: string }>(
    `SELECT c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> $2
      ORDER BY c.relname`,
    [schema, MIGRATIONS_TABLE],
  );
  const columns = await client.query<ActualColumn & { table: string }>(
    `SELECT c.relname AS table, a.attname AS name,
            format_type(a.atttypid, a.atttypmod) AS type,
            t.typcategory = 'A' AS "isArray",
            et.typname AS "elementTypeName",
            et.typtype = 'e' AS "isEnum",
            CASE WHEN t.typcategory = 'A' THEN format_type(t.typelem, a.atttypmod) ELSE format_type(a.atttypid, a.atttypmod) END AS "elementType",
            a.attnotnull AS "notNull",
            pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const constraints = await client.query<{
    name: string;
    kind: 'p' | 'f';
    table: string;
    columns: string[];
    referencedTable: string | null;
    referencedSchema: string | null;
    referencedColumns: string[];
    onDelete: string;
    onUpdate: string;
  }>(
    `SELECT con.conname AS name, con.contype AS kind, rel.relname AS table,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
            frel.relname AS "referencedTable", fns.nspname AS "referencedSchema",
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS "referencedColumns",
            con.confdeltype AS "onDelete", con.confupdtype AS "onUpdate"
       FROM pg_constraint con
       JOIN pg_class rel ON rel.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = rel.relnamespace
       LEFT JOIN pg_class frel ON frel.oid = con.confrelid
       LEFT JOIN pg_namespace fns ON fns.oid = frel.relnamespace
      WHERE n.nspname = $1 AND con.contype IN ('p', 'f')
      ORDER BY con.conname`,
    [schema],
  );
  const indexes = await client.query<ActualIndex & { table: string }>(
    `SELECT ic.relname AS name, tc.relname AS table, ix.indisunique AS unique, am.amname AS method,
            pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
            ARRAY(SELECT a.attname::text FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                    LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum AND k.attnum > 0
                   WHERE k.ord <= ix.indnkeyatts ORDER BY k.ord) AS columns,
            ARRAY(SELECT (o.opt & 1) = 1 FROM unnest(ix.indoption::int2[]) WITH ORDINALITY o(opt, ord)
                   WHERE o.ord <= ix.indnkeyatts ORDER BY o.ord) AS descending
       FROM pg_index ix
       JOIN pg_class ic ON ic.oid = ix.indexrelid
       JOIN pg_class tc ON tc.oid = ix.indrelid
       JOIN pg_namespace n ON n.oid = tc.relnamespace
       JOIN pg_am am ON am.oid = ic.relam
      WHERE n.nspname = $1 AND NOT ix.indisprimary
      ORDER BY ic.relname`,
    [schema],
  );
  const enums = await client.query<{ name: string; values: string[] }>(
    `SELECT t.typname AS name,
            ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS values
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = $1 AND t.typtype = 'e'
      ORDER BY t.typname`,
    [schema],
  );

  return {
    tables: tables.rows.map(({ name }) => {
      const pk = constraints.rows.find((c) => c.table === name && c.kind === 'p');
      return {
        name,
        columns: columns.rows.filter((c) => c.table === name).map(({ table: _table, ...column }) => column),
        primaryKey: pk ? { name: pk.name, columns: pk.columns } : null,
        indexes: indexes.rows.filter((i) => i.table === name).map(({ table: _table, ...index }) => index),
        foreignKeys: constraints.rows
          .filter((c) => c.table === name && c.kind === 'f')
          .map((c) => ({
            name: c.name,
            columns: c.columns,
            referencedTable: c.referencedTable ?? '',
            referencedSchema: c.referencedSchema ?? '',
            referencedColumns: c.referencedColumns,
            onDelete: ACTIONS[c.onDelete] ?? c.onDelete,
            onUpdate: ACTIONS[c.onUpdate] ?? c.onUpdate,
          })),
      };
    }),
    enums: enums.rows,
  };
}
