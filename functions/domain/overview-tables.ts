/** The overview's model and budget tables, as the daily digest and the terminal report both show them. */
import { formatLimit, formatNumber, formatPercent, formatUsd } from './format.ts';
import { tableName } from './outside-text.ts';
import type { Overview } from './overview.ts';
import { formatTable, TABLE_ROWS_MAX } from './text-layout.ts';

/** Per-model limits and today's use. */
export function formatModelTable(models: Overview['models']): string[] {
  return formatTable(
    ['Model', 'Concurrent', 'Daily limit', 'Used', 'Left', '%'],
    models.map((m) => [
      tableName(m.model),
      m.inTier ? formatLimit(m.maxConcurrentGenerations) : 'not in tier',
      m.inTier ? formatLimit(m.maxDailyGenerations) : 'not in tier',
      formatNumber(m.usedToday),
      m.remaining === null ? '—' : formatNumber(m.remaining),
      m.percent === null ? '—' : formatPercent(m.percent),
    ]),
    '  ',
    TABLE_ROWS_MAX,
  );
}

const PERIOD_LABEL = {
  day: 'today',
  week: 'this week',
  month: 'this month',
  quarter: 'this quarter',
} as const;

/** Each budget's spend, limit, use and month-end forecast. */
export function formatBudgetTable(budgets: Overview['budgets'], usdPerCredit: number): string[] {
  if (budgets.length === 0) return ['  (no budgets configured)'];
  const usd = (credits: number) => formatUsd(credits, usdPerCredit);
  return formatTable(
    ['Budget', 'Period', 'Spent', 'Limit', 'Used', 'Forecast'],
    budgets.map((b) => [
      `${b.id}${b.model ? ` (${tableName(b.model)})` : ''}`,
      PERIOD_LABEL[b.period],
      usd(b.spent),
      usd(b.limitCredits),
      formatPercent(b.percent),
      b.projected === undefined || b.projectedPercent === undefined
        ? '—'
        : `${usd(b.projected)} (${formatPercent(b.projectedPercent)})`,
    ]),
  );
}
