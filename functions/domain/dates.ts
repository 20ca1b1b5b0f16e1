/** UTC calendar arithmetic on `YYYY-MM-DD` strings. Runway's usage dates are UTC days. */
import { UTCDate } from '@date-fns/utc';
import { getISOWeek, getISOWeekYear, startOfISOWeek } from 'date-fns';

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
// Calendar periods of a UTC day, for grouping history. ISO weeks come from date-fns on UTC dates, so the
// week-year around New Year is right (2027-01-01 is in 2026-W53, 2024-12-30 in 2025-W01) whatever the
// machine's time zone.

/** The ISO 8601 week of a day, `YYYY-Www`: weeks start on Monday, and the year is the ISO week-year. */
export function isoWeek(date: string): string {
  const day = utcDay(date);
  return `${getISOWeekYear(day)}-W${String(getISOWeek(day)).padStart(2, '0')}`;
}

/** The Monday that starts the ISO week of `date`. */
export function startOfIsoWeek(date: string): string {
  return utcDate(startOfISOWeek(utcDay(date)));
}

/** `YYYY-Qn` of a day. */
export function utcQuarter(date: string): string {
  return `${date.slice(0, 4)}-Q${quarterNumber(date)}`;
}

/** First day of the quarter of `date`. */
export function startOfQuarter(date: string): string {
  const firstMonth = (quarterNumber(date) - 1) * 3 + 1;
  return `${date.slice(0, 4)}-${String(firstMonth).padStart(2, '0')}-01`;
}

/** Last day of the quarter of `date`. */
export function endOfQuarter(date: string): string {
  const lastMonth = quarterNumber(date) * 3;
  return endOfMonth(`${date.slice(0, 4)}-${String(lastMonth).padStart(2, '0')}-01`);
}

function quarterNumber(date: string): number {
  return Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1;
}

/** Midnight UTC of a `YYYY-MM-DD` day as a date-fns UTC date (its getters read UTC fields). */
function utcDay(date: string): UTCDate {
  return new UTCDate(`${date}T00:00:00Z`);
}
