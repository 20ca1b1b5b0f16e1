/**
 * Spend figures derived from the usage history: period to date, last 30 days, burn rate, forecasts, budget
 * thresholds past the limit, and credits bought (inferred from balance changes).
 * Pure functions; a missing day counts as zero spend.
 */

import type { BudgetConfig } from '../config.ts';
import {
  addDays,
  type BudgetPeriod,
  dateRange,
  daysBetween,
  endOfMonth,
  periodEnd,
  periodStart,
  restOfDay,
  utcDate,
} from './dates.ts';
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

export interface PeriodForecast {
  readonly period: BudgetPeriod;
  /** First and last day of the period. */
  readonly start: string;
  readonly end: string;
  /** Spend from the period's first day through today's (partial) spend. */
  readonly toDate: number;
  /** Projected net spend for the whole period. */
  readonly projected: number;
  /** Days still ahead: the rest of today plus every day after it, e.g. 8.6. */
  readonly daysLeft: number;
  /** Whole days of the period after today. */
  readonly fullDaysLeft: number;
  /** The part of today still ahead, in [0, 1). */
  readonly restOfToday: number;
  readonly burn: BurnRate;
}

/**
 * End-of-period projection: spend so far + the mean of the last 7 complete days × the days still ahead,
 * counting the rest of today (so on the period's last day the projection still adds the evening, and on its
 * first morning nearly the whole period). Returns undefined with fewer than `minBasisDays` complete days of
 * history.
 */
export function forecastPeriod(
  index: UsageIndex,
  now: Date,
  historyStart: string,
  period: BudgetPeriod,
  model?: string,
  minBasisDays = 3,
): PeriodForecast | undefined {
  const today = utcDate(now);
  const burn = burnRate(index, today, historyStart);
  if (burn.basisDays < minBasisDays) return undefined;
  const meanDaily =
    model === undefined ? burn.meanDaily : spendBetween(index, burn.from, burn.to, model) / burn.basisDays;
  const start = periodStart(period, today);
  const end = periodEnd(period, today);
  const toDate = spendBetween(index, start, today, model);
  const fullDaysLeft = daysBetween(today, end);
  const rest = restOfDay(now);
  const daysLeft = fullDaysLeft + rest;
  return {
    period,
    start,
    end,
    toDate,
    projected: Math.round(toDate + Math.max(0, meanDaily) * daysLeft),
    daysLeft,
    fullDaysLeft,
    restOfToday: rest,
    burn: { ...burn, meanDaily },
  };
}

/**
 * A day budget's pace within the day: spend so far scaled to the whole UTC day by the part of it already
 * gone (82% by 00:30 is on pace for about 3,900%). Undefined in the first quarter hour, when the part gone is
 * too small to say anything.
 */
export function projectDay(spentToday: number, now: Date): number | undefined {
  const gone = 1 - restOfDay(now);
  if (gone < 1 / 96) return undefined;
  return Math.round(spentToday / gone);
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
 * The UTC day `credits` run out at `meanDaily` a day spent evenly over the hours from `now`: the rest of today
 * spends its share first (undefined when nothing is being spent). Credits that last exactly to midnight run
 * out on the day that ends there. The balance's run-out day and the day a forecast budget reaches its limit,
 * alike.
 */
export function runOutDate(credits: number, meanDaily: number, now: Date): string | undefined {
  if (meanDaily <= 0) return undefined;
  const at = now.getTime() + (Math.max(0, credits) / meanDaily) * 86_400_000;
  return utcDate(new Date(Math.max(now.getTime(), Math.ceil(at) - 1)));
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

/**
 * A budget's alert lines: its configured thresholds, then, with a recurring `every` step, each step past 100%
 * (125, 150, … for 25%) up to `percent`. Ascending; steps are rounded to 2 decimals so they make stable
 * ledger levels.
 */
export function budgetThresholds(budget: BudgetConfig, percent: number, usdPerCredit: number): number[] {
  const list = [...budget.thresholds];
  const step = recurringStepPercent(budget, usdPerCredit);
  if (step !== undefined && step > 0) {
    // Every step up to the first one above `percent` (the next alert line), at most 1,000 of them.
    for (let k = 1; k <= 1000; k++) {
      const line = Math.round((100 + k * step) * 100) / 100;
      if (!list.includes(line)) list.push(line);
      if (line > percent + 1e-9) break;
    }
  }
  return list.sort((a, b) => a - b);
}

/** A budget's recurring step past the limit, in percent of the limit; undefined without `every`. */
export function recurringStepPercent(
  budget: Pick<BudgetConfig, 'every' | 'limit'>,
  usdPerCredit: number,
): number | undefined {
  const every = budget.every;
  if (!every) return undefined;
  if ('percent' in every) return every.percent;
  const limit = limitInCredits(budget.limit, usdPerCredit);
  const step = 'credits' in every ? every.credits : every.usd / usdPerCredit;
  return limit > 0 ? (step / limit) * 100 : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Purchases. Runway has no purchase endpoint; between two reads, credits bought ≈ balance now − balance then
// + credits used in between.

/** Runway's minimum purchase ($10): a smaller rise of the balance is noise in usage timing, not a top-up. */
export const MIN_PURCHASE_CREDITS = 1000;

/**
 * Credits bought between an earlier read and now: `balanceNow − balanceThen + used in between`, when that is
 * at least Runway's minimum purchase; else 0. `usedThen` is the spend from `from` through the earlier read's
 * day as it stood at that read (the snapshot's month to date), so usage of that day after the read counts.
 * Undefined when the usage in between is not known (`from` before `knownFrom`).
 */
export function inferPurchase(input: {
  readonly balanceThen: number;
  readonly balanceNow: number;
  readonly usage: UsageIndex;
  /** First day the earlier read's `usedThen` counts from. */
  readonly from: string;
  readonly usedThen: number;
  readonly today: string;
  /** First day of usage the index holds. */
  readonly knownFrom: string;
}): number | undefined {
  if (input.from < input.knownFrom) return undefined;
  const usedBetween = spendBetween(input.usage, input.from, input.today) - input.usedThen;
  const bought = roundCredits(input.balanceNow - input.balanceThen + usedBetween);
  return bought >= MIN_PURCHASE_CREDITS ? Math.round(bought) : 0;
}

/** Credits bought per UTC day (inferred from balance changes), and since when the guard has watched. */
export interface PurchaseHistory {
  /** The first UTC day the guard read the balance; purchases before its first read are unknown. */
  readonly watchStart: string;
  /** Days with purchases, ascending (days without are absent). */
  readonly days: readonly { readonly date: string; readonly credits: number }[];
}

/** Days of a 30-day purchase window, as Runway's tier counts it. */
export const CAP_WINDOW_DAYS = 30;

/** The tier's 30-day purchase cap against what was bought (or, while history is short, used). */
export interface TierCapState {
  readonly cap: number;
  /**
   * `purchases`: credits bought in the window, inferred from balance changes (the guard has watched the
   * balance for the whole window). `usage`: credits used, the stand-in while fewer than 30 days are watched.
   */
  readonly basis: 'purchases' | 'usage';
  /** Credits bought (or used) in the window. */
  readonly counted: number;
  readonly percent: number;
  /** Credits the cap still allows buying now (0 when full). */
  readonly room: number;
  /** The window: the 30 days ending today. */
  readonly from: string;
  readonly to: string;
  /** First day the guard watched the balance; undefined when never. */
  readonly watchStart?: string | undefined;
  /** The first day the purchase basis applies (30 days watched). */
  readonly purchasesFrom?: string | undefined;
  /** Credits bought since the guard began watching, within the window (shown while the basis is usage). */
  readonly boughtSeen: number;
  /** Mean credits bought (or used) a day over the window. */
  readonly pacePerDay: number;
  /** The day the window fills at that pace, if it does within 30 days; today when it is full. */
  readonly fullOn?: string | undefined;
  /** The next day older purchases leave the window, and how many credits that frees. */
  readonly frees?: { readonly date: string; readonly credits: number } | undefined;
}

/** Credits per model in `[from, to]` (only `model` when given), largest first. */
export function spendByModel(
  usage: UsageIndex,
  model: string | undefined,
  from: string,
  to: string,
): { model: string; credits: number }[] {
  const byModel = new Map<string, number>();
  for (let d = from; d <= to; d = addDays(d, 1)) {
    for (const [name, credits] of Object.entries(usage.get(d)?.credits ?? {})) {
      if (model === undefined || model === name) byModel.set(name, (byModel.get(name) ?? 0) + credits);
    }
  }
  return [...byModel]
    .map(([name, credits]) => ({ model: name, credits: roundCredits(credits) }))
    .sort((a, b) => b.credits - a.credits);
}

/** `value / limit` in percent; 0 for a limit that is not positive. */
export function percentOf(value: number, limit: number): number {
  return limit > 0 ? (value / limit) * 100 : 0;
}

/**
 * Measures the tier cap. Runway caps credits BOUGHT in any 30 days (autobilling recharges only up to what
 * remains); the guard infers purchases from balance changes and counts them once it has watched for 30 days,
 * and counts credits used until then.
 */
export function tierCapState(input: {
  readonly cap: number;
  readonly today: string;
  readonly usage: UsageIndex;
  readonly purchases?: PurchaseHistory | undefined;
}): TierCapState {
  const { cap, today } = input;
  const from = addDays(today, -(CAP_WINDOW_DAYS - 1));
  const watchStart = input.purchases?.watchStart;
  const inWindow = (input.purchases?.days ?? []).filter((d) => d.date >= from && d.date <= today);
  const boughtSeen = roundCredits(inWindow.reduce((sum, d) => sum + d.credits, 0));
  const watched = watchStart !== undefined && watchStart < from;
  const counted = watched ? boughtSeen : spendBetween(input.usage, from, today);
  const room = Math.max(0, roundCredits(cap - counted));
  const pacePerDay = Math.max(0, counted) / CAP_WINDOW_DAYS;
  const fullOn =
    cap > 0 && room <= 0
      ? today
      : pacePerDay > 0 && room / pacePerDay <= CAP_WINDOW_DAYS
        ? addDays(today, Math.ceil(room / pacePerDay))
        : undefined;
  const oldest = watched ? inWindow.find((d) => d.credits > 0) : undefined;
  return {
    cap,
    basis: watched ? 'purchases' : 'usage',
    counted,
    percent: percentOf(counted, cap),
    room,
    from,
    to: today,
    watchStart,
    purchasesFrom: watchStart === undefined ? undefined : addDays(watchStart, CAP_WINDOW_DAYS),
    boughtSeen,
    pacePerDay,
    fullOn,
    frees: oldest && { date: addDays(oldest.date, CAP_WINDOW_DAYS), credits: oldest.credits },
  };
}
