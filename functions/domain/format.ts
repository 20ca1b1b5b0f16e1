/** Number, money and date formatting for messages and reports: fixed, locale-independent output. */
import { formatDuration } from 'date-fns';
import type { BudgetPeriod } from './dates.ts';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** `1234567.8` → `1,234,567.8` (digits after the point kept as given). */
function group(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Whole number with thousands separators; fractional credits keep up to 2 decimals. */
export function formatNumber(value: number, decimals?: number): string {
  const negative = value < 0;
  const abs = Math.abs(value);
  const fixed = decimals === undefined ? String(Math.round(abs * 100) / 100) : abs.toFixed(decimals);
  const [int = '0', frac] = fixed.split('.');
  const body = frac ? `${group(int)}.${frac}` : group(int);
  return negative && Number(fixed) !== 0 ? `-${body}` : body;
}

/** `412,345 credits` (`1 credit`). */
export function formatCredits(credits: number): string {
  return `${formatNumber(credits)} ${Math.abs(credits) === 1 ? 'credit' : 'credits'}`;
}

/** Dollars to the cent: `$4,123.45`, `-$6.00`. */
export function formatUsd(credits: number, usdPerCredit: number): string {
  const usd = Math.round(credits * usdPerCredit * 100) / 100;
  return `${usd < 0 ? '-' : ''}$${formatNumber(Math.abs(usd), 2)}`;
}

/** `$4,123.45 (412,345 credits)`. */
export function formatMoney(credits: number, usdPerCredit: number): string {
  return `${formatUsd(credits, usdPerCredit)} (${formatCredits(credits)})`;
}

/**
 * Whole percent, rounded down so a figure never reads as past a line it has not reached (79.9% is `79%`);
 * `<1%` for a positive figure under 1, `0%` for none, and negatives (refunds) rounded toward zero.
 */
export function formatPercent(percent: number): string {
  if (!Number.isFinite(percent)) return '—';
  if (percent > 0 && percent < 1) return '<1%';
  return `${formatNumber(Math.trunc(percent + 1e-9))}%`;
}

/** `2026-11` → `November 2026`. */
export function formatMonth(month: string): string {
  return `${MONTHS[Number(month.slice(5, 7)) - 1]} ${month.slice(0, 4)}`;
}

/** `2026-11-22` → `Sun 22 Nov 2026`. */
export function formatDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]?.slice(0, 3)} ${d.getUTCFullYear()}`;
}

/** `2026-11-22T08:05:12.000Z` → `2026-11-22 08:05 UTC`. */
export function formatInstant(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** A text sparkline; negative days (refunds) draw as the lowest bar. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  if (max === 0) return BARS[0]?.repeat(values.length) ?? '';
  return values.map((v) => BARS[Math.max(0, Math.min(7, Math.round((Math.max(0, v) / max) * 7)))]).join('');
}

/** Limits Runway reports as `null` are unlimited. */
export function formatLimit(limit: number | null | 'absent'): string {
  if (limit === null) return 'unlimited';
  if (limit === 'absent') return 'not offered';
  return formatNumber(limit);
}

/** `Sun 15 – Sat 21 Nov 2026`, `Sat 24 Oct – Sun 22 Nov 2026`, `Wed 31 Dec 2025 – Thu 1 Jan 2026`. */
export function formatDateRange(from: string, to: string): string {
  const a = formatDate(from);
  const b = formatDate(to);
  if (from === to) return b;
  if (from.slice(0, 7) === to.slice(0, 7)) return `${a.split(' ').slice(0, 2).join(' ')} – ${b}`;
  if (from.slice(0, 4) === to.slice(0, 4)) return `${a.slice(0, -5)} – ${b}`;
  return `${a} – ${b}`;
}

/** `2026-11-22T09` (an hour key) → `2026-11-22 09:00 UTC`. */
export function formatHourKey(key: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}$/.test(key) ? `${key.slice(0, 10)} ${key.slice(11)}:00 UTC` : key;
}

/** `1 day`, `9 days` (whole days, rounded down); `less than a day` below 1. */
export function dayCount(days: number): string {
  const n = Math.floor(days);
  if (n < 1) return 'less than a day';
  return `${n} ${n === 1 ? 'day' : 'days'}`;
}

/** Two decimals, for the JSON bodies' percentages and rates. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** `daily`, `weekly`, `monthly`, `quarterly`. */
export const PERIOD_ADJECTIVE: Readonly<Record<BudgetPeriod, string>> = {
  day: 'daily',
  week: 'weekly',
  month: 'monthly',
  quarter: 'quarterly',
};

/** `day`, `week`, `month`, `quarter`: for "once per budget and week". */
export const PERIOD_NOUN: Readonly<Record<BudgetPeriod, string>> = {
  day: 'UTC day',
  week: 'week',
  month: 'month',
  quarter: 'quarter',
};

/**
 * The period that starts on `start`, in words: `Sun 22 Nov 2026`, `the week of Mon 16 – Sun 22 Nov 2026`,
 * `November 2026`, `Q4 2026 (October – December)`.
 */
export function formatPeriod(period: BudgetPeriod, start: string, end: string): string {
  switch (period) {
    case 'day':
      return formatDate(start);
    case 'week':
      return `the week of ${formatDateRange(start, end)}`;
    case 'month':
      return formatMonth(start.slice(0, 7));
    case 'quarter': {
      const first = MONTHS[Number(start.slice(5, 7)) - 1];
      const last = MONTHS[Number(end.slice(5, 7)) - 1];
      return `Q${Math.floor((Number(start.slice(5, 7)) - 1) / 3) + 1} ${start.slice(0, 4)} (${first} – ${last})`;
    }
  }
}

/** `8.6 days` (one decimal; whole numbers without), `1 day`. */
export function formatDays(days: number): string {
  const rounded = Math.round(days * 10) / 10;
  return `${formatNumber(rounded)} ${rounded === 1 ? 'day' : 'days'}`;
}

const SPAN_UNITS = [
  ['days', 86_400],
  ['hours', 3600],
  ['minutes', 60],
  ['seconds', 1],
] as const;

/**
 * A span of time in words, to its two largest units (seconds only under a minute), by date-fns's
 * `formatDuration`: `95` → `1 minute`, `7260` → `2 hours 1 minute`, `93600` → `1 day 2 hours`, `45` →
 * `45 seconds`. The absolute value of `seconds`; `0 seconds` for none.
 */
export function formatSpan(seconds: number): string {
  let rest = Math.abs(Math.floor(seconds));
  const duration: Partial<Record<(typeof SPAN_UNITS)[number][0], number>> = {};
  for (const [unit, size] of rest < 60 ? SPAN_UNITS : SPAN_UNITS.slice(0, 3)) {
    duration[unit] = Math.floor(rest / size);
    rest %= size;
  }
  const first = SPAN_UNITS.findIndex(([unit]) => (duration[unit] ?? 0) > 0);
  if (first < 0) return '0 seconds';
  const shown = SPAN_UNITS.slice(first, first + 2).map(([unit]) => unit);
  return formatDuration(duration, { format: shown });
}
