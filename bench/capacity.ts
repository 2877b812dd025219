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

export interface IndexDef {
  name: string;
  partitionKey: string;
  sortKey?: string;
}

/** What the write arithmetic needs to remember about a stored item. */
export interface ItemShape {
  size: number;
  /** Index name -> the item's key in it, or null when the item is not in that (sparse) index. */
  indexKeys: Record<string, string | null>;
}

function keyPart(value: AttributeValue | undefined): string | null {
  if (!value) return null;
  const [type, raw] = Object.entries(value)[0] ?? [];
  return type === 'S' || type === 'N' || type === 'B' ? `${type}:${String(raw)}` : null;
}

export function shapeOf(item: Item, indexes: readonly IndexDef[]): ItemShape {
  const indexKeys: Record<string, string | null> = {};
  for (const index of indexes) {
    const pk = keyPart(item[index.partitionKey]);
    const sk = index.sortKey ? keyPart(item[index.sortKey]) : '';
    indexKeys[index.name] = pk !== null && sk !== null ? `${pk}\u0000${sk}` : null;
  }
  return { size: itemSize(item), indexKeys };
}

export interface WriteCost {
  table: number;
  /** Index name -> write units spent keeping that index in step (0 entries left out). */
  indexes: Record<string, number>;
}

/**
 * Units of one successful write that turns `before` into `after` (either may be absent: a put of a
 * new item, a delete). The table pays for the larger image. Each index whose projection (ALL here)
 * holds the item pays one write for an insert, update or removal, and two when the item's index key
 * changes (a delete and a put).
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
    let units = 0;
    if (was === null && is !== null) units = writeUnitsFor(after!.size);
    else if (was !== null && is === null) units = writeUnitsFor(before!.size);
    else if (was !== null && is !== null) {
      units =
        was === is
          ? writeUnitsFor(Math.max(before!.size, after!.size))
          : writeUnitsFor(before!.size) + writeUnitsFor(after!.size);
    }
    if (units > 0) cost.indexes[name] = units;
  }
  return cost;
}
