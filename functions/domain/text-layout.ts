/**
 * Plain-text layout for emails and terminals: word wrapping and aligned tables. Widths are counted in
 * characters (code points), which is what a mail client or a terminal lays out.
 */

/** Plain-text lines of a message stay within this many columns, except wide tables. */
export const TEXT_WIDTH = 78;

/** Characters, not UTF-16 units: an emoji or an accented letter is one column. */
export function textWidth(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - textWidth(text)));
}

function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - textWidth(text))) + text;
}

/** Splits text into words for wrapping; a `backtick-quoted` command stays on one line. */
function words(text: string): string[] {
  return text.match(/(?:[^\s`]*`[^`]*`)+[^\s`]*|\S+/g) ?? [];
}

/** Wraps text to `width` columns (a word longer than the width gets a line of its own). */
export function wrap(text: string, width = TEXT_WIDTH, indent = ''): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of words(text)) {
    if (line && textWidth(line) + 1 + textWidth(word) > width - indent.length) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out;
}

/** A bulleted item: `  - first line` and continuation lines indented under the text. */
export function bullet(text: string, width = TEXT_WIDTH): string[] {
  const [first = '', ...rest] = wrap(text, width - 4);
  return [`  - ${first}`, ...rest.map((l) => `    ${l}`)];
}

/** `label  value` lines, the labels in one column and each value wrapped under itself. */
export function factLines(facts: readonly (readonly [string, string])[], width = TEXT_WIDTH): string[] {
  const labelWidth = Math.max(0, ...facts.map(([k]) => textWidth(k)));
  const valueIndent = ' '.repeat(2 + labelWidth + 2);
  const lines: string[] = [];
  for (const [label, value] of facts) {
    const [first = '', ...rest] = wrap(value, width - valueIndent.length);
    lines.push(`  ${padEnd(label, labelWidth)}  ${first}`, ...rest.map((l) => valueIndent + l));
  }
  return lines;
}

/** Rows a table in a notification shows; the rest are summed up as "and N more". */
export const TABLE_ROWS_MAX = 25;

/**
 * Pads a table: the first column left-aligned, the rest right-aligned, a dashed rule under the header. With
 * `maxRows`, a longer table shows its first `maxRows` rows, then `and N more` (and then `footer` rows, such as
 * a total, which always show).
 */
export function formatTable(
  header: readonly string[],
  allRows: readonly (readonly string[])[],
  indent = '  ',
  maxRows?: number,
  footer: readonly (readonly string[])[] = [],
): string[] {
  const shown = maxRows !== undefined && allRows.length > maxRows ? allRows.slice(0, maxRows) : allRows;
  const rows = [...shown, ...footer];
  const widths = header.map((h, i) => Math.max(textWidth(h), ...rows.map((r) => textWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (i === 0 ? padEnd(c, widths[i] ?? 0) : padStart(c, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const more = allRows.length - shown.length;
  return [
    line(header),
    indent + widths.map((w) => '-'.repeat(w)).join('  '),
    ...shown.map(line),
    ...(more > 0 ? [`${indent}and ${more} more`] : []),
    ...footer.map(line),
  ];
}
