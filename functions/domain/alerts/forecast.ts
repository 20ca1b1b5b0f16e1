/**
 * `forecast`: spend so far in a budget's period plus the mean of the last 7 complete days × the time left
 * (the rest of today and every later day of the period) reaches the budget's limit. For budgets with
 * `forecast: true` over a week, month or quarter; needs 3 complete days of history. Once per budget × period;
 * warning.
 */
import type { BudgetConfig } from '../../config.ts';
import { periodKey, utcDate } from '../dates.ts';
import { limitInCredits, type PeriodForecast, percentOf, roundCredits, runOutDate } from '../figures.ts';
import {
  formatDate,
  formatDateRange,
  formatDays,
  formatMoney,
  formatPercent,
  formatPeriod,
  formatUsd,
  PERIOD_ADJECTIVE,
  PERIOD_NOUN,
  round2,
} from '../format.ts';
import {
  CONFIG_PLACE,
  type Draft,
  defineAlert,
  type FindingBase,
  type MessageContext,
  RUNWAY_PAGES,
  SAMPLE_USD_PER_CREDIT,
} from './alert.ts';
import { scopeText } from './budget.ts';

export interface ForecastFinding extends FindingBase {
  readonly kind: 'forecast';
  readonly budget: BudgetConfig;
  readonly limitCredits: number;
  readonly forecast: PeriodForecast;
  /** The day the budget would be used up at the current burn (undefined when after the period's end). */
  readonly exhaustedOn?: string | undefined;
}

/** `8.6 days left (the rest of today and 8 more days)`, `0.6 days left (the rest of today)`. */
export function daysLeftText(fc: PeriodForecast): string {
  const rest =
    fc.fullDaysLeft === 0
      ? 'the rest of today'
      : `the rest of today and ${fc.fullDaysLeft} more ${fc.fullDaysLeft === 1 ? 'day' : 'days'}`;
  return `${formatDays(fc.daysLeft)} left (${rest})`;
}

function draft(f: ForecastFinding, ctx: MessageContext): Draft {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const fc = f.forecast;
  const period = formatPeriod(fc.period, fc.start, fc.end);
  const overBy = fc.projected - f.limitCredits;
  const projectedPercent = percentOf(fc.projected, f.limitCredits);
  const maxDaily = fc.daysLeft > 0 ? Math.max(0, f.limitCredits - fc.toDate) / fc.daysLeft : 0;
  return {
    subject: `${f.budget.id} forecast ${usd(fc.projected)} of ${usd(f.limitCredits)} for ${fc.period === 'week' ? `week ${f.period.slice(5)}` : period.replace(/ \(.*\)$/, '')}`,
    headline: `At the current pace, ${ctx.orgName} will spend about ${usd(fc.projected)} in ${period}, ${usd(
      overBy,
    )} (${formatPercent(projectedPercent - 100)}) over its ${usd(f.limitCredits)} ${PERIOD_ADJECTIVE[fc.period]} budget "${f.budget.id}"${
      f.exhaustedOn ? `; the budget would run out on ${formatDate(f.exhaustedOn)}` : ''
    }. Nothing has been overspent yet: this is an early warning.`,
    facts: [
      ['Budget', `${f.budget.id} (${scopeText(f.budget.model)})`],
      ['Period', `${period}, ends ${formatDate(fc.end)} 24:00 UTC`],
      ['Spent so far', formatMoney(fc.toDate, ctx.usdPerCredit)],
      [
        'Projection',
        `${formatMoney(fc.projected, ctx.usdPerCredit)}, ${formatPercent(projectedPercent)} of the limit`,
      ],
      ['Limit', formatMoney(f.limitCredits, ctx.usdPerCredit)],
      [
        'Basis',
        `${usd(fc.burn.meanDaily)} a day on average over the ${fc.burn.basisDays} complete days ${formatDateRange(fc.burn.from, fc.burn.to)}, × ${daysLeftText(fc)}`,
      ],
      [
        'Runs out on',
        f.exhaustedOn ? formatDate(f.exhaustedOn) : `not before the ${PERIOD_NOUN[fc.period]} ends`,
      ],
    ],
    advice: [
      `To stay within ${usd(f.limitCredits)}, spend for the rest of ${period} must average ${usd(
        maxDaily,
      )} a day or less (now ${usd(fc.burn.meanDaily)}).`,
      `If the higher spend is planned, raise the "limit" of budget "${f.budget.id}" in ${CONFIG_PLACE} and redeploy; otherwise ask the teams using Runway to slow the most expensive models. Per-model spend is on ${RUNWAY_PAGES.usage}.`,
    ],
    footer: `You get this forecast warning once per budget and ${PERIOD_NOUN[fc.period]}; budget alerts still follow at each threshold.`,
    data: {
      budget: { id: f.budget.id, period: f.budget.period, model: f.budget.model ?? null },
      periodStart: fc.start,
      periodEnd: fc.end,
      toDateCredits: fc.toDate,
      ...(fc.period === 'month' ? { monthToDateCredits: fc.toDate } : {}),
      projectedCredits: fc.projected,
      limitCredits: f.limitCredits,
      projectedPercent: round2(projectedPercent),
      projectedOverCredits: Math.max(0, roundCredits(overBy)),
      maxDailyCreditsToStayWithin: round2(maxDaily),
      meanDailyCredits: round2(fc.burn.meanDaily),
      basisDays: fc.burn.basisDays,
      basisFrom: fc.burn.from,
      basisTo: fc.burn.to,
      daysLeft: round2(fc.daysLeft),
      exhaustedOn: f.exhaustedOn ?? null,
    },
  };
}

/** The finding of `budget` projected past its limit: the one way to it, for the rule and its samples. */
function forecastFinding(
  budget: BudgetConfig,
  periodKey: string,
  limitCredits: number,
  forecast: PeriodForecast,
  exhaustedOn: string | undefined,
): ForecastFinding {
  return {
    kind: 'forecast',
    rule: budget.id,
    period: periodKey,
    level: 'projected',
    severity: 'warning',
    covers: [],
    summary: `budget ${budget.id} projected at ${formatPercent(percentOf(forecast.projected, limitCredits))} by the end of the ${PERIOD_NOUN[budget.period]}`,
    budget,
    limitCredits,
    forecast,
    exhaustedOn,
  };
}

export const forecastAlert = defineAlert<ForecastFinding>({
  kind: 'forecast',
  evaluate({ input, overview }) {
    const _today = utcDate(input.now);
    const out: ForecastFinding[] = [];
    input.org.budgets.forEach((budget, i) => {
      const row = overview.budgets[i];
      const forecast = row?.forecast;
      if (!budget.forecast || budget.period === 'day' || !row || !forecast) return;
      const limitCredits = row.limitCredits;
      // Already over the limit: the budget rule speaks; a forecast would only repeat it.
      if (forecast.projected < limitCredits || forecast.toDate >= limitCredits) return;
      const meanDaily = forecast.burn.meanDaily;
      // The limit falls on the day the cumulative spend reaches it, the rest of today counting as part of a day.
      const remaining = limitCredits - forecast.toDate;
      const daysToLimit = meanDaily > 0 ? remaining / meanDaily : Infinity;
      const exhaustedOn =
        daysToLimit <= forecast.daysLeft ? runOutDate(remaining, meanDaily, input.now) : undefined;
      out.push(forecastFinding(budget, row.periodKey, limitCredits, forecast, exhaustedOn));
    });
    return out;
  },
  draft,
  samples: [
    {
      name: 'forecast',
      severity: 'warning',
      finding: () =>
        sampleFinding({
          rule: 'monthly-total',
          budget: { period: 'month', limit: { usd: 5000 }, thresholds: [50, 80, 100] },
          // At 09:30, 14.5 of today's 24 hours are left: 412,345 so far + 19,850 a day × (8 + 0.604) days.
          forecast: { start: '2026-11-01', end: '2026-11-30', toDate: 412_345, fullDaysLeft: 8 },
          burnDays: { from: '2026-11-15', to: '2026-11-21' },
          // (500,000 − 412,345) / 19,850 = 4.4 days from now: 0.6 of today, then the 4th day after it.
          exhaustedOn: '2026-11-26',
        }),
    },
    {
      name: 'forecast-quarter',
      severity: 'warning',
      finding: () =>
        sampleFinding({
          rule: 'quarterly-total',
          budget: { period: 'quarter', limit: { usd: 15_000 }, thresholds: [80, 100] },
          // 800,000 so far + 19,850 a day × (39 + 0.604) days left in the quarter = 1,586,139.
          forecast: { start: '2026-10-01', end: '2026-12-31', toDate: 800_000, fullDaysLeft: 39 },
          burnDays: { from: '2026-11-15', to: '2026-11-21' },
          // (1,500,000 − 800,000) / 19,850 = 35.3 days from now.
          exhaustedOn: '2026-12-27',
        }),
    },
    {
      // The month's last day at 09:30: no full day is left, but the rest of today (14.5 hours) still counts.
      name: 'forecast-last-day',
      severity: 'warning',
      now: new Date('2026-11-30T09:30:00.000Z'),
      finding: () =>
        sampleFinding({
          rule: 'monthly-total',
          budget: { period: 'month', limit: { usd: 5000 }, thresholds: [50, 80, 100] },
          // 490,000 so far + 19,850 a day × the 0.604 of today left = 501,993.
          forecast: { start: '2026-11-01', end: '2026-11-30', toDate: 490_000, fullDaysLeft: 0 },
          burnDays: { from: '2026-11-23', to: '2026-11-29' },
          // (500,000 − 490,000) / 19,850 = 0.5 days: later today.
          exhaustedOn: '2026-11-30',
        }),
    },
  ],
});

/** The samples' pace: 19,850 credits a day over the last 7 complete days, at 09:30 (14.5 hours of today left). */
const SAMPLE_MEAN_DAILY = 19_850;
const SAMPLE_REST_OF_TODAY = 14.5 / 24;

/**
 * A sample warning for a `forecast: true` budget named after its rule, projected at the samples' pace from
 * `toDate` over the rest of today and `fullDaysLeft` more days, through the rule's own {@link forecastFinding}
 * (its period key, limit and summary are derived as the rule derives them).
 */
function sampleFinding(s: {
  readonly rule: string;
  readonly budget: Pick<BudgetConfig, 'limit' | 'thresholds'> & { readonly period: PeriodForecast['period'] };
  readonly forecast: Pick<PeriodForecast, 'start' | 'end' | 'toDate' | 'fullDaysLeft'>;
  readonly burnDays: { readonly from: string; readonly to: string };
  readonly exhaustedOn: string;
}): ForecastFinding {
  const daysLeft = s.forecast.fullDaysLeft + SAMPLE_REST_OF_TODAY;
  const budget: BudgetConfig = { id: s.rule, ...s.budget, forecast: true };
  return forecastFinding(
    budget,
    periodKey(budget.period, s.forecast.start),
    limitInCredits(budget.limit, SAMPLE_USD_PER_CREDIT),
    {
      period: s.budget.period,
      ...s.forecast,
      projected: Math.round(s.forecast.toDate + SAMPLE_MEAN_DAILY * daysLeft),
      daysLeft,
      restOfToday: SAMPLE_REST_OF_TODAY,
      burn: { meanDaily: SAMPLE_MEAN_DAILY, basisDays: 7, ...s.burnDays },
    },
    s.exhaustedOn,
  );
}
