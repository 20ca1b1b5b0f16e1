/**
 * `tier-cap`: credits used in the last 30 days reach a threshold of the tier's `maxMonthlyCreditSpend` (the
 * credits the tier may buy in any 30 days). Once per threshold × month; warning, critical at 100%.
 */
import { addDays, utcDate, utcMonth } from '../dates.ts';
import { roundCredits, spendBetween } from '../figures.ts';
import { formatCredits, formatDateRange, formatMoney, formatPercent, formatUsd, round2 } from '../format.ts';
import {
  type Draft,
  defineAlert,
  type FindingBase,
  type MessageContext,
  percentOf,
  RUNWAY_PAGES,
} from './alert.ts';
import { highestCrossed } from './thresholds.ts';

export interface TierCapFinding extends FindingBase {
  readonly kind: 'tier-cap';
  readonly used30d: number;
  readonly cap: number;
  readonly percent: number;
  readonly threshold: number;
  readonly from: string;
}

function draft(f: TierCapFinding, ctx: MessageContext): Draft {
  return {
    subject: `${formatPercent(f.percent)} of Runway tier cap used in 30 days — ${formatUsd(f.used30d, ctx.usdPerCredit)} of ${formatUsd(f.cap, ctx.usdPerCredit)}`,
    headline: `${ctx.orgName} has used ${formatCredits(f.used30d)} in the last 30 days, ${formatPercent(
      f.percent,
    )} of the ${formatCredits(f.cap)} its Runway tier allows it to buy in any 30 days. Past the cap, Runway refuses further credit purchases (including auto-recharge) until older purchases leave the window.`,
    facts: [
      ['Used, 30 days', formatMoney(f.used30d, ctx.usdPerCredit)],
      ['Window', `${formatDateRange(f.from, utcDate(ctx.now))} (today so far)`],
      ['Tier cap', `${formatMoney(f.cap, ctx.usdPerCredit)} per 30 days`],
      ['Used', `${formatPercent(f.percent)} (crossed the ${f.threshold}% alert line)`],
      f.used30d > f.cap
        ? ['Over cap by', formatMoney(f.used30d - f.cap, ctx.usdPerCredit)]
        : ['Room left', formatMoney(f.cap - f.used30d, ctx.usdPerCredit)],
    ],
    advice: [
      `If spend will keep this pace, request a tier upgrade or a limit exception on ${RUNWAY_PAGES.usage} now: upgrades unlock after cumulative purchases, and exceptions take time.`,
      'Make sure the current credit balance covers the coming days, since topping up may be refused once the cap is reached.',
      "This figure is credits used, the closest measure Runway's API offers; the cap itself counts credits bought.",
    ],
    data: {
      used30dCredits: f.used30d,
      capCredits: f.cap,
      percent: round2(f.percent),
      threshold: f.threshold,
      remainingCredits: Math.max(0, roundCredits(f.cap - f.used30d)),
      overCredits: Math.max(0, roundCredits(f.used30d - f.cap)),
      from: f.from,
      to: utcDate(ctx.now),
    },
  };
}

const WINDOW_FROM = addDays('2026-11-22', -29);

export const tierCapAlert = defineAlert<TierCapFinding>({
  kind: 'tier-cap',
  evaluate({ input }) {
    const cap = input.details.maxMonthlyCreditSpend;
    if (!(cap > 0)) return [];
    const today = utcDate(input.now);
    const from = addDays(today, -29);
    const used30d = spendBetween(input.usage, from, today);
    const percent = percentOf(used30d, cap);
    const crossing = highestCrossed(input.config.tierCapThresholds, percent);
    if (!crossing) return [];
    return [
      {
        kind: 'tier-cap',
        rule: 'max-monthly-credit-spend',
        period: utcMonth(today),
        level: String(crossing.threshold),
        severity: crossing.severity,
        covers: crossing.covers,
        summary: `${Math.floor(percent)}% of the tier's 30-day credit cap used`,
        used30d,
        cap,
        percent,
        threshold: crossing.threshold,
        from,
      },
    ];
  },
  draft,
  samples: [
    {
      name: 'tier-cap',
      severity: 'warning',
      finding: () => ({
        kind: 'tier-cap',
        rule: 'max-monthly-credit-spend',
        period: '2026-11',
        level: '80',
        severity: 'warning',
        covers: [],
        summary: "86% of the tier's 30-day credit cap used",
        used30d: 1_720_400,
        cap: 2_000_000,
        percent: (1_720_400 / 2_000_000) * 100,
        threshold: 80,
        from: WINDOW_FROM,
      }),
    },
    {
      name: 'tier-cap-critical',
      severity: 'critical',
      finding: () => ({
        kind: 'tier-cap',
        rule: 'max-monthly-credit-spend',
        period: '2026-11',
        level: '100',
        severity: 'critical',
        covers: ['80', '95'],
        summary: "100% of the tier's 30-day credit cap used",
        used30d: 2_004_100,
        cap: 2_000_000,
        percent: (2_004_100 / 2_000_000) * 100,
        threshold: 100,
        from: WINDOW_FROM,
      }),
    },
  ],
});
