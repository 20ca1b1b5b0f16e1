/**
 * `tier-cap`: the credits bought in the last 30 days reach a threshold of the tier's `maxMonthlyCreditSpend`
 * (the credits the tier may buy in any 30 days; autobilling recharges only up to what remains). Purchases are
 * inferred from balance changes; until the guard has watched the balance for 30 days, credits used stand in,
 * and the message says so. Once per threshold × month; warning, critical at 100%.
 */
import { addDays, utcMonth } from '../dates.ts';
import { CAP_WINDOW_DAYS, MIN_PURCHASE_CREDITS, roundCredits, type TierCapState } from '../figures.ts';
import {
  formatCredits,
  formatDate,
  formatDateRange,
  formatMoney,
  formatPercent,
  formatUsd,
  round2,
} from '../format.ts';
import { type Draft, defineAlert, type FindingBase, type MessageContext, RUNWAY_PAGES } from './alert.ts';
import { highestCrossed } from './thresholds.ts';

export interface TierCapFinding extends FindingBase, TierCapState {
  readonly kind: 'tier-cap';
  readonly threshold: number;
  /** The next threshold above, if any. */
  readonly nextThreshold?: number | undefined;
  /** The day the balance runs out at the current pace, if known. */
  readonly balanceRunsOutOn?: string | undefined;
}

/** What the cap figure counts, in words, for every message that shows it. */
export function capBasisText(t: TierCapState): string {
  return t.basis === 'purchases'
    ? `credits bought, inferred from balance changes (a rise of the balance beyond the credits used, of at least Runway's minimum purchase of ${formatCredits(MIN_PURCHASE_CREDITS)})`
    : `credits used, standing in for credits bought: the guard has watched the balance only since ${formatDate(
        t.watchStart ?? t.to,
      )}, so purchases count from ${formatDate(t.purchasesFrom ?? t.to)}${
        t.boughtSeen > 0 ? ` (${formatCredits(t.boughtSeen)} bought since it began watching)` : ''
      }`;
}

/** When the window fills at the current pace, in words. */
export function capFillText(t: TierCapState, usdPerCredit: number): string {
  const pace = `${formatUsd(t.pacePerDay, usdPerCredit)} a day of ${t.basis === 'purchases' ? 'purchases' : 'use'}`;
  if (t.cap > 0 && t.room <= 0) return 'now: Runway refuses purchases and autobilling does not recharge';
  if (t.fullOn === undefined) return `not within 30 days at ${pace}`;
  return `about ${formatDate(t.fullOn)} at ${pace}; autobilling stops recharging then`;
}

/** When room frees up, in words. */
export function capFreesText(t: TierCapState, usdPerCredit: number): string {
  if (t.basis === 'usage') return 'day by day, as the oldest of the 30 days leave the window';
  if (!t.frees) return 'no purchase in the window yet';
  return `${formatDate(t.frees.date)}, when ${formatUsd(t.frees.credits, usdPerCredit)} bought on ${formatDate(
    addDays(t.frees.date, -CAP_WINDOW_DAYS),
  )} leaves the window`;
}

function draft(f: TierCapFinding, ctx: MessageContext): Draft {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const money = (c: number) => formatMoney(c, ctx.usdPerCredit);
  const verb = f.basis === 'purchases' ? 'bought' : 'used';
  const over = f.counted - f.cap;
  const full = f.cap > 0 && f.room <= 0;
  return {
    subject: `${formatPercent(f.percent)} of Runway tier cap ${verb} in 30 days — ${usd(f.counted)} of ${usd(f.cap)}`,
    headline: `${ctx.orgName} has ${verb} ${formatCredits(f.counted)} in the last 30 days, ${formatPercent(
      f.percent,
    )} of the ${formatCredits(f.cap)} its Runway tier allows it to buy in any 30 days. ${
      full
        ? 'Runway now refuses credit purchases, and autobilling does not recharge, until older purchases leave the window.'
        : 'Past the cap, Runway refuses further credit purchases and autobilling stops recharging, until older purchases leave the window.'
    }${f.basis === 'usage' ? ' This count is credits used, standing in for purchases while the guard has watched the balance for less than 30 days.' : ''}`,
    facts: [
      [f.basis === 'purchases' ? 'Bought, 30 days' : 'Used, 30 days', money(f.counted)],
      ['Window', `${formatDateRange(f.from, f.to)} (today so far)`],
      ['Tier cap', `${money(f.cap)} per 30 days`],
      ['Counted', `${formatPercent(f.percent)} (crossed the ${f.threshold}% alert line)`],
      over > 0 ? ['Over cap by', money(over)] : ['Room left', money(f.room)],
      ['Cap full', capFillText(f, ctx.usdPerCredit)],
      ['Room frees', capFreesText(f, ctx.usdPerCredit)],
      ['Basis', capBasisText(f)],
    ],
    advice: [
      full
        ? `Until room frees up, the balance cannot be topped up: request a tier upgrade or a limit exception on ${RUNWAY_PAGES.usage} now, and slow the most expensive models if the balance will not last.`
        : `If purchases keep this pace, request a tier upgrade or a limit exception on ${RUNWAY_PAGES.usage}${
            f.fullOn ? ` before ${formatDate(f.fullOn)}` : ''
          }: upgrades unlock after cumulative purchases, and exceptions take time.`,
      f.balanceRunsOutOn
        ? `The balance runs out about ${formatDate(f.balanceRunsOutOn)} at the current pace: buy what the cap still allows (${usd(f.room)}) on ${RUNWAY_PAGES.billing} before it fills.`
        : 'Make sure the current credit balance covers the coming days, since topping up may be refused once the cap is reached.',
    ],
    footer: `You get this alert once per month and alert line (${f.nextThreshold === undefined ? 'this is the last line' : `the next comes at ${f.nextThreshold}%`}).`,
    data: {
      basis: f.basis,
      countedCredits: f.counted,
      ...(f.basis === 'purchases' ? { bought30dCredits: f.counted } : { used30dCredits: f.counted }),
      capCredits: f.cap,
      percent: round2(f.percent),
      threshold: f.threshold,
      remainingCredits: f.room,
      overCredits: Math.max(0, roundCredits(over)),
      from: f.from,
      to: f.to,
      watchStart: f.watchStart ?? null,
      purchasesFrom: f.purchasesFrom ?? null,
      boughtSeenCredits: f.boughtSeen,
      pacePerDayCredits: round2(f.pacePerDay),
      fullOn: f.fullOn ?? null,
      frees: f.frees ?? null,
      balanceRunsOutOn: f.balanceRunsOutOn ?? null,
    },
  };
}

export const tierCapAlert = defineAlert<TierCapFinding>({
  kind: 'tier-cap',
  evaluate({ input, overview }) {
    const state = overview.tierCap;
    if (!(state.cap > 0)) return [];
    const crossing = highestCrossed(input.config.tierCapThresholds, state.percent);
    if (!crossing) return [];
    return [
      {
        kind: 'tier-cap',
        rule: 'max-monthly-credit-spend',
        period: utcMonth(input.now),
        level: String(crossing.threshold),
        severity: crossing.severity,
        covers: crossing.covers,
        summary: `${formatPercent(state.percent)} of the tier's 30-day purchase cap ${state.basis === 'purchases' ? 'bought' : 'used (purchases not yet known)'}`,
        ...state,
        threshold: crossing.threshold,
        nextThreshold: crossing.next,
        balanceRunsOutOn: overview.balance.runsOutOn,
      },
    ];
  },
  draft,
  samples: [
    {
      // Bought in the 30 days Sat 24 Oct – Sun 22 Nov: 300,000 on 5 Nov, 600,000 on 12 Nov, 820,400 in four
      // later top-ups.
      name: 'tier-cap',
      severity: 'warning',
      finding: () =>
        sampleFinding({
          severity: 'warning',
          covers: [],
          summary: "86% of the tier's 30-day purchase cap bought",
          threshold: 80,
          nextThreshold: 95,
          basis: 'purchases',
          counted: 1_720_400,
          watchStart: '2026-08-01',
          purchasesFrom: '2026-08-31',
          boughtSeen: 1_720_400,
          // 279,600 / 57,347 a day = 4.9 → the 5th day.
          fullOn: '2026-11-27',
          frees: { date: '2026-12-05', credits: 300_000 },
        }),
    },
    {
      name: 'tier-cap-critical',
      severity: 'critical',
      finding: () =>
        sampleFinding({
          severity: 'critical',
          covers: ['80', '95'],
          summary: "100% of the tier's 30-day purchase cap bought",
          threshold: 100,
          basis: 'purchases',
          counted: 2_000_000,
          watchStart: '2026-08-01',
          purchasesFrom: '2026-08-31',
          boughtSeen: 2_000_000,
          fullOn: '2026-11-22',
          frees: { date: '2026-11-26', credits: 500_000 },
          balanceRunsOutOn: '2026-11-24',
        }),
    },
    {
      name: 'tier-cap-short-history',
      severity: 'warning',
      finding: () =>
        sampleFinding({
          severity: 'warning',
          covers: [],
          summary: "86% of the tier's 30-day purchase cap used (purchases not yet known)",
          threshold: 80,
          nextThreshold: 95,
          basis: 'usage',
          counted: 1_720_400,
          watchStart: '2026-11-10',
          purchasesFrom: '2026-12-10',
          boughtSeen: 500_000,
          fullOn: '2026-11-27',
        }),
    },
  ],
});

/** The samples' cap: 2,000,000 credits over the 30 days Sat 24 Oct – Sun 22 Nov. */
const SAMPLE_CAP = 2_000_000;

/**
 * A sample finding of the cap in November at `threshold`, `counted` of the samples' cap counted: the room, the
 * percent and the pace (over 30 days) follow from it.
 */
function sampleFinding(
  s: Omit<
    TierCapFinding,
    'kind' | 'rule' | 'period' | 'level' | 'cap' | 'from' | 'to' | 'percent' | 'room' | 'pacePerDay'
  >,
): TierCapFinding {
  return {
    kind: 'tier-cap',
    rule: 'max-monthly-credit-spend',
    period: '2026-11',
    level: String(s.threshold),
    cap: SAMPLE_CAP,
    percent: (s.counted / SAMPLE_CAP) * 100,
    room: SAMPLE_CAP - s.counted,
    from: '2026-10-24',
    to: '2026-11-22',
    pacePerDay: s.counted / 30,
    ...s,
  };
}
