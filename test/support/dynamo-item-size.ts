/**
 * An item's size as DynamoDB bills it (docs: "Item sizes and formats"): each attribute's name plus
 * its value — a string's UTF-8 bytes, a number's about one byte per two digits plus one, a boolean
 * or null one byte, a list or map 3 bytes plus 1 per element plus its elements (a map's names too).
 */
export function dynamoItemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => (value === undefined ? sum : sum + bytes(name) + valueSize(value)),
    0,
  );
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function valueSize(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return bytes(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace('.', '').length / 2) + 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueSize(v), 0);
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return 3 + entries.reduce((sum, [k, v]) => sum + 1 + bytes(k) + valueSize(v), 0);
  }
  throw new Error(`no DynamoDB size for ${typeof value}`);
}
