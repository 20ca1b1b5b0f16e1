/**
 * Strings from outside (organization names, model names, Runway's error texts) on their way into a subject,
 * an email body or a terminal. They are data: they may hold control characters, bidirectional overrides that
 * reorder what a mail client shows, lone surrogates, or hundreds of characters. Cuts fall on grapheme cluster
 * boundaries (`Intl.Segmenter`), so an emoji or a letter with its combining marks is never split.
 */

/**
 * Bidirectional controls (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069): they reorder the text around them
 * in a mail client, so a name could make a figure read differently.
 */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;
/** C0, DEL and C1 controls, lone surrogates (not valid UTF-8), and the line and paragraph separators. */
const CONTROLS = /[\p{Cc}\p{Cs}\u2028\u2029]/gu;
/** Either of the two sets above. */
const ANY_CONTROL = /[\p{Cc}\p{Cs}\u2028\u2029\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const WHITESPACE_RUN = /\s+/gu;

/** Names in tables are shortened to this many characters (the full name stays in the JSON body). */
export const TABLE_NAME_MAX = 40;
/** Names in sentences and subjects are shortened to this many characters. */
export const PROSE_NAME_MAX = 80;

const ELLIPSIS = '…';
/**
 * Made on the first cut, not at import: building a segmenter loads ICU's break rules (about 9 ms, the
 * largest single cost of importing the guard), and most runs never cut a name.
 */
let segmenter: Intl.Segmenter | undefined;

/** Whether `text` holds a control, separator or bidirectional character ({@link plainText} removes them). */
export function hasControlCharacters(text: string): boolean {
  return ANY_CONTROL.test(text);
}

/** `text` without control or bidirectional characters, whitespace runs (line breaks, tabs) as one space. */
export function plainText(text: string): string {
  return text
    .replace(CONTROLS, (c) => (/\s/u.test(c) ? ' ' : ''))
    .replace(BIDI_CONTROLS, '')
    .replace(WHITESPACE_RUN, ' ')
    .trim();
}

/** Text lines as above, keeping the line breaks: for a whole plain-text body. */
export function plainLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(CONTROLS, (c) => (c === '\t' ? ' ' : '')).replace(BIDI_CONTROLS, ''))
    .join('\n');
}

/** The grapheme clusters of `text`. */
export function graphemes(text: string): string[] {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/**
 * `text` cut to at most `max` UTF-16 units (what JavaScript's `length` counts, never fewer than the
 * characters a service counts), on a grapheme boundary, ending with "…" when cut.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const g of graphemes(text)) {
    if (out.length + g.length + ELLIPSIS.length > max) break;
    out += g;
  }
  return `${out.trimEnd()}${ELLIPSIS}`;
}

/**
 * A name as shown to a reader: control and bidirectional characters removed, at most `max` UTF-16 units.
 * A name with nothing printable left is shown as its code points (`U+0001 U+0002`), so it stays recognizable.
 */
export function shownName(name: string, max = PROSE_NAME_MAX): string {
  const clean = plainText(name);
  if (clean !== '') return cutText(clean, max);
  const points = Array.from(
    name,
    (c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
  return cutText(points.length > 0 ? points.join(' ') : '(empty name)', max);
}

/** A name in a table column: {@link shownName} at {@link TABLE_NAME_MAX} characters. */
export function tableName(name: string): string {
  return shownName(name, TABLE_NAME_MAX);
}
