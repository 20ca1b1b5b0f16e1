/**
 * The day-by-day history analysts read: stored usage and snapshots of one organization, one row per UTC day,
 * with totals, rendered as a table, CSV or JSON. Pure functions; reading the store is the caller's job.
 *
 * 1. `checkHistoryRange` refuses a malformed, reversed or too long range (a reason, or undefined).
 * 2. `buildHistory` makes one row per day of `[from, to]`: net credits and dollars (of every model, or of one
 *    model with `model`), credits per model, and the day's snapshot balance and tier cap (null without one).
 *    Days with no stored usage count as zero, as Runway omits days with no usage.
 * 3. `renderHistoryTable`, `renderHistoryCsv`, `renderHistoryJson` print it with a TOTAL row (JSON: `totals`).
 */

import { dateRange, daysBetween, isIsoDate } from './dates.ts';
import { roundCredits } from './figures.ts';
import { formatNumber, formatUsd } from './format.ts';
import { emptyRecord, ownValue, recordFrom } from './records.ts';
import { formatTable } from './text-layout.ts';
import type { Snapshot, UsageDay } from './types.ts';

/** The longest range one history read covers, in days: a leap year. */
export const HISTORY_MAX_DAYS = 366;

export type HistoryFormat = 'table' | 'csv' | 'json';
export const HISTORY_FORMATS: readonly HistoryFormat[] = ['table', 'csv', 'json'];

/** CSV line ending (RFC 4180). */
export const CSV_EOL = '\r\n';

export interface HistoryRow {
  readonly date: string;
  /** Net credits of the day: every model, or the filtered model. Negative when refunds exceed charges. */
  readonly credits: number;
  /** `credits` in dollars, to the cent. */
  readonly usd: number;
  /** Net credits per model column (0 when the model has no usage that day). */
  readonly models: Readonly<Record<string, number>>;
  /** The day's snapshot, or null when no run stored one that day. */
  readonly creditBalance: number | null;
  readonly maxMonthlyCreditSpend: number | null;
  /** Whether a usage item is stored for the day (false: no usage reported, counted as 0). */
  readonly usageStored: boolean;
}

export interface HistoryTotals {
  readonly credits: number;
  readonly usd: number;
  readonly models: Readonly<Record<string, number>>;
  readonly days: number;
  readonly daysWithUsage: number;
  readonly daysWithSnapshot: number;
}

export interface History {
  readonly orgId: string;
  readonly from: string;
  readonly to: string;
  /** The model filter, or null for every model. */
  readonly model: string | null;
  readonly usdPerCredit: number;
  /** Model columns: the filter alone, or every model with usage in the range (alphabetical). */
  readonly columns: readonly string[];
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
 * One row per day of `[from, to]` and the totals. Usage and snapshots outside the range are ignored; a
 * model filter need not have usage (its column is then all zeros), checking it is the caller's choice.
 */
export function buildHistory(input: {
  readonly orgId: string;
  readonly from: string;
  readonly to: string;
  readonly usage: readonly UsageDay[];
  readonly snapshots: readonly Snapshot[];
  readonly usdPerCredit: number;
  readonly model?: string | undefined;
}): History {
  const { from, to, usdPerCredit } = input;
  const model = input.model ?? null;
  const usageByDate = new Map<string, UsageDay>();
  for (const day of input.usage) if (day.date >= from && day.date <= to) usageByDate.set(day.date, day);
  const snapshotByDate = new Map<string, Snapshot>();
  for (const s of input.snapshots) if (s.date >= from && s.date <= to) snapshotByDate.set(s.date, s);

  const columns =
    model === null
      ? [...new Set([...usageByDate.values()].flatMap((d) => Object.keys(d.credits)))].sort(compareText)
      : [model];

  const modelTotals = new Map(columns.map((c) => [c, 0]));
  let creditsTotal = 0;
  const rows = dateRange(from, to).map((date): HistoryRow => {
    const day = usageByDate.get(date);
    const models = emptyRecord<number>();
    for (const column of columns) {
      const amount = day && Object.hasOwn(day.credits, column) ? (ownValue(day.credits, column) ?? 0) : 0;
      models[column] = amount;
      modelTotals.set(column, (modelTotals.get(column) ?? 0) + amount);
    }
    const credits = roundCredits(model === null ? (day?.totalCredits ?? 0) : (models[model] ?? 0));
    creditsTotal += credits;
    const snapshot = snapshotByDate.get(date);
    return {
      date,
      credits,
      usd: toUsd(credits, usdPerCredit),
      models,
      creditBalance: snapshot?.creditBalance ?? null,
      maxMonthlyCreditSpend: snapshot?.maxMonthlyCreditSpend ?? null,
      usageStored: day !== undefined,
    };
  });
  const credits = roundCredits(creditsTotal);
  return {
    orgId: input.orgId,
    from,
    to,
    model,
    usdPerCredit,
    columns,
    rows,
    totals: {
      credits,
      usd: toUsd(credits, usdPerCredit),
      models: recordFrom([...modelTotals].map(([c, total]) => [c, roundCredits(total)] as const)),
      days: rows.length,
      daysWithUsage: usageByDate.size,
      daysWithSnapshot: snapshotByDate.size,
    },
  };
}

/** Dollars to the cent, as a number. */
function toUsd(credits: number, usdPerCredit: number): number {
  const usd = Math.round(credits * usdPerCredit * 100) / 100;
  return usd === 0 ? 0 : usd;
}

/**
 * A fixed-width table for a terminal: a title, one line per day, a TOTAL line. Numbers carry thousands
 * separators; days without a snapshot leave the balance and tier cap blank.
 */
export function renderHistoryTable(history: History, orgName: string): string {
  const { from, to, totals, usdPerCredit } = history;
  const scope = history.model === null ? 'all models' : `model ${history.model}`;
  const header = ['Date', 'Credits', 'USD', ...history.columns, 'Balance', 'Tier cap'];
  const money = (credits: number) => formatUsd(credits, usdPerCredit);
  const body = history.rows.map((row) => [
    row.date,
    formatNumber(row.credits),
    money(row.credits),
    ...history.columns.map((c) => formatNumber(row.models[c] ?? 0)),
    row.creditBalance === null ? '' : formatNumber(row.creditBalance),
    row.maxMonthlyCreditSpend === null ? '' : formatNumber(row.maxMonthlyCreditSpend),
  ]);
  const total = [
    'TOTAL',
    formatNumber(totals.credits),
    money(totals.credits),
    ...history.columns.map((c) => formatNumber(totals.models[c] ?? 0)),
    '',
    '',
  ];
  const lines = formatTable(header, [...body, total]);
  // A rule above the TOTAL line, as wide as the header's rule.
  lines.splice(lines.length - 1, 0, lines[1] ?? '');
  return [
    `${orgName} (${history.orgId}): ${from} to ${to}, ${scope}`,
    `${totals.days} days, ${totals.daysWithUsage} with stored usage, ${totals.daysWithSnapshot} with a snapshot. ` +
      'Credits are net (refunds negative), UTC days; Balance and Tier cap come from the day’s snapshot.',
    '',
    ...lines,
    '',
  ].join('\n');
}

/**
 * RFC 4180 CSV with `\r\n` line ends: a header row, one row per day, a TOTAL row. Plain numbers (no thousands
 * separators), dollars with 2 decimals, blank balance and tier cap on days without a snapshot.
 * Header: `date,credits,usd,<model…>,credit_balance,max_monthly_credit_spend`. Model names come from Runway's
 * API, so one that a spreadsheet would run as a formula is written as text (see {@link csvText}).
 */
export function renderHistoryCsv(history: History): string {
  const header = [
    'date',
    'credits',
    'usd',
    ...history.columns.map(csvText),
    'credit_balance',
    'max_monthly_credit_spend',
  ];
  const lines = [header];
  for (const row of history.rows) {
    lines.push([
      row.date,
      csvNumber(row.credits),
      row.usd.toFixed(2),
      ...history.columns.map((c) => csvNumber(row.models[c] ?? 0)),
      row.creditBalance === null ? '' : csvNumber(row.creditBalance),
      row.maxMonthlyCreditSpend === null ? '' : csvNumber(row.maxMonthlyCreditSpend),
    ]);
  }
  const { totals } = history;
  lines.push([
    'TOTAL',
    csvNumber(totals.credits),
    totals.usd.toFixed(2),
    ...history.columns.map((c) => csvNumber(totals.models[c] ?? 0)),
    '',
    '',
  ]);
  return lines.map((cells) => cells.map(csvField).join(',') + CSV_EOL).join('');
}

/** `{ org, from, to, model, usdPerCredit, columns, rows, totals }` on one line. */
export function renderHistoryJson(history: History): string {
  const { orgId, ...rest } = history;
  return `${JSON.stringify({ org: orgId, ...rest })}\n`;
}

/** Quotes a field that holds a comma, a quote, CR or LF, doubling its quotes (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Text from outside (a model name) that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or CR
 * first) gets a leading `'`, so it opens as the text it is and never runs (OWASP's advice for CSV injection).
 * Only for text cells: numbers such as `-120` (a refund) stay numbers.
 */
export function csvText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function csvNumber(value: number): string {
  return String(roundCredits(value));
}

/** Code-point order, independent of the locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
