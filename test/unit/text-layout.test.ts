/** Tables in notifications and reports: long ones are cut, and their footer (a total) always shows last. */
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../functions/domain/text-layout.ts';

describe('formatTable', () => {
  const rows = [
    ['veo3.1', '3'],
    ['gen4.5', '2'],
    ['act_two', '1'],
  ];

  it('shows every row, then the footer, when they fit', () => {
    expect(formatTable(['Model', 'N'], rows, '  ', 5, [['Total', '6']])).toEqual([
      '  Model    N',
      '  -------  -',
      '  veo3.1   3',
      '  gen4.5   2',
      '  act_two  1',
      '  Total    6',
    ]);
  });

  it('cuts to maxRows, says how many more, and keeps the footer last', () => {
    expect(formatTable(['Model', 'N'], rows, '  ', 2, [['Total', '6']])).toEqual([
      '  Model   N',
      '  ------  -',
      '  veo3.1  3',
      '  gen4.5  2',
      '  and 1 more',
      '  Total   6',
    ]);
  });
});
