/**
 * `budget`: a budget's net spend in the current UTC day or month reaches one of its thresholds.
 * Once per budget × period × threshold; warning, critical at 100% or more.
 */
import type { BudgetConfig } from '../../config.ts';
import { periodEnd, periodKey, periodStart, utcDate } from '../dates.ts';
import {
  budgetThresholds,
  dayCumulativeReached,
  limitInCredits,
  percentOf,
  recurringStepPercent,
  roundCredits,
  spendByModel,
} from '../figures.ts';
import {
  formatDate,
  formatMoney,
  formatNumber,
  formatPercent,
  formatPeriod,
  formatUsd,
  PERIOD_ADJECTIVE,
  PERIOD_NOUN,
  round2,
} from '../format.ts';
import { tableName } from '../outside-text.ts';
import type { BudgetRow } from '../overview.ts';
import { formatTable, TABLE_ROWS_MAX } from '../text-layout.ts';
import {
  CONFIG_PLACE,
  type Draft,
  defineAlert,
  type FindingBase,
  type MessageContext,
  RUNWAY_PAGES,
  SAMPLE_NOW,
  SAMPLE_USD_PER_CREDIT,
} from './alert.ts';
import { highestCrossed } from './thresholds.ts';

export interface BudgetFinding extends FindingBase {
  readonly kind: 'budget';
  readonly budget: BudgetConfig;
  readonly spent: number;
  readonly limitCredits: number;
  readonly percent: number;
  readonly threshold: number;
  /** The next higher alert line (a threshold, or the next recurring step past the limit), if any. */
  readonly nextThreshold?: number | undefined;
  /** First and last day of the period, and the day spend crossed the threshold. */
  readonly periodStart: string;
  readonly periodEnd?: string | undefined;
  readonly crossedOn: string;
  /** Spend by model over the period, largest first. */
  readonly byModel: readonly { model: string; credits: number }[];
  /**
   * Projected spend at the period's end (the overview's figure: today's pace for a day, the forecast for a
   * longer period); undefined when there is no basis yet.
   */
  readonly projected?: number | undefined;
  /** Why `projected` is missing, in words, when it is. */
  readonly noProjection?: string | undefined;
  /** The day the balance runs out at the current pace, when that is before the period ends. */
  readonly balanceRunsOutOn?: string | undefined;
  /** Recurring step past the limit, in percent of it (from `every`). */
  readonly stepPercent?: number | undefined;
}

/** `today (Sun 22 Nov 2026)`, `the week of Mon 16 – Sun 22 Nov 2026`, `November 2026`, `Q4 2026 (…)`. */
export function budgetPeriodText(budget: BudgetConfig, periodStart: string, end?: string): string {
  const last = end ?? periodEnd(budget.period, periodStart);
  return budget.period === 'day'
    ? `today (${formatDate(periodStart)})`
    : formatPeriod(budget.period, periodStart, last);
}

/** `all models` or `model veo3.1 only`. */
export function scopeText(model: string | undefined): string {
  return model === undefined ? 'all models' : `model ${model} only`;
}

/** `80%`, `133.33%`: an alert line as configured (never rounded down). */
function line(percent: number): string {
  return `${formatNumber(percent)}%`;
}

/** The advice on pace: never "nothing is needed" while the same budget is projected past its limit. */
function paceAdvice(f: BudgetFinding, usd: (c: number) => string): string {
  const end =
    f.budget.period === 'day'
      ? 'the end of the day'
      : `the end of the ${PERIOD_NOUN[f.budget.period]} (${formatDate(f.periodEnd ?? f.periodStart)})`;
  const next =
    f.nextThreshold === undefined
      ? ''
      : ` The next alert comes at ${line(f.nextThreshold)} (${usd((f.nextThreshold / 100) * f.limitCredits)}).`;
  const basis = f.budget.period === 'day' ? "today's pace so far" : 'the mean of the last 7 complete days';
  const runsOut = f.balanceRunsOutOn
    ? ` The prepaid balance also runs out about ${formatDate(f.balanceRunsOutOn)}, before the period ends: buy credits on ${RUNWAY_PAGES.billing} or slow down.`
    : '';
  if (f.projected === undefined) {
    return `The pace to ${end} is not known yet (${f.noProjection ?? 'no basis'}), so watch the spend by model.${next}${runsOut}`;
  }
  const projectedPercent = percentOf(f.projected, f.limitCredits);
  if (f.percent >= 100) {
    return `At ${basis}, spend reaches about ${usd(f.projected)} (${formatPercent(projectedPercent)} of the limit) by ${end}.${next}${runsOut}`;
  }
  if (projectedPercent >= 100) {
    return `At ${basis}, spend reaches about ${usd(f.projected)} by ${end}, ${formatPercent(projectedPercent)} of the limit: the budget will run out unless spend slows. Slow or pause the heaviest models (see "Spend by model"), or raise the limit if this spend is planned.${next}${runsOut}`;
  }
  return `At ${basis}, spend reaches about ${usd(f.projected)} by ${end}, ${formatPercent(projectedPercent)} of the limit: within the budget, so if that pace is expected, nothing is needed now.${next}${runsOut}`;
}

function draft(f: BudgetFinding, ctx: MessageContext): Draft {
  const money = (c: number) => formatMoney(c, ctx.usdPerCredit);
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const over = f.spent - f.limitCredits;
  const periodWord = PERIOD_ADJECTIVE[f.budget.period];
  const periodText = budgetPeriodText(f.budget, f.periodStart, f.periodEnd);
  const pastLimit = f.threshold > 100;
  const headline = pastLimit
    ? `${ctx.orgName} has spent ${usd(f.spent)} against its ${usd(f.limitCredits)} ${periodWord} budget "${f.budget.id}" for ${periodText}: ${formatPercent(f.percent)} of the limit, past the ${line(f.threshold)} alert line and ${usd(over)} over.`
    : f.percent >= 100
      ? `${ctx.orgName} has spent ${usd(f.spent)} against its ${usd(f.limitCredits)} ${periodWord} budget "${f.budget.id}" for ${periodText}: the budget is used up${over > 0 ? `, ${usd(over)} over` : ''}.`
      : `${ctx.orgName} has spent ${usd(f.spent)} of its ${usd(f.limitCredits)} ${periodWord} budget "${f.budget.id}" for ${periodText}: ${formatPercent(f.percent)} used, past the ${line(f.threshold)} alert line.`;
  const lines = f.budget.thresholds.map(line).join(', ');
  const every = f.stepPercent === undefined ? '' : `, then every ${line(f.stepPercent)} past the limit`;
  const perPeriod = PERIOD_NOUN[f.budget.period];
  const footer =
    `You get this alert once per budget, ${perPeriod} and alert line; ` +
    (f.nextThreshold === undefined
      ? `this is the last alert line of budget "${f.budget.id}" this ${perPeriod}.`
      : `the next one for this budget this ${perPeriod} comes at ${line(f.nextThreshold)}.`);
  return {
    subject: `${f.budget.id} at ${formatPercent(f.percent)}${f.budget.period === 'day' ? ' today' : ''} — ${usd(f.spent)} of ${usd(f.limitCredits)}`,
    headline,
    facts: [
      ['Budget', `${f.budget.id} (${scopeText(f.budget.model)})`],
      ['Period', periodText],
      ['Spent', money(f.spent)],
      ['Limit', money(f.limitCredits)],
      ['Used', `${formatPercent(f.percent)} (alert at ${lines}${every})`],
      [over >= 0 ? 'Over by' : 'Remaining', money(Math.abs(over))],
      [
        'Crossed on',
        `${formatDate(f.crossedOn)} (${line(f.threshold)} = ${usd((f.threshold / 100) * f.limitCredits)})`,
      ],
      [
        'Projection',
        f.projected === undefined
          ? `unknown: ${f.noProjection ?? 'no basis'}`
          : `${money(f.projected)} by the end of the ${f.budget.period === 'day' ? 'day at the pace so far' : `${perPeriod} at the last 7 days' pace`} (${formatPercent(percentOf(f.projected, f.limitCredits))})`,
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
      ...(f.percent >= 100
        ? [
            'Runway keeps charging past this budget: it is our limit, not Runway\'s. Decide now whether to slow or pause the heaviest models (see "Spend by model") or accept the overspend.',
          ]
        : []),
      paceAdvice(f, usd),
      `To change the budget, edit the "limit" of budget "${f.budget.id}" in ${CONFIG_PLACE} and redeploy with \`cdk deploy\`.`,
      `Per-key and per-day detail is on ${RUNWAY_PAGES.usage}.`,
    ],
    footer,
    data: {
      budget: { id: f.budget.id, period: f.budget.period, model: f.budget.model ?? null },
      threshold: f.threshold,
      thresholds: f.budget.thresholds,
      everyPercent: f.stepPercent === undefined ? null : round2(f.stepPercent),
      spentCredits: f.spent,
      limitCredits: f.limitCredits,
      percent: round2(f.percent),
      remainingCredits: Math.max(0, roundCredits(f.limitCredits - f.spent)),
      overCredits: Math.max(0, roundCredits(f.spent - f.limitCredits)),
      nextThreshold: f.nextThreshold ?? null,
      periodStart: f.periodStart,
      periodEnd: f.periodEnd ?? periodEnd(f.budget.period, f.periodStart),
      crossedOn: f.crossedOn,
      projectedCredits: f.projected ?? null,
      projectedPercent: f.projected === undefined ? null : round2(percentOf(f.projected, f.limitCredits)),
      balanceRunsOutOn: f.balanceRunsOutOn ?? null,
      byModel: f.byModel,
    },
  };
}

/** What a finding tells besides the figures, found once a line is crossed (`lineCredits` is that line). */
interface CrossingFacts {
  readonly crossedOn: string;
  readonly byModel: BudgetFinding['byModel'];
  readonly balanceRunsOutOn?: string | undefined;
}

/**
 * The finding for `budget` at the period figures of `row`, or undefined when they cross no alert line: the
 * one way from figures to a finding, for the rule and its samples alike.
 */
function budgetFinding(
  budget: BudgetConfig,
  row: Pick<BudgetRow, 'periodKey' | 'start' | 'end' | 'spent' | 'limitCredits' | 'percent' | 'projected'>,
  usdPerCredit: number,
  factsAt: (lineCredits: number) => CrossingFacts,
): BudgetFinding | undefined {
  const { spent, limitCredits, percent } = row;
  const crossing = highestCrossed(budgetThresholds(budget, percent, usdPerCredit), percent);
  if (!crossing) return undefined;
  return {
    kind: 'budget',
    rule: budget.id,
    period: row.periodKey,
    level: String(crossing.threshold),
    severity: crossing.severity,
    covers: crossing.covers,
    summary: `budget ${budget.id} at ${formatPercent(percent)} of its ${PERIOD_ADJECTIVE[budget.period]} limit`,
    budget,
    spent,
    limitCredits,
    percent,
    threshold: crossing.threshold,
    nextThreshold: crossing.next,
    periodStart: row.start,
    periodEnd: row.end,
    ...factsAt((crossing.threshold / 100) * limitCredits),
    projected: row.projected,
    noProjection:
      row.projected !== undefined
        ? undefined
        : budget.period === 'day'
          ? 'the day has only just begun'
          : 'fewer than 3 complete days of usage history',
    stepPercent: recurringStepPercent(budget, usdPerCredit),
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

const WEEKLY_VEO: BudgetConfig = {
  id: 'weekly-veo',
  period: 'week',
  model: 'veo3.1',
  limit: { credits: 150_000 },
  thresholds: [80, 100],
};
const QUARTERLY: BudgetConfig = {
  id: 'quarterly-studio',
  period: 'quarter',
  limit: { usd: 10_000 },
  thresholds: [80, 100],
  every: { percent: 25 },
};

export const budgetAlert = defineAlert<BudgetFinding>({
  kind: 'budget',
  evaluate({ input, overview }) {
    const today = utcDate(input.now);
    const runsOut = overview.balance.runsOutOn;
    return input.org.budgets.flatMap((budget, i) => {
      const row = overview.budgets[i];
      if (!row) return [];
      const finding = budgetFinding(budget, row, input.config.usdPerCredit, (lineCredits) => ({
        crossedOn: dayCumulativeReached(input.usage, row.start, today, lineCredits, budget.model) ?? today,
        byModel: spendByModel(input.usage, budget.model, row.start, today),
        balanceRunsOutOn: runsOut !== undefined && runsOut <= row.end ? runsOut : undefined,
      }));
      return finding ? [finding] : [];
    });
  },
  draft,
  samples: [
    {
      name: 'budget',
      severity: 'warning',
      finding: () =>
        sampleFinding({
          budget: MONTHLY,
          spent: 412_345,
          crossedOn: '2026-11-20',
          // The forecast sample's projection of the same budget: 412,345 + 19,850 a day × 8.6 days left.
          projected: Math.round(412_345 + 19_850 * (8 + 14.5 / 24)),
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
      finding: () =>
        sampleFinding({
          budget: VEO_DAILY,
          spent: 41_520,
          crossedOn: '2026-11-22',
          byModel: [{ model: 'veo3.1', credits: 41_520 }],
          // 41,520 in the 9.5 hours to 09:30, scaled to 24 hours.
          projected: Math.round(41_520 / (9.5 / 24)),
        }),
    },
    {
      // The first hour of a UTC day: a batch render spent 82% of the day budget by 00:30. The pace of half an
      // hour, scaled to 24, is the projection (the first quarter hour has none).
      name: 'budget-day-first-hour',
      severity: 'warning',
      now: new Date('2026-11-22T00:30:00.000Z'),
      finding: () =>
        sampleFinding({
          budget: VEO_DAILY,
          spent: 32_800,
          crossedOn: '2026-11-22',
          byModel: [{ model: 'veo3.1', credits: 32_800 }],
          // 32,800 in the first 0.5 of 24 hours.
          projected: Math.round(32_800 / (0.5 / 24)),
        }),
    },
    {
      name: 'budget-week',
      severity: 'warning',
      finding: () =>
        sampleFinding({
          budget: WEEKLY_VEO,
          spent: 124_600,
          crossedOn: '2026-11-21',
          byModel: [{ model: 'veo3.1', credits: 124_600 }],
          // Sunday is the week's last day: 124,600 + 18,000 a day × the 0.6 of today left.
          projected: Math.round(124_600 + 18_000 * (14.5 / 24)),
        }),
    },
    {
      name: 'budget-quarter-recurring',
      severity: 'critical',
      finding: () =>
        sampleFinding({
          budget: QUARTERLY,
          spent: 1_312_000,
          crossedOn: '2026-11-19',
          byModel: [
            { model: 'veo3.1', credits: 702_000 },
            { model: 'gen4.5', credits: 410_000 },
            { model: 'gen4_image', credits: 200_000 },
          ],
          projected: Math.round(1_312_000 + 19_850 * (39 + 14.5 / 24)),
        }),
    },
  ],
});

/**
 * A sample finding: `budget` at `spent` credits in its period of the sample day, through the rule's own
 * {@link budgetFinding}, so a sample states only what the usage would show and never what the rule derives.
 */
function sampleFinding(
  s: CrossingFacts & {
    readonly budget: BudgetConfig;
    readonly spent: number;
    readonly projected: number;
  },
): BudgetFinding {
  const { budget, spent } = s;
  const day = utcDate(SAMPLE_NOW);
  const limitCredits = limitInCredits(budget.limit, SAMPLE_USD_PER_CREDIT);
  const row = {
    periodKey: periodKey(budget.period, day),
    start: periodStart(budget.period, day),
    end: periodEnd(budget.period, day),
    spent,
    limitCredits,
    percent: percentOf(spent, limitCredits),
    projected: s.projected,
  };
  const finding = budgetFinding(budget, row, SAMPLE_USD_PER_CREDIT, () => s);
  if (!finding) throw new Error(`sample: budget ${budget.id} crosses no line at ${spent} credits`);
  return finding;
}
