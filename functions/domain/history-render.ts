/**
 * History as analysts read it: a terminal table, RFC 4180 CSV, one JSON document, or JSON Lines. Pure
 * functions of a `History` built by `buildHistory` (`history.ts`).
 */
import { stringify } from 'csv-stringify/sync';
import { roundCredits } from './figures.ts';
import { formatNumber, formatUsd } from './format.ts';
import { CSV_EOL, type History, type HistoryGrouping, type HistoryRow } from './history.ts';
import { ownValue } from './records.ts';
import { formatTable } from './text-layout.ts';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const GROUPING_TITLE: Record<HistoryGrouping, string> = {
  day: 'Date',
  week: 'Week',
  month: 'Month',
  quarter: 'Quarter',
};

/**
 * A fixed-width table for a terminal: a title, one line per period, a TOTAL line. Numbers carry thousands
 * separators; days and periods that are not covered leave every figure blank; rows without a snapshot leave
 * the balance and tier cap blank. Grouped tables show each row's first and last day and its covered days
 * (`12/31 days` when only some are covered).
 */
export function renderHistoryTable(history: History, orgName: string): string {
  const { from, to, totals, usdPerCredit, by } = history;
  const scope = history.model === null ? 'all models' : `model ${history.model}`;
  const grouped = by !== 'day';
  const money = (credits: number | null) => (credits === null ? '' : formatUsd(credits, usdPerCredit));
  const num = (value: number | null) => (value === null ? '' : formatNumber(value));
  const header = [
    GROUPING_TITLE[by],
    ...(grouped ? ['From', 'To', 'Days'] : []),
    'Credits',
    'USD',
    ...history.columns,
    ...(history.recordsPurchases ? ['Purchased'] : []),
    'Balance',
    'Tier cap',
  ];
  const line = (row: HistoryRow, isTotal: boolean) => [
    row.period,
    ...(grouped ? [row.start, row.end, daysCell(row)] : []),
    num(row.credits),
    money(row.credits),
    ...history.columns.map((c) => num(ownValue(row.models, c) ?? null)),
    ...(history.recordsPurchases ? [num(row.purchased)] : []),
    isTotal ? '' : num(row.creditBalance),
    isTotal ? '' : num(row.maxMonthlyCreditSpend),
  ];
  const totalRow: HistoryRow = {
    ...totals,
    period: 'TOTAL',
    start: from,
    end: to,
    covered: totals.coveredDays === totals.days,
    creditBalance: null,
    maxMonthlyCreditSpend: null,
    snapshotDate: null,
  };
  const lines = formatTable(header, [...history.rows.map((r) => line(r, false)), line(totalRow, true)]);
  // A rule above the TOTAL line, as wide as the header's rule.
  lines.splice(lines.length - 1, 0, lines[1] ?? '');
  const coverage =
    history.historyStart === null
      ? 'none covered (nothing stored)'
      : `${totals.coveredDays} covered (history starts ${history.historyStart}; today is ${history.today})`;
  return [
    `${orgName} (${history.orgId}): ${from} to ${to}, ${scope}, by ${by}`,
    `${plural(totals.days, 'day')}, ${coverage}, ${totals.daysWithUsage} with stored usage, ` +
      `${totals.daysWithSnapshot} with a snapshot.`,
    'Credits are net (refunds negative), UTC days; blank: not observed (before history starts or after ' +
      'today), never 0. ' +
      (grouped
        ? 'Weeks are ISO weeks (Monday to Sunday); Balance and Tier cap come from the last snapshot of the row.'
        : 'Balance and Tier cap come from the day’s snapshot.'),
    '',
    ...lines,
    '',
  ].join('\n');
}

function daysCell(row: Pick<HistoryRow, 'days' | 'coveredDays'>): string {
  const days = row.days === 1 ? 'day' : 'days';
  return row.coveredDays === row.days ? `${row.days} ${days}` : `${row.coveredDays}/${row.days} ${days}`;
}

/**
 * RFC 4180 CSV (`csv-stringify`) with `\r\n` line ends: a header row, one row per period, a TOTAL row.
 * Header: `period,start,end,days,covered_days,credits,usd,<model…>,purchased,credit_balance,
 * max_monthly_credit_spend,snapshot_date`, the same for every grouping (`period` is the date with `--by day`).
 * Plain numbers (no thousands separators), dollars with 2 decimals; figures of days that are not covered are
 * blank, never 0. Model names come from Runway's API, so one that a spreadsheet would run as a formula is
 * written as text (see {@link csvText}).
 */
export function renderHistoryCsv(history: History): string {
  const header = [
    'period',
    'start',
    'end',
    'days',
    'covered_days',
    'credits',
    'usd',
    ...history.columns.map(csvText),
    'purchased',
    'credit_balance',
    'max_monthly_credit_spend',
    'snapshot_date',
  ];
  const record = (row: HistoryRow) => [
    row.period,
    row.start,
    row.end,
    String(row.days),
    String(row.coveredDays),
    csvNumber(row.credits),
    row.usd === null ? '' : row.usd.toFixed(2),
    ...history.columns.map((c) => csvNumber(ownValue(row.models, c) ?? null)),
    csvNumber(row.purchased),
    csvNumber(row.creditBalance),
    csvNumber(row.maxMonthlyCreditSpend),
    row.snapshotDate ?? '',
  ];
  const { totals } = history;
  const total = record({
    ...totals,
    period: 'TOTAL',
    start: history.from,
    end: history.to,
    covered: totals.coveredDays === totals.days,
    creditBalance: null,
    maxMonthlyCreditSpend: null,
    snapshotDate: null,
  });
  // A lone CR or LF inside a field is quoted too (csv-stringify quotes only the whole record delimiter).
  return stringify([header, ...history.rows.map(record), total], {
    record_delimiter: CSV_EOL,
    quoted_match: /[\r\n]/,
  });
}

/**
 * `{ org, from, to, by, model, usdPerCredit, historyStart, today, columns, rows, totals }` on one line.
 * Figures of rows without a covered day are null.
 */
export function renderHistoryJson(history: History): string {
  const { orgId, recordsPurchases: _, ...rest } = history;
  return `${JSON.stringify({ org: orgId, ...rest })}\n`;
}

/**
 * JSON Lines: one complete object per row, `{ org, by, model, period, start, end, days, coveredDays, covered,
 * credits, usd, models, purchased, creditBalance, maxMonthlyCreditSpend, snapshotDate, daysWithUsage,
 * daysWithSnapshot }`, and nothing else: no totals line, so every line loads as the same kind of record
 * (sum the rows, or read `--format json` for the totals). No rows, no lines.
 */
export function renderHistoryJsonl(history: History): string {
  return history.rows
    .map((row) => `${JSON.stringify({ org: history.orgId, by: history.by, model: history.model, ...row })}\n`)
    .join('');
}

/**
 * Text from outside (a model name) that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or CR
 * first) gets a leading `'`, so it opens as the text it is and never runs (OWASP's advice for CSV injection).
 * Only for text cells: numbers such as `-120` (a refund) stay numbers.
 */
export function csvText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function csvNumber(value: number | null): string {
  return value === null ? '' : String(roundCredits(value));
}
