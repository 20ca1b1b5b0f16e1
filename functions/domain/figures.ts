/**
 * Spend figures derived from the usage history: month to date, last 30 days, burn rate, forecast.
 * Pure functions; a missing day counts as zero spend.
 */

import type { BudgetConfig } from '../config.ts';
import { addDays, dateRange, daysBetween, daysInMonth, endOfMonth, startOfMonth } from './dates.ts';
import { ownValue } from './records.ts';
import type { UsageDay } from './types.ts';

/** Usage by date, for quick lookups. */
export type UsageIndex = ReadonlyMap<string, UsageDay>;

export function indexUsage(days: readonly UsageDay[]): UsageIndex {
  return new Map(days.map((d) => [d.date, d]));
}

/** Net credits of one day for a model, or for all models when `model` is undefined. */
export function spendOn(index: UsageIndex, date: string, model?: string): number {
  const day = index.get(date);
  if (!day) return 0;
  return model === undefined ? day.totalCredits : (ownValue(day.credits, model) ?? 0);
}

/** Net credits over `[from, to]` inclusive. */
export function spendBetween(index: UsageIndex, from: string, to: string, model?: string): number {
  let sum = 0;
  for (const date of dateRange(from, to)) sum += spendOn(index, date, model);
  return roundCredits(sum);
}

/** Credits are whole in practice; sums of fractional test data are kept free of float dust. */
export function roundCredits(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

export interface BurnRate {
  /** Mean net credits per complete day over the basis. */
  readonly meanDaily: number;
  /** Complete days the mean is based on (at most 7; fewer when history is short). */
  readonly basisDays: number;
  /** First and last day of the basis. */
  readonly from: string;
  readonly to: string;
}

/**
 * Mean daily spend of the last `window` complete days before `today`, limited to days on or after
 * `historyStart` (the first day the guard has usage for). `basisDays` is 0 when no complete day is known.
 */
export function burnRate(index: UsageIndex, today: string, historyStart: string, window = 7): BurnRate {
  const to = addDays(today, -1);
  let from = addDays(today, -window);
  if (from < historyStart) from = historyStart;
  const basisDays = Math.max(0, daysBetween(from, to) + 1);
  if (basisDays === 0) return { meanDaily: 0, basisDays: 0, from: today, to };
  return { meanDaily: spendBetween(index, from, to) / basisDays, basisDays, from, to };
}

export interface MonthForecast {
  /** Month to date including today's (partial) spend. */
  readonly monthToDate: number;
  /** Projected net spend for the whole month. */
  readonly projected: number;
  /** Days of the month after today. */
  readonly daysLeft: number;
  readonly burn: BurnRate;
}

/**
 * Month-end projection: month to date + mean daily spend of the last 7 complete days × days left after today.
 * Returns undefined with fewer than `minBasisDays` complete days of history.
 */
export function forecastMonth(
  index: UsageIndex,
  today: string,
  historyStart: string,
  model?: string,
  minBasisDays = 3,
): MonthForecast | undefined {
  const burn = burnRate(index, today, historyStart);
  if (burn.basisDays < minBasisDays) return undefined;
  const meanDaily =
    model === undefined ? burn.meanDaily : spendBetween(index, burn.from, burn.to, model) / burn.basisDays;
  const monthToDate = spendBetween(index, startOfMonth(today), today, model);
  const daysLeft = daysInMonth(today) - Number(today.slice(8, 10));
  return {
    monthToDate,
    projected: Math.round(monthToDate + Math.max(0, meanDaily) * daysLeft),
    daysLeft,
    burn: { ...burn, meanDaily },
  };
}

/**
 * The day cumulative spend from `from` first reached `amount`, walking forward to `to`; undefined if never.
 */
export function dayCumulativeReached(
  index: UsageIndex,
  from: string,
  to: string,
  amount: number,
  model?: string,
): string | undefined {
  let sum = 0;
  for (const date of dateRange(from, to)) {
    sum += spendOn(index, date, model);
    if (sum >= amount) return date;
  }
  return undefined;
}

/**
 * The day a projected balance runs out at `meanDaily` spend per day, counting from `today`
 * (undefined when nothing is being spent).
 */
export function runOutDate(balance: number, meanDaily: number, today: string): string | undefined {
  if (meanDaily <= 0) return undefined;
  if (balance <= 0) return today;
  return addDays(today, Math.floor(balance / meanDaily));
}

/** The last day of the month, re-exported for messages. */
export { endOfMonth };

/** Median of a list (0 for an empty list). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Converts a budget limit to credits. */
export function limitInCredits(limit: BudgetConfig['limit'], usdPerCredit: number): number {
  return 'credits' in limit ? limit.credits : Math.round((limit.usd / usdPerCredit) * 1e6) / 1e6;
}
