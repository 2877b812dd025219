import { createHash } from 'node:crypto';

/**
 * DynamoDB capacity arithmetic, from the published sizing rules: the emulator (dynalite) reports
 * table units for successful writes but nothing for global secondary indexes or for writes whose
 * condition failed, both of which AWS bills.
 */

/** A marshalled attribute value (`{ S: '…' }`, `{ N: '12' }`, `{ M: {…} }`, …). */
export type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Bytes of a number: one per two significant digits, plus one (plus one when negative). */
export function numberSize(text: string): number {
  const negative = text.trim().startsWith('-');
  const [mantissa = ''] = text.replace(/^[-+]/, '').toLowerCase().split('e');
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  if (digits.length === 0) return 1;
  return Math.ceil(digits.length / 2) + 1 + (negative ? 1 : 0);
}

export function valueSize(value: AttributeValue): number {
  const [type, raw] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return utf8(String(raw));
    case 'N':
      return numberSize(String(raw));
    case 'B':
      return raw instanceof Uint8Array ? raw.byteLength : utf8(String(raw));
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (raw as string[]).reduce((sum, s) => sum + utf8(s), 0);
    case 'NS':
      return (raw as string[]).reduce((sum, n) => sum + numberSize(n), 0);
    case 'BS':
      return (raw as Uint8Array[]).reduce((sum, b) => sum + b.byteLength, 0);
    case 'L':
      // 3 bytes for the document, one per element.
      return 3 + (raw as AttributeValue[]).reduce((sum, v) => sum + 1 + valueSize(v), 0);
    case 'M': {
      const entries = Object.entries(raw as Item);
      return 3 + entries.reduce((sum, [name, v]) => sum + 1 + utf8(name) + valueSize(v), 0);
    }
    default:
      return 0;
  }
}

/** Item size as DynamoDB bills it: attribute names plus values. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + valueSize(value);
  return size;
}

/** Write units for one item write: one per started KB. */
export const writeUnitsFor = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** Read units for one read of `bytes`: one per started 4 KB, half for an eventually consistent read. */
export const readUnitsFor = (bytes: number, consistent: boolean) =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

/** What an index holds of an item besides its keys (the table's and its own keys are always in it). */
export type Projection =
  | { type: 'ALL' }
  | { type: 'KEYS_ONLY' }
  | { type: 'INCLUDE'; attributes: readonly string[] };

export interface KeySchema {
  partitionKey: string;
  sortKey?: string;
}

export interface IndexDef extends KeySchema {
  name: string;
  /** Default ALL. */
  projection?: Projection;
}

/** The entry an index holds for an item: its billed size and a digest of its content. */
export interface IndexEntry {
  size: number;
  digest: string;
}

/** What the write arithmetic needs to remember about a stored item. */
export interface ItemShape {
  size: number;
  /** Index name -> the item's key in it, or null when the item is not in that (sparse) index. */
  indexKeys: Record<string, string | null>;
  /** Index name -> the entry it holds for the item (only for the indexes that hold it). */
  indexEntries: Record<string, IndexEntry>;
}

function keyPart(value: AttributeValue | undefined): string | null {
  if (!value) return null;
  const [type, raw] = Object.entries(value)[0] ?? [];
  return type === 'S' || type === 'N' || type === 'B' ? `${type}:${String(raw)}` : null;
}

/** A stable text of an attribute value (map keys sorted), for comparing images. */
function canonical(value: unknown): string {
  if (value instanceof Uint8Array) return `b:${Buffer.from(value).toString('base64')}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The attributes of `item` that `index` holds: the table's keys, the index's keys, its projection. */
export function projectedItem(item: Item, index: IndexDef, tableKey?: KeySchema): Item {
  const projection = index.projection ?? { type: 'ALL' };
  if (projection.type === 'ALL') return item;
  const names = new Set(
    [tableKey?.partitionKey, tableKey?.sortKey, index.partitionKey, index.sortKey].filter(
      (n): n is string => n !== undefined,
    ),
  );
  if (projection.type === 'INCLUDE') for (const name of projection.attributes) names.add(name);
  const out: Item = {};
  for (const name of names) if (item[name] !== undefined) out[name] = item[name];
  return out;
}

/**
 * The shape of `item` for the write arithmetic. `tableKey` names the table's key attributes, which
 * every index entry carries (only the size of KEYS_ONLY and INCLUDE entries depends on it).
 */
export function shapeOf(item: Item, indexes: readonly IndexDef[], tableKey?: KeySchema): ItemShape {
  const indexKeys: Record<string, string | null> = {};
  const indexEntries: Record<string, IndexEntry> = {};
  for (const index of indexes) {
    const pk = keyPart(item[index.partitionKey]);
    const sk = index.sortKey ? keyPart(item[index.sortKey]) : '';
    const key = pk !== null && sk !== null ? `${pk}\u0000${sk}` : null;
    indexKeys[index.name] = key;
    if (key !== null) {
      const entry = projectedItem(item, index, tableKey);
      const text = canonical(entry);
      indexEntries[index.name] = {
        size: itemSize(entry),
        digest: createHash('sha1').update(text).digest('base64'),
      };
    }
  }
  return { size: itemSize(item), indexKeys, indexEntries };
}

export interface WriteCost {
  table: number;
  /** Index name -> write units spent keeping that index in step (0 entries left out). */
  indexes: Record<string, number>;
}

/**
 * Units of one successful write that turns `before` into `after` (either may be absent: a put of a
 * new item, a delete). The table pays for the larger image. An index pays, per started KB of its
 * entry (the projected attributes, not the whole item): one write when the item enters or leaves it,
 * two when the item's key in it changes (a delete and a put), one when the key stays and a
 * projected attribute changes, and nothing when its entry is unchanged (a write that touches only
 * attributes it does not project, or rewrites the same values).
 */
export function writeCost(
  before: ItemShape | undefined,
  after: ItemShape | undefined,
  indexes: readonly IndexDef[],
): WriteCost {
  const table = writeUnitsFor(Math.max(before?.size ?? 0, after?.size ?? 0));
  const cost: WriteCost = { table, indexes: {} };
  for (const { name } of indexes) {
    const was = before?.indexKeys[name] ?? null;
    const is = after?.indexKeys[name] ?? null;
    const old = before?.indexEntries[name];
    const now = after?.indexEntries[name];
    let units = 0;
    if (was === null && is !== null) units = writeUnitsFor(now?.size ?? 0);
    else if (was !== null && is === null) units = writeUnitsFor(old?.size ?? 0);
    else if (was !== null && is !== null) {
      if (was !== is) units = writeUnitsFor(old?.size ?? 0) + writeUnitsFor(now?.size ?? 0);
      else if (old?.digest !== now?.digest) units = writeUnitsFor(Math.max(old?.size ?? 0, now?.size ?? 0));
    }
    if (units > 0) cost.indexes[name] = units;
  }
  return cost;
}
