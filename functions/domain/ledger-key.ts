/**
 * The alert ledger's key: `<kind>#<rule>#<period>#<level>` (stored under the sort key `ALERT#…`). Rules and
 * periods carry names from outside (model names), so each part is encoded injectively: `%`, `#` and every
 * character that is not printable are percent-encoded (UTF-8 bytes, `%uXXXX` for a lone surrogate), so no
 * part can contain the separator and `a#b`, `a_b` and `a%23b` stay three keys. Ordinary names (`gen4.5`,
 * `veo3.1`, `monthly-total`, `2026-11`) are left as they are, so keys written before this encoding still match.
 */
import { createHash } from 'node:crypto';

/**
 * DynamoDB limits a sort key to 1,024 bytes (docs.aws.amazon.com/amazondynamodb/latest/developerguide/
 * ServiceQuotas.html, "Partition key and sort key length"). Four parts, the `ALERT#` prefix and separators fit
 * when each part stays within this many UTF-8 bytes.
 */
export const KEY_PART_MAX_BYTES = 240;

/** Characters that are percent-encoded in a key part: the escape, the separator, and anything not printable. */
const NEEDS_ENCODING = /[%#\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/gu;

function encodeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (code >= 0xd800 && code <= 0xdfff) return `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return [...Buffer.from(char, 'utf8')]
    .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('');
}

/**
 * One part of a ledger key, encoded. A part longer than {@link KEY_PART_MAX_BYTES} keeps a prefix and ends
 * with `%~` and the SHA-256 of the whole encoded part: `%~` never occurs in an encoded part (`%` is always
 * followed by two hex digits or `u`), so a shortened part cannot equal any other part.
 */
export function encodeKeyPart(value: string): string {
  const encoded = value.replace(NEEDS_ENCODING, encodeChar);
  if (Buffer.byteLength(encoded, 'utf8') <= KEY_PART_MAX_BYTES) return encoded;
  const hash = createHash('sha256').update(encoded, 'utf8').digest('hex');
  const room = KEY_PART_MAX_BYTES - 2 - hash.length;
  let prefix = '';
  let bytes = 0;
  // Whole characters and whole escapes only, so the prefix is valid text.
  for (const piece of encoded.match(/%u[0-9A-F]{4}|%[0-9A-F]{2}|[\s\S]/gu) ?? []) {
    const size = Buffer.byteLength(piece, 'utf8');
    if (bytes + size > room) break;
    prefix += piece;
    bytes += size;
  }
  return `${prefix}%~${hash}`;
}

/** `<kind>#<rule>#<period>#<level>`, each part encoded (see {@link encodeKeyPart}). */
export function ledgerKey(parts: {
  readonly kind: string;
  readonly rule: string;
  readonly period: string;
  readonly level: string;
}): string {
  return [parts.kind, parts.rule, parts.period, parts.level].map(encodeKeyPart).join('#');
}
