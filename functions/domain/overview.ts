/**
 * The organization overview: every figure the terminal report and the daily digest show, computed once
 * from the same inputs as the rules.
 */
import type { RuleInput } from './alerts/alert.ts';
import { type BalanceState, evaluateBalance } from './alerts/balance.ts';
import {
  addDays,
  type BudgetPeriod,
  dateRange,
  periodEnd,
  periodKey,
  periodStart,
  startOfMonth,
  utcDate,
} from './dates.ts';
import {
  forecastPeriod,
  limitInCredits,
  type PeriodForecast,
  percentOf,
  projectDay,
  roundCredits,
  spendBetween,
  spendOn,
  type TierCapState,
  tierCapState,
} from './figures.ts';

export interface ModelRow {
  readonly model: string;
  /** False for a model used today that the tier does not list (its limits are unknown). */
  readonly inTier: boolean;
  readonly maxConcurrentGenerations: number | null;
  readonly maxDailyGenerations: number | null;
  readonly usedToday: number;
  /** Generations left today; null when unlimited. */
  readonly remaining: number | null;
  /** Percent of the daily limit used; null when unlimited. */
  readonly percent: number | null;
}

export interface BudgetRow {
  readonly id: string;
  readonly period: BudgetPeriod;
  /** The ledger key of the current period (`2026-11-22`, `2026-W47`, `2026-11`, `2026-Q4`). */
  readonly periodKey: string;
  /** First and last day of the current period. */
  readonly start: string;
  readonly end: string;
  readonly model?: string | undefined;
  readonly limitCredits: number;
  readonly spent: number;
  readonly percent: number;
  /**
   * Projected spend at the end of the period: for a day, today's pace so far scaled to the whole day; for a
   * longer period, the forecast (mean of the last 7 complete days over the rest of it). Undefined when there
   * is no basis (under 3 complete days of history, or the first quarter hour of a day).
   */
  readonly projected?: number | undefined;
  readonly projectedPercent?: number | undefined;
  /** The forecast behind `projected`, for periods longer than a day. */
  readonly forecast?: PeriodForecast | undefined;
}

export interface Overview {
  readonly orgId: string;
  readonly orgName: string;
  readonly today: string;
  readonly usdPerCredit: number;
  readonly creditBalance: number;
  readonly maxMonthlyCreditSpend: number;
  /** Credits used over the last 30 days (today and the 29 before). */
  readonly used30d: number;
  /** The tier's 30-day purchase cap against purchases (or usage while history is short). */
  readonly tierCap: TierCapState;
  /** `tierCap.percent`, kept for readers of the older shape. */
  readonly capPercent: number;
  readonly monthToDate: number;
  readonly forecast?: PeriodForecast | undefined;
  readonly balance: BalanceState;
  readonly models: readonly ModelRow[];
  /** The last 7 days (today last) by model, largest spender first. */
  readonly recent: {
    readonly dates: readonly string[];
    readonly rows: readonly { readonly model: string; readonly credits: readonly number[] }[];
    readonly totals: readonly number[];
  };
  readonly budgets: readonly BudgetRow[];
  readonly comparison: {
    readonly yesterday: { readonly date: string; readonly credits: number };
    readonly dayBefore: { readonly date: string; readonly credits: number };
    readonly sameDayLastWeek: { readonly date: string; readonly credits: number };
  };
  /** The first day the guard has usage for; days before it are unknown, not 0. */
  readonly historyStart?: string | undefined;
  /** Daily spend of the 14 complete days before today. */
  readonly last14: { readonly from: string; readonly values: readonly number[] };
}

export function computeOverview(input: RuleInput): Overview {
  const today = utcDate(input.now);
  const { usage, details, config } = input;
  const used30d = spendBetween(usage, addDays(today, -29), today);
  const models: ModelRow[] = Object.entries(details.models)
    .map(([model, m]) => ({
      model,
      inTier: m.inTier !== false,
      maxConcurrentGenerations: m.maxConcurrentGenerations,
      maxDailyGenerations: m.maxDailyGenerations,
      usedToday: m.dailyGenerations,
      remaining:
        m.maxDailyGenerations === null ? null : Math.max(0, m.maxDailyGenerations - m.dailyGenerations),
      percent:
        m.maxDailyGenerations === null || m.maxDailyGenerations <= 0
          ? null
          : (m.dailyGenerations / m.maxDailyGenerations) * 100,
    }))
    .sort((a, b) => (b.percent ?? -1) - (a.percent ?? -1) || a.model.localeCompare(b.model));

  const dates = dateRange(addDays(today, -6), today);
  const modelNames = new Set<string>();
  for (const d of dates) for (const m of Object.keys(usage.get(d)?.credits ?? {})) modelNames.add(m);
  const rows = [...modelNames]
    .map((model) => ({ model, credits: dates.map((d) => spendOn(usage, d, model)) }))
    .sort((a, b) => sum(b.credits) - sum(a.credits) || a.model.localeCompare(b.model));

  const budgets: BudgetRow[] = input.org.budgets.map((b) => {
    const start = periodStart(b.period, today);
    const spent = spendBetween(usage, start, today, b.model);
    const limitCredits = limitInCredits(b.limit, config.usdPerCredit);
    const forecast =
      b.period === 'day'
        ? undefined
        : forecastPeriod(usage, input.now, input.historyStart, b.period, b.model);
    const projected = b.period === 'day' ? projectDay(spent, input.now) : forecast?.projected;
    return {
      id: b.id,
      period: b.period,
      periodKey: periodKey(b.period, today),
      start,
      end: periodEnd(b.period, today),
      model: b.model,
      limitCredits,
      spent,
      percent: percentOf(spent, limitCredits),
      projected,
      projectedPercent:
        projected === undefined || !(limitCredits > 0) ? undefined : percentOf(projected, limitCredits),
      forecast,
    };
  });
  const tierCap = tierCapState({
    cap: details.maxMonthlyCreditSpend,
    today,
    usage,
    purchases: input.purchases,
  });

  const at = (offset: number) => {
    const date = addDays(today, offset);
    return { date, credits: spendOn(usage, date) };
  };
  const last14From = addDays(today, -14);
  return {
    orgId: input.org.id,
    orgName: input.org.name,
    today,
    usdPerCredit: config.usdPerCredit,
    creditBalance: details.creditBalance,
    maxMonthlyCreditSpend: details.maxMonthlyCreditSpend,
    used30d,
    tierCap,
    capPercent: tierCap.percent,
    monthToDate: spendBetween(usage, startOfMonth(today), today),
    forecast: forecastPeriod(usage, input.now, input.historyStart, 'month'),
    balance: evaluateBalance(input, tierCap),
    models,
    recent: { dates, rows, totals: dates.map((d) => spendOn(usage, d)) },
    budgets,
    comparison: { yesterday: at(-1), dayBefore: at(-2), sameDayLastWeek: at(-8) },
    historyStart: input.historyStart,
    last14: {
      from: last14From,
      values: dateRange(last14From, addDays(today, -1)).map((d) => spendOn(usage, d)),
    },
  };
}

function sum(values: readonly number[]): number {
  return roundCredits(values.reduce((a, b) => a + b, 0));
}
