import {
  addDays,
  BUDGET_PERIODS,
  type BudgetPeriod,
  dateRange,
  daysBetween,
  isIsoDate,
  periodEnd,
  periodKey,
  periodStart,
} from './dates.ts';
import { ownValue, recordFrom } from './records.ts';
import type { OrgStatus, Snapshot, UsageDay } from './types.ts';

/** The longest range one history read covers, in days: a leap year. */
export const HISTORY_MAX_DAYS = 366;

/** How far back Runway serves usage: history older than the guard's first run cannot be recovered. */
export const RUNWAY_USAGE_DAYS = 90;

export type HistoryFormat = 'table' | 'csv' | 'json' | 'jsonl';
export const HISTORY_FORMATS: readonly HistoryFormat[] = ['table', 'csv', 'json', 'jsonl'];

/** One row per UTC day, ISO week (Monday to Sunday), calendar month or calendar quarter: a budget's periods. */
export type HistoryGrouping = BudgetPeriod;
export const HISTORY_GROUPINGS: readonly HistoryGrouping[] = BUDGET_PERIODS;

/** CSV line ending (RFC 4180). */
export const CSV_EOL = '\r\n';

export interface HistoryRow {
  /** `2026-08-03` (day), `2026-W32` (ISO week), `2026-08` (month) or `2026-Q3` (quarter). */
  readonly period: string;
  /** The first and last day the row sums: the period, cut at the range's ends. */
  readonly start: string;
  readonly end: string;
  /** Days from `start` to `end`, and how many of them are covered. */
  readonly days: number;
  readonly coveredDays: number;
  /** Every day of the row is covered, so its figures are complete. */
  readonly covered: boolean;
  /**
   * Net credits of the covered days: every model, or the filtered model. Negative when refunds exceed
   * charges. Null when no day of the row is covered.
   */
  readonly credits: number | null;
  /** `credits` in dollars, to the cent; null with `credits`. */
  readonly usd: number | null;
  /** Net credits per model column over the covered days; null when no day is covered. */
  readonly models: Readonly<Record<string, number | null>>;
  /** Credits purchased, summed over the row's snapshots that record it; null when none does. */
  readonly purchased: number | null;
  /** From the row's last snapshot (`snapshotDate`), or null when the row has none. */
  readonly creditBalance: number | null;
  readonly maxMonthlyCreditSpend: number | null;
  readonly snapshotDate: string | null;
  /** Days of the row with a stored usage item, and with a stored snapshot. */
  readonly daysWithUsage: number;
  readonly daysWithSnapshot: number;
}

export interface HistoryTotals {
  /** Over every covered day of the range; null when none is covered. */
  readonly credits: number | null;
  readonly usd: number | null;
  readonly models: Readonly<Record<string, number | null>>;
  readonly purchased: number | null;
  readonly days: number;
  readonly coveredDays: number;
  readonly daysWithUsage: number;
  readonly daysWithSnapshot: number;
}

/** What a history is asked for: one organization's days `[from, to]` (inclusive), grouped `by`. */
export interface HistoryQuery {
  readonly orgId: string;
  readonly from: string;
  readonly to: string;
  /** Default `day`. */
  readonly by?: HistoryGrouping | undefined;
  /** Only this model's credits and dollars; default every model. */
  readonly model?: string | undefined;
  readonly usdPerCredit: number;
}

export interface History {
  readonly orgId: string;
  readonly from: string;
  readonly to: string;
  readonly by: HistoryGrouping;
  /** The model filter, or null for every model. */
  readonly model: string | null;
  readonly usdPerCredit: number;
  /** The first covered day, or null when nothing is stored for the organization. */
  readonly historyStart: string | null;
  /** The UTC day the history was read on: later days are not covered. */
  readonly today: string;
  /** Model columns: the filter alone, or every model with usage in the range (code-point order). */
  readonly columns: readonly string[];
  /** Whether a snapshot in the range records purchases (the table shows the column only then). */
  readonly recordsPurchases: boolean;
  readonly rows: readonly HistoryRow[];
  readonly totals: HistoryTotals;
}

/**
 * Why `[from, to]` cannot be read, or undefined when it can: both real `YYYY-MM-DD` dates, `from` ≤ `to`,
 * at most `HISTORY_MAX_DAYS` days inclusive.
 */
export function checkHistoryRange(from: string, to: string): string | undefined {
  const badDate = checkDate('--from', from) ?? checkDate('--to', to);
  if (badDate) return badDate;
  if (from > to) return `--from ${from} is after --to ${to} (both dates are inclusive)`;
  const days = daysBetween(from, to) + 1;
  if (days > HISTORY_MAX_DAYS) {
    return `${from} to ${to} is ${days} days; history reads at most ${HISTORY_MAX_DAYS} days at a time (split the range)`;
  }
  return undefined;
}

/** Why `value` is not a real UTC date written `YYYY-MM-DD`, or undefined when it is. */
export function checkDate(name: string, value: string): string | undefined {
  return isIsoDate(value) ? undefined : `${name} must be a UTC date written YYYY-MM-DD (got "${value}")`;
}

/** Every model named in the usage or the snapshots, alphabetical (what `--model` may name). */
export function modelsSeen(usage: readonly UsageDay[], snapshots: readonly Snapshot[]): string[] {
  const seen = new Set<string>();
  for (const day of usage) for (const model of Object.keys(day.credits)) seen.add(model);
  for (const snapshot of snapshots) for (const model of Object.keys(snapshot.models)) seen.add(model);
  return [...seen].sort(compareText);
}

/**
 * The first day the stored history covers: the earlier of the status's `historyStart` (the first cycle's
 * backfill start) and the first stored usage day (a backfill before the first cycle, or no status at all:
 * only `budget-guard backfill` ran). Undefined when neither is known: nothing is stored.
 */
export function firstCoveredDay(
  status: Pick<OrgStatus, 'historyStart'> | undefined,
  firstUsageDay: string | undefined,
): string | undefined {
  const candidates = [status?.historyStart, firstUsageDay].filter((d): d is string => d !== undefined);
  return candidates.sort()[0];
}

/** The calendar period of `by` that holds `date`: its key and its first and last day. */
export function periodOf(
  date: string,
  by: HistoryGrouping,
): { readonly key: string; readonly start: string; readonly end: string } {
  return { key: periodKey(by, date), start: periodStart(by, date), end: periodEnd(by, date) };
}

/**
 * One row per period of `[from, to]` and the totals. Usage and snapshots outside the range are ignored; a
 * model filter need not have usage (its column is then all zeros), checking it is the caller's choice.
 *
 * `historyStart` is the first covered day (`firstCoveredDay`; null: nothing is covered) and `today` the last.
 * A day with a stored usage item counts as covered whatever the bounds say: stored figures are never hidden.
 */
export function buildHistory(
  input: HistoryQuery & {
    readonly usage: readonly UsageDay[];
    readonly snapshots: readonly Snapshot[];
    readonly historyStart: string | null;
    readonly today: string;
  },
): History {
  const { from, to, usdPerCredit, historyStart, today } = input;
  const by = input.by ?? 'day';
  const model = input.model ?? null;
  const usageByDate = new Map<string, UsageDay>();
  for (const day of input.usage) if (day.date >= from && day.date <= to) usageByDate.set(day.date, day);
  const snapshotByDate = new Map<string, Snapshot>();
  for (const s of input.snapshots) if (s.date >= from && s.date <= to) snapshotByDate.set(s.date, s);

  const columns =
    model === null
      ? [...new Set([...usageByDate.values()].flatMap((d) => Object.keys(d.credits)))].sort(compareText)
      : [model];
  const isCovered = (date: string) =>
    usageByDate.has(date) || (historyStart !== null && date >= historyStart && date <= today);

  const rows: HistoryRow[] = [];
  let sums = newSums(columns);
  let rowStart = from;
  let key = periodOf(from, by).key;
  const flush = (end: string) => {
    rows.push(toRow(key, rowStart, end, sums, columns, usdPerCredit));
  };
  const total = newSums(columns);
  for (const date of dateRange(from, to)) {
    const period = periodOf(date, by).key;
    if (period !== key) {
      flush(addDays(date, -1));
      sums = newSums(columns);
      rowStart = date;
      key = period;
    }
    for (const target of [sums, total])
      addDay(target, date, isCovered(date), usageByDate, snapshotByDate, model);
  }
  flush(to);

  const totalRow = toRow('TOTAL', from, to, total, columns, usdPerCredit);
  return {
    orgId: input.orgId,
    from,
    to,
    by,
    model,
    usdPerCredit,
    historyStart,
    today,
    columns,
    recordsPurchases: total.purchasedDays > 0,
    rows,
    totals: {
      credits: totalRow.credits,
      usd: totalRow.usd,
      models: totalRow.models,
      purchased: totalRow.purchased,
      days: totalRow.days,
      coveredDays: totalRow.coveredDays,
      daysWithUsage: totalRow.daysWithUsage,
      daysWithSnapshot: totalRow.daysWithSnapshot,
    },
  };
}

/** Running sums of one row, in whole micro-credits (exact integer arithmetic). */
interface Sums {
  days: number;
  coveredDays: number;
  credits: number;
  readonly models: Map<string, number>;
  purchased: number;
  purchasedDays: number;
  daysWithUsage: number;
  daysWithSnapshot: number;
  lastSnapshot: Snapshot | undefined;
}

function newSums(columns: readonly string[]): Sums {
  return {
    days: 0,
    coveredDays: 0,
    credits: 0,
    models: new Map(columns.map((c) => [c, 0])),
    purchased: 0,
    purchasedDays: 0,
    daysWithUsage: 0,
    daysWithSnapshot: 0,
    lastSnapshot: undefined,
  };
}

function addDay(
  sums: Sums,
  date: string,
  covered: boolean,
  usageByDate: ReadonlyMap<string, UsageDay>,
  snapshotByDate: ReadonlyMap<string, Snapshot>,
  model: string | null,
): void {
  sums.days++;
  const snapshot = snapshotByDate.get(date);
  if (snapshot) {
    sums.daysWithSnapshot++;
    sums.lastSnapshot = snapshot;
    if (typeof snapshot.purchasedCredits === 'number') {
      sums.purchased += toMicro(snapshot.purchasedCredits);
      sums.purchasedDays++;
    }
  }
  if (!covered) return;
  sums.coveredDays++;
  const day = usageByDate.get(date);
  if (!day) return;
  sums.daysWithUsage++;
  for (const [column, sum] of sums.models) {
    const amount = ownValue(day.credits, column) ?? 0;
    sums.models.set(column, sum + toMicro(amount));
  }
  sums.credits += toMicro(model === null ? day.totalCredits : (ownValue(day.credits, model) ?? 0));
}

function toRow(
  period: string,
  start: string,
  end: string,
  sums: Sums,
  columns: readonly string[],
  usdPerCredit: number,
): HistoryRow {
  const any = sums.coveredDays > 0;
  const credits = any ? fromMicro(sums.credits) : null;
  return {
    period,
    start,
    end,
    days: sums.days,
    coveredDays: sums.coveredDays,
    covered: sums.coveredDays === sums.days,
    credits,
    usd: credits === null ? null : toUsd(credits, usdPerCredit),
    models: recordFrom(columns.map((c) => [c, any ? fromMicro(sums.models.get(c) ?? 0) : null] as const)),
    purchased: sums.purchasedDays > 0 ? fromMicro(sums.purchased) : null,
    creditBalance: sums.lastSnapshot?.creditBalance ?? null,
    maxMonthlyCreditSpend: sums.lastSnapshot?.maxMonthlyCreditSpend ?? null,
    snapshotDate: sums.lastSnapshot?.date ?? null,
    daysWithUsage: sums.daysWithUsage,
    daysWithSnapshot: sums.daysWithSnapshot,
  };
}

/** Credits to whole micro-credits: the rounding `roundCredits` applies, kept as an integer to sum exactly. */
function toMicro(credits: number): number {
  return Math.round(credits * 1e6);
}

function fromMicro(micro: number): number {
  return micro === 0 ? 0 : micro / 1e6;
}

/** Dollars to the cent, as a number. */
function toUsd(credits: number, usdPerCredit: number): number {
  const usd = Math.round(credits * usdPerCredit * 100) / 100;
  return usd === 0 ? 0 : usd;
}

/**
 * What the range asks for that the stored history does not cover, one sentence each (no prefix, no line
 * end): days before the first covered day, days after today, or no history at all. `store` names where
 * nothing was found (e.g. `the local store .budget-guard/dynamo`).
 */
export function coverageWarnings(history: History, store?: string): string[] {
  const { orgId, from, to, historyStart, today } = history;
  const warnings: string[] = [];
  const lost =
    `Runway serves usage only ${RUNWAY_USAGE_DAYS} days back, so history older than the guard's first run ` +
    'cannot be recovered: start the guard early.';
  if (historyStart === null) {
    warnings.push(
      `nothing is stored for ${orgId}${store ? ` in ${store}` : ''} yet, so no day from ${from} to ${to} is covered: every figure is left ` +
        `blank, not 0. Run "budget-guard check" (or "budget-guard backfill") to store the last ` +
        `${RUNWAY_USAGE_DAYS} days. ${lost}`,
    );
    return warnings;
  }
  const before = history.rows.length > 0 && from < historyStart;
  if (before) {
    const lastLost = historyStart > to ? to : addDays(historyStart, -1);
    const one = lastLost === from;
    warnings.push(
      `${orgId}'s history starts on ${historyStart}: ${days(from, lastLost)} ${one ? 'was' : 'were'} never ` +
        `observed and ${one ? 'is' : 'are'} left blank, not 0. ${lost}`,
    );
  }
  if (to > today) {
    const firstFuture = from > today ? from : addDays(today, 1);
    const one = firstFuture === to;
    warnings.push(
      `${days(firstFuture, to)} ${one ? 'is' : 'are'} after today (${today}) and ${one ? 'is' : 'are'} left blank.`,
    );
  }
  return warnings;
}

/** `2026-07-04` or `the 59 days from 2026-07-01 to 2026-08-28`. */
function days(from: string, to: string): string {
  return from === to ? from : `the ${daysBetween(from, to) + 1} days from ${from} to ${to}`;
}

/** Code-point order, independent of the locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
