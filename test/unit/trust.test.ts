/** The trust rule: which Runway usage answers may restate stored history. */
import { describe, expect, it } from 'vitest';
import { judgeUsage } from '../../functions/domain/trust.ts';
import type { UsageDay, UsageReport } from '../../functions/domain/types.ts';

const day = (date: string, credits: Record<string, number>): UsageDay => ({
  date,
  credits,
  totalCredits: Object.values(credits).reduce((a, b) => a + b, 0),
});
const report = (days: UsageDay[], startDate = '2026-11-01', beforeDate = '2026-11-06'): UsageReport => ({
  startDate,
  beforeDate,
  days,
});
const stored = [
  day('2026-11-01', { a: 10 }),
  day('2026-11-02', { a: 20, b: 5 }),
  day('2026-11-03', { a: -4 }),
  day('2026-11-04', {}),
];

describe('judgeUsage', () => {
  it('trusts anything when nothing with spend is stored in the range', () => {
    const verdict = judgeUsage([day('2026-11-04', {})], [report([])]);
    expect(verdict).toEqual({ trusted: true, days: [] });
    expect(judgeUsage([], [report([day('2026-11-02', { a: 1 })])])).toEqual({
      trusted: true,
      days: [day('2026-11-02', { a: 1 })],
    });
  });

  it('trusts restatements of days it still lists: amounts, refunds, models gone or added', () => {
    const answer = [
      day('2026-11-01', { a: 12 }),
      day('2026-11-02', { b: 5 }),
      day('2026-11-03', { a: -40, c: 1 }),
      day('2026-11-05', { a: 3 }),
    ];
    expect(judgeUsage(stored, [report(answer)])).toEqual({ trusted: true, days: answer });
  });

  it('refuses an empty answer where stored days have spend', () => {
    const verdict = judgeUsage(stored, [report([])]);
    expect(verdict).toEqual({
      trusted: false,
      reasons: [
        'Runway listed no usage at all for 2026-11-01 to 2026-11-06 (exclusive), but 3 stored day(s) in that range have spend (2026-11-01, 2026-11-02, 2026-11-03); an empty answer does not restate history',
      ],
    });
  });

  it('refuses a partial answer that loses a stored day with spend', () => {
    const verdict = judgeUsage(stored, [
      report([day('2026-11-01', { a: 10 }), day('2026-11-03', { a: -4 })]),
    ]);
    expect(verdict.trusted).toBe(false);
    expect(!verdict.trusted && verdict.reasons).toEqual([
      "Runway's answer for 2026-11-01 to 2026-11-06 (exclusive) leaves out 1 stored day(s) with spend (2026-11-02) while it lists 2 other day(s); a partial answer does not restate history",
    ]);
  });

  it('compares each report with the stored days of its own range only', () => {
    const older = report([day('2026-10-30', { a: 1 })], '2026-10-01', '2026-11-01');
    const recent = report(stored.slice(0, 3));
    expect(judgeUsage(stored, [older, recent]).trusted).toBe(true);
    expect(judgeUsage([...stored, day('2026-10-15', { a: 2 })], [older, recent]).trusted).toBe(false);
  });

  it('refuses figures whose sum cannot be stored exactly', () => {
    const big = Number.MAX_SAFE_INTEGER - 1;
    const verdict = judgeUsage([], [report([day('2026-11-01', { a: big }), day('2026-11-02', { a: big })])]);
    expect(verdict.trusted).toBe(false);
  });
});
