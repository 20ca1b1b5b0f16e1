/**
 * `forecast`: month to date plus the mean of the last 7 complete days × the days left reaches a month
 * budget's limit (needs 3 complete days of history). Once per budget × month; warning.
 */
import type { BudgetConfig } from '../../config.ts';
import { addDays, utcDate, utcMonth } from '../dates.ts';
import { forecastMonth, limitInCredits, type MonthForecast, roundCredits } from '../figures.ts';
import {
  formatDate,
  formatDateRange,
  formatMoney,
  formatMonth,
  formatPercent,
  formatUsd,
  round2,
} from '../format.ts';
import {
  CONFIG_PLACE,
  type Draft,
  defineAlert,
  type FindingBase,
  type MessageContext,
  percentOf,
  RUNWAY_PAGES,
} from './alert.ts';
import { scopeText } from './budget.ts';

export interface ForecastFinding extends FindingBase {
  readonly kind: 'forecast';
  readonly budget: BudgetConfig;
  readonly limitCredits: number;
  readonly forecast: MonthForecast;
  /** The day the budget would be used up at the current burn (may be after month end: then undefined). */
  readonly exhaustedOn?: string | undefined;
}

function draft(f: ForecastFinding, ctx: MessageContext): Draft {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const fc = f.forecast;
  const month = formatMonth(f.period);
  const overBy = fc.projected - f.limitCredits;
  const projectedPercent = (fc.projected / f.limitCredits) * 100;
  const maxDaily = fc.daysLeft > 0 ? Math.max(0, f.limitCredits - fc.monthToDate) / fc.daysLeft : 0;
  return {
    subject: `${f.budget.id} forecast ${usd(fc.projected)} of ${usd(f.limitCredits)} for ${month}`,
    headline: `At the current pace, ${ctx.orgName} will spend about ${usd(fc.projected)} in ${month}, ${usd(
      overBy,
    )} (${formatPercent(projectedPercent - 100)}) over its ${usd(f.limitCredits)} budget "${f.budget.id}"${
      f.exhaustedOn ? `; the budget would run out on ${formatDate(f.exhaustedOn)}` : ''
    }. Nothing has been overspent yet: this is an early warning.`,
    facts: [
      ['Budget', `${f.budget.id} (${scopeText(f.budget.model)})`],
      ['Spent so far', formatMoney(fc.monthToDate, ctx.usdPerCredit)],
      [
        'Projection',
        `${formatMoney(fc.projected, ctx.usdPerCredit)}, ${formatPercent(projectedPercent)} of the limit`,
      ],
      ['Limit', formatMoney(f.limitCredits, ctx.usdPerCredit)],
      [
        'Basis',
        `${usd(fc.burn.meanDaily)} a day on average over the ${fc.burn.basisDays} complete days ${formatDateRange(fc.burn.from, fc.burn.to)}, × ${fc.daysLeft} days left`,
      ],
      ['Runs out on', f.exhaustedOn ? formatDate(f.exhaustedOn) : 'not this month'],
    ],
    advice: [
      `To stay within ${usd(f.limitCredits)}, daily spend for the rest of ${month} must average ${usd(
        maxDaily,
      )} or less (now ${usd(fc.burn.meanDaily)}).`,
      `If the higher spend is planned, raise the "limit" of budget "${f.budget.id}" in ${CONFIG_PLACE} and redeploy; otherwise ask the teams using Runway to slow the most expensive models. Per-model spend is on ${RUNWAY_PAGES.usage}.`,
      'You will get this forecast warning at most once a month; budget alerts still follow at each threshold.',
    ],
    data: {
      budget: { id: f.budget.id, period: f.budget.period, model: f.budget.model ?? null },
      monthToDateCredits: fc.monthToDate,
      projectedCredits: fc.projected,
      limitCredits: f.limitCredits,
      projectedPercent: round2(projectedPercent),
      projectedOverCredits: Math.max(0, roundCredits(overBy)),
      maxDailyCreditsToStayWithin: round2(maxDaily),
      meanDailyCredits: round2(fc.burn.meanDaily),
      basisDays: fc.burn.basisDays,
      basisFrom: fc.burn.from,
      basisTo: fc.burn.to,
      daysLeft: fc.daysLeft,
      exhaustedOn: f.exhaustedOn ?? null,
    },
  };
}

export const forecastAlert = defineAlert<ForecastFinding>({
  kind: 'forecast',
  evaluate({ input }) {
    const today = utcDate(input.now);
    const out: ForecastFinding[] = [];
    for (const budget of input.org.budgets) {
      if (!budget.forecast || budget.period !== 'month') continue;
      const forecast = forecastMonth(input.usage, today, input.historyStart, budget.model);
      if (!forecast) continue;
      const limitCredits = limitInCredits(budget.limit, input.config.usdPerCredit);
      // Already over the limit: the budget rule speaks; a forecast would only repeat it.
      if (forecast.projected < limitCredits || forecast.monthToDate >= limitCredits) continue;
      const meanDaily = forecast.burn.meanDaily;
      const exhaustedOn =
        meanDaily > 0
          ? addDays(today, Math.ceil((limitCredits - forecast.monthToDate) / meanDaily))
          : undefined;
      out.push({
        kind: 'forecast',
        rule: budget.id,
        period: utcMonth(today),
        level: 'projected',
        severity: 'warning',
        covers: [],
        summary: `budget ${budget.id} projected at ${Math.floor(percentOf(forecast.projected, limitCredits))}% by month end`,
        budget,
        limitCredits,
        forecast,
        exhaustedOn,
      });
    }
    return out;
  },
  draft,
  samples: [
    {
      name: 'forecast',
      severity: 'warning',
      finding: () => ({
        kind: 'forecast',
        rule: 'monthly-total',
        period: '2026-11',
        level: 'projected',
        severity: 'warning',
        covers: [],
        summary: 'budget monthly-total projected at 114% by month end',
        budget: {
          id: 'monthly-total',
          period: 'month',
          limit: { usd: 5000 },
          thresholds: [50, 80, 100],
          forecast: true,
        },
        limitCredits: 500_000,
        // 412,345 so far + 19,850 a day × 8 days left.
        forecast: {
          monthToDate: 412_345,
          projected: 571_145,
          daysLeft: 8,
          burn: { meanDaily: 19_850, basisDays: 7, from: '2026-11-15', to: '2026-11-21' },
        },
        // (500,000 − 412,345) / 19,850 = 4.4 → the 5th day from today.
        exhaustedOn: '2026-11-27',
      }),
    },
  ],
});
