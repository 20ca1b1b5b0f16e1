/**
 * The demo's config does not move with the clock, and its data still crosses the same limits at any hour of
 * any day (the claims of functions/simulator/demo.ts's module comment).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.ts';
import { addDays } from '../../functions/domain/dates.ts';
import { createDemoConfig, describeDemo } from '../../functions/simulator/demo.ts';

describe('the demo', () => {
  it('has one fixed config: $1,100 a month and 3,000 veo3.1 credits a day', () => {
    expect(createDemoConfig()).toStrictEqual(createDemoConfig());
    const [org] = parseConfig(createDemoConfig(), 'demo').organizations;
    expect(org?.budgets.map((b) => [b.id, b.period, b.model, b.limit])).toEqual([
      ['monthly-total', 'month', undefined, { usd: 1100 }],
      ['veo-daily', 'day', 'veo3.1', { credits: 3000 }],
    ]);
  });

  it('shows a veo3.1 day-budget warning, and a forecast or a critical month budget, every hour of a year', () => {
    const seen = { forecast: 0, critical: 0, belowHalf: 0, half: 0, eighty: 0 };
    for (let day = 0; day < 366; day += 1) {
      for (const hour of [0, 11, 23]) {
        const now = new Date(`${addDays('2027-01-01', day)}T${String(hour).padStart(2, '0')}:30:00Z`);
        const f = describeDemo(now);
        const at = `${now.toISOString()}: ${JSON.stringify(f)}`;
        const veoShare = f.todayVeoCredits / f.veoDailyLimitCredits;
        expect(veoShare, at).toBeGreaterThanOrEqual(0.82);
        expect(veoShare, at).toBeLessThan(0.88);
        if (f.monthBudgetPercent >= 100) seen.critical += 1;
        else {
          expect(f.forecastPercent, at).toBeGreaterThan(105);
          seen.forecast += 1;
        }
        if (f.monthBudgetPercent < 50) seen.belowHalf += 1;
        else if (f.monthBudgetPercent < 80) seen.half += 1;
        else if (f.monthBudgetPercent < 100) seen.eighty += 1;
        expect(f.tierCapPercent, at).toBeLessThan(80);
      }
    }
    for (const [state, count] of Object.entries(seen)) expect(count, state).toBeGreaterThan(0);
  });
});
