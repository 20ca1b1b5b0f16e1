/** Tables in notifications and reports: long ones are cut, and their footer (a total) always shows last. */
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../functions/domain/text-layout.ts';

describe('formatTable', () => {
  const rows = [
    ['veo3.1', '3'],
    ['gen4.5', '2'],
    ['act_two', '1'],
  ];

  it.each([
    {
      name: 'shows every row, then the footer, when they fit',
      maxRows: 5,
      lines: ['  Model    N', '  -------  -', '  veo3.1   3', '  gen4.5   2', '  act_two  1', '  Total    6'],
    },
    {
      name: 'cuts to maxRows, says how many more, and keeps the footer last',
      maxRows: 2,
      lines: ['  Model   N', '  ------  -', '  veo3.1  3', '  gen4.5  2', '  and 1 more', '  Total   6'],
    },
  ])('$name', ({ maxRows, lines }) => {
    expect(formatTable(['Model', 'N'], rows, '  ', maxRows, [['Total', '6']])).toEqual(lines);
  });
});
