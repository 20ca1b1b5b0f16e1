/** UTC calendar arithmetic on `YYYY-MM-DD` strings. Runway's usage dates are UTC days. */
import { UTCDateMini } from '@date-fns/utc/date/mini';
import {
  endOfISOWeek,
  endOfQuarter,
  endOfMonth as fnsEndOfMonth,
  startOfMonth as fnsStartOfMonth,
  getISOWeek,
  getISOWeekYear,
  getQuarter,
  startOfISOWeek,
  startOfQuarter,
} from 'date-fns';

const DAY_MS = 86_400_000;

/** The UTC day of an instant. */
export function utcDate(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** `YYYY-MM` of a date or instant. */
export function utcMonth(value: Date | string): string {
  return (typeof value === 'string' ? value : utcDate(value)).slice(0, 7);
}

/** Adds whole days (negative to go back). */
export function addDays(date: string, days: number): string {
  return utcDate(new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS));
}

/** Days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** First day of the month of `date`. */
export function startOfMonth(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

/** Number of days in the month of `date`. */
export function daysInMonth(date: string): number {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Last day of the month of `date`. */
export function endOfMonth(date: string): string {
  return `${date.slice(0, 7)}-${String(daysInMonth(date)).padStart(2, '0')}`;
}

/** Every date in `[from, to]` inclusive, ascending. */
export function dateRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && utcDate(new Date(`${value}T00:00:00Z`)) === value;
}

// ---------------------------------------------------------------------------------------------------------
// Budget periods: the UTC day, ISO week (Monday to Sunday), month and quarter a date falls in.

/** The periods a budget can run over (UTC): the day, the ISO week from Monday, the month, the quarter. */
export const BUDGET_PERIODS = ['day', 'week', 'month', 'quarter'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

function utc(date: string): Date {
  return new UTCDateMini(`${date}T00:00:00Z`);
}

function dayOf(value: Date): string {
  return value.toISOString().slice(0, 10);
}

/**
 * Each period, for a date inside it: its first and last day (ISO weeks run Monday to Sunday) and its ledger
 * key, `2026-11-22`, `2026-W47` (ISO week-numbering year, so 29 Dec 2025 is `2026-W01`), `2026-11`, `2026-Q4`.
 */
const PERIODS: {
  readonly [period in BudgetPeriod]: {
    readonly start: (d: Date) => Date;
    readonly end: (d: Date) => Date;
    readonly key: (date: string, d: Date) => string;
  };
} = {
  day: { start: (d) => d, end: (d) => d, key: (date) => date },
  week: {
    start: startOfISOWeek,
    end: endOfISOWeek,
    key: (_, d) => `${getISOWeekYear(d)}-W${String(getISOWeek(d)).padStart(2, '0')}`,
  },
  month: { start: fnsStartOfMonth, end: fnsEndOfMonth, key: (date) => date.slice(0, 7) },
  quarter: {
    start: startOfQuarter,
    end: endOfQuarter,
    key: (date, d) => `${date.slice(0, 4)}-Q${getQuarter(d)}`,
  },
};

/** First day of the `period` that `date` falls in. */
export function periodStart(period: BudgetPeriod, date: string): string {
  return dayOf(PERIODS[period].start(utc(date)));
}

/** Last day of the `period` that `date` falls in. */
export function periodEnd(period: BudgetPeriod, date: string): string {
  return dayOf(PERIODS[period].end(utc(date)));
}

/** The ledger key of the `period` that `date` falls in (see {@link PERIODS}). */
export function periodKey(period: BudgetPeriod, date: string): string {
  return PERIODS[period].key(date, utc(date));
}

/** Fraction of the UTC day `instant` falls in that is still ahead of it, in [0, 1). */
export function restOfDay(instant: Date): number {
  const start = Date.parse(`${utcDate(instant)}T00:00:00Z`);
  return Math.max(0, 1 - (instant.getTime() - start) / DAY_MS);
}
