/** The check report's tier-cap line: its figure and percent are what the cap counts. */
import { describe, expect, it } from 'vitest';
import { tierCapText } from '../../functions/cli/report.ts';

describe('the report’s tier cap line', () => {
  it('counts credits used until purchases are known', () => {
    expect(tierCapText(200_000, { basis: 'usage', counted: 131_839, percent: 65.92 })).toBe(
      '200,000 credits per 30 days; 131,839 used in the last 30 days (65%)',
    );
  });

  it('counts credits bought once they are, with the percent of the same figure', () => {
    expect(tierCapText(200_000, { basis: 'purchases', counted: 150_000, percent: 75 })).toBe(
      '200,000 credits per 30 days; 150,000 bought in the last 30 days (75%)',
    );
  });
});
