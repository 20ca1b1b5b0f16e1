/**
 * DynamoDB's item size rule, for keeping every stored item under its limit by construction
 * (docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html, "Item sizes"):
 * attribute names and string values count their UTF-8 bytes; a number about one byte per two significant
 * digits plus one (at most 21); null and booleans one byte; a list or map 3 bytes plus, per element, one byte
 * and (in a map) the element's name.
 */

/** DynamoDB's item size limit: 400 KB, attribute names included (docs: "Item size"). */
export const DYNAMODB_ITEM_MAX_BYTES = 400 * 1024;

/** Bytes `value` takes as an attribute value. `undefined` counts as absent. */
export function valueSize(value: unknown): number {
  if (value === undefined) return 0;
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value)
      .replace(/[-.]|e.*$/gi, '')
      .replace(/^0+/, '').length;
    return Math.min(21, Math.ceil(Math.max(1, digits) / 2) + 1);
  }
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  if (typeof value === 'object') {
    let size = 3;
    for (const [name, v] of Object.entries(value)) {
      if (v !== undefined) size += 1 + Buffer.byteLength(name, 'utf8') + valueSize(v);
    }
    return size;
  }
  return Buffer.byteLength(String(value), 'utf8');
}

/** Bytes an item takes: each attribute's name and value. */
export function itemSize(item: Readonly<Record<string, unknown>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  }
  return size;
}
