/**
 * `budget`: a budget's net spend in the current UTC day or month reaches one of its thresholds.
 * Once per budget × period × threshold; warning, critical at 100% or more.
 */
import type { BudgetConfig } from '../../config.ts';
import { addDays, startOfMonth, utcDate, utcMonth } from '../dates.ts';
import { dayCumulativeReached, limitInCredits, roundCredits, spendBetween } from '../figures.ts';
import {
  formatDate,
  formatMoney,
  formatMonth,
  formatNumber,
  formatPercent,
  formatUsd,
  round2,
} from '../format.ts';
import { tableName } from '../outside-text.ts';
import { formatTable, TABLE_ROWS_MAX } from '../text-layout.ts';
import {
  CONFIG_PLACE,
  type Draft,
  defineAlert,
  type FindingBase,
  type MessageContext,
  percentOf,
  RUNWAY_PAGES,
} from './alert.ts';
import { highestCrossed } from './thresholds.ts';

export interface BudgetFinding extends FindingBase {
  readonly kind: 'budget';
  readonly budget: BudgetConfig;
  readonly spent: number;
  readonly limitCredits: number;
  readonly percent: number;
  readonly threshold: number;
  /** The next higher threshold, if any. */
  readonly nextThreshold?: number | undefined;
  /** First day of the period, and the day spend crossed the threshold. */
  readonly periodStart: string;
  readonly crossedOn: string;
  /** Spend by model over the period, largest first. */
  readonly byModel: readonly { model: string; credits: number }[];
}

/** `today (Sun 22 Nov 2026)` or `November 2026`. */
export function budgetPeriodText(budget: BudgetConfig, periodStart: string): string {
  return budget.period === 'day' ? `today (${formatDate(periodStart)})` : formatMonth(utcMonth(periodStart));
}

/** `all models` or `model veo3.1 only`. */
export function scopeText(model: string | undefined): string {
  return model === undefined ? 'all models' : `model ${model} only`;
}

function draft(f: BudgetFinding, ctx: MessageContext): Draft {
  const money = (c: number) => formatMoney(c, ctx.usdPerCredit);
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const over = f.spent - f.limitCredits;
  const periodWord = f.budget.period === 'day' ? 'daily' : 'monthly';
  const periodText = budgetPeriodText(f.budget, f.periodStart);
  const headline =
    f.percent >= 100
      ? `${ctx.orgName} has spent ${usd(f.spent)} against its ${usd(f.limitCredits)} ${periodWord} budget "${f.budget.id}" for ${periodText}: the budget is used up${over > 0 ? `, ${usd(over)} over` : ''}.`
      : `${ctx.orgName} has spent ${usd(f.spent)} of its ${usd(f.limitCredits)} ${periodWord} budget "${f.budget.id}" for ${periodText}: ${formatPercent(f.percent)} used, past the ${f.threshold}% alert line.`;
  return {
    subject: `${f.budget.id} at ${formatPercent(f.percent)}${f.budget.period === 'day' ? ' today' : ''} — ${usd(f.spent)} of ${usd(f.limitCredits)}`,
    headline,
    facts: [
      ['Budget', `${f.budget.id} (${scopeText(f.budget.model)})`],
      ['Period', periodText],
      ['Spent', money(f.spent)],
      ['Limit', money(f.limitCredits)],
      [
        'Used',
        `${formatPercent(f.percent)} (alert at ${f.budget.thresholds.map((t) => `${t}%`).join(', ')})`,
      ],
      [over >= 0 ? 'Over by' : 'Remaining', money(Math.abs(over))],
      [
        'Crossed on',
        `${formatDate(f.crossedOn)} (${f.threshold}% = ${usd((f.threshold / 100) * f.limitCredits)})`,
      ],
    ],
    sections: [
      {
        title: 'Spend by model in this period',
        lines: f.byModel.length
          ? formatTable(
              ['Model', 'Dollars', 'Credits'],
              f.byModel.map((m) => [tableName(m.model), usd(m.credits), formatNumber(m.credits)]),
              '  ',
              TABLE_ROWS_MAX,
            )
          : ['  (no usage recorded)'],
      },
    ],
    advice: [
      f.percent >= 100
        ? 'Runway keeps charging past this budget: it is our limit, not Runway\'s. Decide now whether to slow or pause the heaviest models (see "Spend by model") or accept the overspend.'
        : `If this pace is expected, nothing is needed now; the next alert comes at ${f.nextThreshold ?? 100}% (${usd(((f.nextThreshold ?? 100) / 100) * f.limitCredits)}).`,
      `To change the budget, edit the "limit" of budget "${f.budget.id}" in ${CONFIG_PLACE} and redeploy with \`cdk deploy\`.`,
      `Per-key and per-day detail is on ${RUNWAY_PAGES.usage}.`,
    ],
    data: {
      budget: { id: f.budget.id, period: f.budget.period, model: f.budget.model ?? null },
      threshold: f.threshold,
      thresholds: f.budget.thresholds,
      spentCredits: f.spent,
      limitCredits: f.limitCredits,
      percent: round2(f.percent),
      remainingCredits: Math.max(0, roundCredits(f.limitCredits - f.spent)),
      overCredits: Math.max(0, roundCredits(f.spent - f.limitCredits)),
      nextThreshold: f.nextThreshold ?? null,
      periodStart: f.periodStart,
      crossedOn: f.crossedOn,
      byModel: f.byModel,
    },
  };
}

const MONTHLY: BudgetConfig = {
  id: 'monthly-total',
  period: 'month',
  limit: { usd: 5000 },
  thresholds: [50, 80, 100],
  forecast: true,
};
const VEO_DAILY: BudgetConfig = {
  id: 'veo-daily',
  period: 'day',
  model: 'veo3.1',
  limit: { credits: 40_000 },
  thresholds: [80, 100],
};

export const budgetAlert = defineAlert<BudgetFinding>({
  kind: 'budget',
  evaluate({ input }) {
    const today = utcDate(input.now);
    const out: BudgetFinding[] = [];
    for (const budget of input.org.budgets) {
      const periodStart = budget.period === 'day' ? today : startOfMonth(today);
      const spent = spendBetween(input.usage, periodStart, today, budget.model);
      const limitCredits = limitInCredits(budget.limit, input.config.usdPerCredit);
      const percent = percentOf(spent, limitCredits);
      const crossing = highestCrossed(budget.thresholds, percent);
      if (!crossing) continue;
      const byModel = new Map<string, number>();
      for (let d = periodStart; d <= today; d = addDays(d, 1)) {
        for (const [model, credits] of Object.entries(input.usage.get(d)?.credits ?? {})) {
          if (budget.model === undefined || budget.model === model)
            byModel.set(model, (byModel.get(model) ?? 0) + credits);
        }
      }
      out.push({
        kind: 'budget',
        rule: budget.id,
        period: budget.period === 'day' ? today : utcMonth(today),
        level: String(crossing.threshold),
        severity: crossing.severity,
        covers: crossing.covers,
        summary: `budget ${budget.id} at ${Math.floor(percent)}% of its ${budget.period === 'day' ? 'daily' : 'monthly'} limit`,
        budget,
        spent,
        limitCredits,
        percent,
        threshold: crossing.threshold,
        nextThreshold: crossing.next,
        periodStart,
        crossedOn:
          dayCumulativeReached(
            input.usage,
            periodStart,
            today,
            (crossing.threshold / 100) * limitCredits,
            budget.model,
          ) ?? today,
        byModel: [...byModel]
          .map(([model, credits]) => ({ model, credits: roundCredits(credits) }))
          .sort((a, b) => b.credits - a.credits),
      });
    }
    return out;
  },
  draft,
  samples: [
    {
      name: 'budget',
      severity: 'warning',
      finding: () => ({
        kind: 'budget',
        rule: 'monthly-total',
        period: '2026-11',
        level: '80',
        severity: 'warning',
        covers: ['50'],
        summary: 'budget monthly-total at 82% of its monthly limit',
        budget: MONTHLY,
        spent: 412_345,
        limitCredits: 500_000,
        percent: (412_345 / 500_000) * 100,
        threshold: 80,
        nextThreshold: 100,
        periodStart: '2026-11-01',
        crossedOn: '2026-11-20',
        byModel: [
          { model: 'veo3.1', credits: 201_500 },
          { model: 'gen4.5', credits: 120_340 },
          { model: 'gen4_image', credits: 60_205 },
          { model: 'eleven_multilingual_v2', credits: 18_300 },
          { model: 'act_two', credits: 12_000 },
        ],
      }),
    },
    {
      name: 'budget-critical',
      severity: 'critical',
      finding: () => ({
        kind: 'budget',
        rule: 'veo-daily',
        period: '2026-11-22',
        level: '100',
        severity: 'critical',
        covers: ['80'],
        summary: 'budget veo-daily at 103% of its daily limit',
        budget: VEO_DAILY,
        spent: 41_520,
        limitCredits: 40_000,
        percent: (41_520 / 40_000) * 100,
        threshold: 100,
        nextThreshold: undefined,
        periodStart: '2026-11-22',
        crossedOn: '2026-11-22',
        byModel: [{ model: 'veo3.1', credits: 41_520 }],
      }),
    },
  ],
});
