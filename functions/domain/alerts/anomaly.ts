/**
 * `anomaly`: a day's spend (in total, or of one model) exceeds `anomaly.multiple` × the median of the
 * previous 14 days and `anomaly.floorCredits`. Yesterday is checked too: its last hours, or a restatement, may
 * arrive after its last run. Once per scope × UTC day; warning.
 */
import { addDays, daysBetween, utcDate } from '../dates.ts';
import { median, roundCredits, spendOn } from '../figures.ts';
import { formatCredits, formatDate, formatDateRange, formatMoney, formatUsd, round2 } from '../format.ts';
import {
  CONFIG_PLACE,
  type Draft,
  defineAlert,
  type FindingBase,
  type MessageContext,
  modelRule,
  RUNWAY_PAGES,
} from './alert.ts';

export interface AnomalyFinding extends FindingBase {
  readonly kind: 'anomaly';
  /** The day with the unusual spend. */
  readonly date: string;
  /** `total` or a model name. */
  readonly scope: string;
  readonly spend: number;
  readonly median: number;
  readonly multiple: number;
  readonly floorCredits: number;
  /** First day of the baseline the median is taken over (the day before `date` is its last). */
  readonly baselineFrom?: string | undefined;
  /** The model whose spend rose most over its own median. */
  readonly driver: { readonly model: string; readonly spend: number; readonly median: number };
}

/** Days before `date` the anomaly rule compares against, and how many must be known. */
const BASELINE_DAYS = 14;
const MIN_KNOWN_DAYS = 7;
/** The organization-wide rule; per-model rules never equal it (`modelRule`). */
const TOTAL_RULE = 'total';

function ratioText(value: number, base: number): string {
  return base > 0 ? `${(value / base).toFixed(1)}×` : 'far above';
}

function draft(f: AnomalyFinding, ctx: MessageContext): Draft {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const ratio = ratioText(f.spend, f.median);
  const scope = f.scope === 'total' ? 'total spend' : `${f.scope} spend`;
  const today = utcDate(ctx.now);
  const when =
    f.date === today
      ? `${formatDate(f.date)} (today, so far)`
      : f.date === addDays(today, -1)
        ? `${formatDate(f.date)} (yesterday)`
        : formatDate(f.date);
  const baseline =
    f.baselineFrom !== undefined
      ? `median of the ${daysBetween(f.baselineFrom, f.date)} days ${formatDateRange(f.baselineFrom, addDays(f.date, -1))}`
      : 'median of the previous 14 days';
  return {
    subject: `unusual ${f.scope === 'total' ? 'spend' : `${f.scope} spend`} on ${formatDate(f.date).slice(4)} — ${usd(f.spend)}, ${ratio} usual`,
    headline: `${ctx.orgName}'s ${scope} on ${when} is ${usd(f.spend)}, ${ratio} the usual day (${usd(
      f.median,
    )}) and ${usd(f.spend - f.median)} above it. ${f.driver.model} drove it: ${usd(f.driver.spend)} against a usual ${usd(f.driver.median)}.`,
    facts: [
      ['Day', when],
      ['Spend', formatMoney(f.spend, ctx.usdPerCredit)],
      ['Usual day', `${formatMoney(f.median, ctx.usdPerCredit)}, the ${baseline}`],
      ['Above usual', formatMoney(f.spend - f.median, ctx.usdPerCredit)],
      ['Driven by', `${f.driver.model}: ${usd(f.driver.spend)} (usual ${usd(f.driver.median)})`],
      ['Alert rule', `over ${f.multiple}× the usual day and over ${formatCredits(f.floorCredits)}`],
    ],
    advice: [
      `Ask the team that runs ${f.driver.model} whether this is planned (a launch, a batch job) or a runaway loop or leaked key; if it is not planned, slow or stop those jobs now.`,
      `If a key may have leaked, revoke or rotate it on ${RUNWAY_PAGES.keys}; per-key usage is on the portal's Usage page.`,
      `If this is the new normal, raise the affected budgets, or anomaly.floorCredits, in ${CONFIG_PLACE}.`,
    ],
    footer: 'You get this alert at most once per day of spend and scope (the total, or one model).',
    data: {
      date: f.date,
      scope: f.scope,
      spendCredits: f.spend,
      medianCredits: f.median,
      aboveMedianCredits: roundCredits(f.spend - f.median),
      ratio: f.median > 0 ? round2(f.spend / f.median) : null,
      baselineFrom: f.baselineFrom ?? null,
      multiple: f.multiple,
      floorCredits: f.floorCredits,
      driver: f.driver,
    },
  };
}

export const anomalyAlert = defineAlert<AnomalyFinding>({
  kind: 'anomaly',
  evaluate({ input }) {
    const { multiple, floorCredits } = input.config.anomaly;
    const today = utcDate(input.now);
    const out: AnomalyFinding[] = [];
    for (const date of [addDays(today, -1), today]) {
      let baselineFrom = addDays(date, -BASELINE_DAYS);
      if (baselineFrom < input.historyStart) baselineFrom = input.historyStart;
      if (daysBetween(baselineFrom, date) < MIN_KNOWN_DAYS) continue;
      const baselineOf = (model?: string) => {
        const values: number[] = [];
        for (let d = baselineFrom; d < date; d = addDays(d, 1)) values.push(spendOn(input.usage, d, model));
        return median(values);
      };
      const isAnomalous = (spend: number, med: number) => spend > multiple * med && spend > floorCredits;
      const models = Object.keys(input.usage.get(date)?.credits ?? {}).sort();
      const perModel = models.map((model) => ({
        model,
        spend: spendOn(input.usage, date, model),
        median: baselineOf(model),
      }));
      const driver = [...perModel].sort((a, b) => b.spend - b.median - (a.spend - a.median))[0];
      if (!driver) continue;
      const totalSpend = spendOn(input.usage, date);
      const totalMedian = baselineOf();
      const common = {
        kind: 'anomaly',
        period: date,
        level: 'spike',
        severity: 'warning',
        covers: [],
      } as const;
      if (isAnomalous(totalSpend, totalMedian)) {
        out.push({
          ...common,
          rule: TOTAL_RULE,
          summary: `spend on ${date} is ${ratioText(totalSpend, totalMedian)} the usual day, driven by ${driver.model}`,
          date,
          scope: 'total',
          spend: totalSpend,
          median: totalMedian,
          multiple,
          floorCredits,
          baselineFrom,
          driver,
        });
        continue;
      }
      for (const m of perModel.filter((p) => isAnomalous(p.spend, p.median))) {
        out.push({
          ...common,
          rule: modelRule(m.model, [TOTAL_RULE]),
          summary: `${m.model} spend on ${date} is ${ratioText(m.spend, m.median)} its usual day`,
          date,
          scope: m.model,
          spend: m.spend,
          median: m.median,
          multiple,
          floorCredits,
          baselineFrom,
          driver: m,
        });
      }
    }
    return out;
  },
  draft,
  samples: [
    {
      name: 'anomaly',
      severity: 'warning',
      finding: () => ({
        kind: 'anomaly',
        rule: 'total',
        period: '2026-11-21',
        level: 'spike',
        severity: 'warning',
        covers: [],
        summary: 'spend on 2026-11-21 is 3.2× the usual day, driven by veo3.1',
        date: '2026-11-21',
        scope: 'total',
        spend: 61_300,
        median: 18_900,
        multiple: 3,
        floorCredits: 1000,
        baselineFrom: '2026-11-07',
        driver: { model: 'veo3.1', spend: 48_100, median: 9_400 },
      }),
    },
  ],
});
