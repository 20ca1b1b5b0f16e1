/**
 * Records keyed by names from outside (model names Runway sends). Any string is a valid name, `__proto__`,
 * `constructor` and `toString` included, so these records have no prototype: a lookup never reaches
 * `Object.prototype`, and assigning `__proto__` creates an ordinary entry instead of replacing the prototype.
 * `JSON.stringify` and `Object.entries` treat them like any other object.
 */

/** An empty record without a prototype. */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A record without a prototype holding `entries` (a later entry of the same name wins). */
export function recordFrom<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const record = emptyRecord<T>();
  for (const [name, value] of entries) record[name] = value;
  return record;
}

/** The record's own entry `name`; never a member of `Object.prototype`, whatever the record was built with. */
export function ownValue<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}
