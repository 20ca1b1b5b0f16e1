/**
 * `balance`: the credit balance is below `lowBalance.credits`, or below `lowBalance.days` of mean daily
 * spend. One alert per episode: the episode re-arms once both floors clear. Critical.
 */
import { utcDate } from '../dates.ts';
import { type BurnRate, burnRate, runOutDate } from '../figures.ts';
import {
  dayCount,
  formatCredits,
  formatDate,
  formatDateRange,
  formatHourKey,
  formatInstant,
  formatMoney,
  formatUsd,
  round2,
} from '../format.ts';
import type { BalanceEpisode } from '../types.ts';
import {
  type Draft,
  defineAlert,
  type FindingBase,
  type MessageContext,
  RUNWAY_PAGES,
  type RuleInput,
  SAMPLE_NOW,
} from './alert.ts';

/** The balance against its floors: the `balance` rule, the status and the digest read the same figures. */
export interface BalanceState {
  readonly balance: number;
  readonly floorCredits?: number | undefined;
  readonly floorDays?: number | undefined;
  readonly burn: BurnRate;
  /** Days the balance lasts at the current burn; undefined when nothing is being spent. */
  readonly daysLeft?: number | undefined;
  readonly runsOutOn?: string | undefined;
  /** Which floors are breached. */
  readonly breached: readonly ('credits' | 'days')[];
  /** Credits to buy to get back above both floors plus 30 days of burn. */
  readonly creditsNeeded: number;
  /** Room left under the tier's 30-day purchase cap (see the overview's `tierCap` for its basis). */
  readonly capLeft: number;
  /** What `capLeft` is measured on: credits bought (inferred), or credits used while history is short. */
  readonly capBasis?: 'purchases' | 'usage' | undefined;
}

export interface BalanceFinding extends FindingBase, BalanceState {
  readonly kind: 'balance';
}

/** Balance floors: evaluated for the status, the digest and the `balance` rule alike. */
export function evaluateBalance(
  input: RuleInput,
  cap: { readonly room: number; readonly basis: 'purchases' | 'usage' },
): BalanceState {
  const today = utcDate(input.now);
  const burn = burnRate(input.usage, today, input.historyStart);
  const balance = input.details.creditBalance;
  const floorCredits = input.org.lowBalance?.credits;
  const floorDays = input.org.lowBalance?.days;
  const breached: ('credits' | 'days')[] = [];
  if (floorCredits !== undefined && balance < floorCredits) breached.push('credits');
  if (floorDays !== undefined && burn.meanDaily > 0 && balance < floorDays * burn.meanDaily)
    breached.push('days');
  const daysLeft = burn.meanDaily > 0 ? Math.max(0, balance / burn.meanDaily) : undefined;
  const target =
    Math.max(floorCredits ?? 0, (floorDays ?? 0) * burn.meanDaily) + 30 * Math.max(0, burn.meanDaily);
  return {
    balance,
    floorCredits,
    floorDays,
    burn,
    daysLeft,
    runsOutOn: runOutDate(balance, burn.meanDaily, input.now),
    breached,
    creditsNeeded: Math.max(0, Math.ceil(target - balance)),
    capLeft: cap.room,
    capBasis: cap.basis,
  };
}

/** The episode a balance finding opens or continues; undefined when the balance is above its floors. */
export function balanceEpisodeOf(findings: readonly FindingBase[]): BalanceEpisode | undefined {
  const finding = findings.find((f) => f.kind === 'balance');
  return finding ? { since: finding.period } : undefined;
}

/** When the balance runs out, in words; unknown (and why) rather than never when there is no basis. */
export function runsOutText(b: BalanceState): string {
  if (b.runsOutOn && b.daysLeft !== undefined)
    return `about ${formatDate(b.runsOutOn)} (${dayCount(b.daysLeft)} of spend left)`;
  if (b.burn.basisDays === 0) return 'unknown: no complete day of usage history yet';
  return `not at the current pace: no net spend over the ${b.burn.basisDays} complete ${b.burn.basisDays === 1 ? 'day' : 'days'} ${formatDateRange(b.burn.from, b.burn.to)}`;
}

/**
 * When the episode began: the check itself when this run opened it (`2026-11-22 23:50 UTC`), else the hour
 * its key names.
 */
function lowSinceText(period: string, now: Date): string {
  const iso = now.toISOString();
  // An episode is keyed by the instant of the check that opened it (older episodes by its UTC hour).
  if (period === iso || (period.length <= 13 && iso.startsWith(period)))
    return `${formatInstant(iso)} (this check)`;
  return period.length > 13
    ? `${formatInstant(period)} (the first check that saw it)`
    : `the check in the hour from ${formatHourKey(period)} (the first that saw it)`;
}

/** Whether the tier's 30-day purchase cap leaves room to buy `needed` credits, in words. */
export function capRoomText(
  needed: number,
  capLeft: number,
  usdPerCredit: number,
  basis: 'purchases' | 'usage' = 'purchases',
): string {
  const room = `about ${formatMoney(capLeft, usdPerCredit)} can be bought now under the tier's 30-day purchase cap${
    basis === 'usage'
      ? ' (estimated from credits used: the guard has not yet watched purchases for 30 days)'
      : ''
  }`;
  if (needed <= 0) return room;
  return needed <= capLeft
    ? `${room}: enough for that purchase`
    : `${room}: NOT enough, ${formatUsd(needed - capLeft, usdPerCredit)} short (the room grows as older purchases leave the 30-day window)`;
}

function draft(f: BalanceFinding, ctx: MessageContext): Draft {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const why = f.breached
    .map((b) =>
      b === 'credits'
        ? `below its floor of ${formatMoney(f.floorCredits ?? 0, ctx.usdPerCredit)}`
        : `less than ${f.floorDays} days of spend at the current ${usd(f.burn.meanDaily)} a day`,
    )
    .join(' and ');
  const capOk = f.creditsNeeded <= f.capLeft;
  const runsOut = f.runsOutOn
    ? ` At the current pace it runs out on about ${formatDate(f.runsOutOn)}, and then Runway stops accepting new generation tasks.`
    : ' When it reaches zero, Runway stops accepting new generation tasks.';
  return {
    subject: `credit balance low — ${usd(f.balance)} left${
      f.runsOutOn ? `, runs out ~${formatDate(f.runsOutOn).slice(4)}` : ''
    }`,
    headline: `${ctx.orgName}'s prepaid Runway balance is ${formatMoney(f.balance, ctx.usdPerCredit)}, ${why}.${runsOut}`,
    facts: [
      ['Balance', formatMoney(f.balance, ctx.usdPerCredit)],
      ['Low since', lowSinceText(f.period, ctx.now)],
      [
        'Spend rate',
        f.burn.basisDays > 0
          ? `${usd(f.burn.meanDaily)} a day (mean of the ${f.burn.basisDays} complete days ${formatDateRange(f.burn.from, f.burn.to)})`
          : 'no complete day of history yet',
      ],
      ['Runs out', runsOutText(f)],
      [
        'Floors',
        [
          f.floorCredits !== undefined ? formatCredits(f.floorCredits) : '',
          f.floorDays !== undefined ? `${f.floorDays} days of spend` : '',
        ]
          .filter(Boolean)
          .join(', '),
      ],
      [
        'To buy',
        f.burn.basisDays > 0
          ? `${formatMoney(f.creditsNeeded, ctx.usdPerCredit)} covers the floors plus 30 days of spend`
          : `${formatMoney(f.creditsNeeded, ctx.usdPerCredit)} reaches the floors; 30 days of spend unknown (no complete day of usage history yet)`,
      ],
      ['Tier room', capRoomText(f.creditsNeeded, f.capLeft, ctx.usdPerCredit, f.capBasis)],
    ],
    advice: [
      `Buy credits on ${RUNWAY_PAGES.billing}: ${usd(f.creditsNeeded)} keeps the balance above the floors for the next 30 days at the current pace.`,
      capOk
        ? "The tier's 30-day purchase cap leaves room for that purchase."
        : `That is more than the roughly ${usd(f.capLeft)} the tier's 30-day purchase cap still allows: buy ${usd(
            f.capLeft,
          )} now and request a tier upgrade or a limit exception on ${RUNWAY_PAGES.usage}, or slow the most expensive models until the cap frees up.`,
    ],
    footer:
      'You get this alert once per low-balance episode; it can come again after the balance has been back above the floors.',
    data: {
      creditBalance: f.balance,
      since: f.period,
      floorCredits: f.floorCredits ?? null,
      floorDays: f.floorDays ?? null,
      breached: f.breached,
      meanDailyCredits: round2(f.burn.meanDaily),
      basisDays: f.burn.basisDays,
      basisFrom: f.burn.basisDays > 0 ? f.burn.from : null,
      basisTo: f.burn.basisDays > 0 ? f.burn.to : null,
      daysLeft: f.daysLeft === undefined ? null : round2(f.daysLeft),
      runsOutOn: f.runsOutOn ?? null,
      creditsNeeded: f.creditsNeeded,
      capLeftCredits: f.capLeft,
      capAllowsTopUp: capOk,
      capBasis: f.capBasis ?? 'purchases',
    },
  };
}

/** `credit balance below its floor (3 days of spend left)`. */
function balanceSummary(daysLeft: number | undefined): string {
  return daysLeft === undefined
    ? 'credit balance below its floor'
    : `credit balance below its floor (${dayCount(daysLeft)} of spend left)`;
}

/** The sample's balance and burn: 38,200 credits at 19,850 a day. */
const SAMPLE_BALANCE = 38_200;
const SAMPLE_MEAN_DAILY = 19_850;

export const balanceAlert = defineAlert<BalanceFinding>({
  kind: 'balance',
  evaluate({ input, overview }) {
    const state = overview.balance;
    if (state.breached.length === 0) return [];
    // A new episode is keyed by the instant of the run that opened it: unique per episode, so a balance that
    // is topped up and goes low again within the hour is announced again.
    const episode = input.balanceEpisode ?? { since: input.now.toISOString() };
    return [
      {
        kind: 'balance',
        rule: 'low-balance',
        period: episode.since,
        level: 'critical',
        severity: 'critical',
        covers: [],
        summary: balanceSummary(state.daysLeft),
        ...state,
      },
    ];
  },
  draft,
  samples: [
    {
      // 38,200 credits against floors of 50,000 credits and 7 days × 19,850 = 138,950 credits.
      name: 'balance',
      severity: 'critical',
      finding: () => ({
        kind: 'balance',
        rule: 'low-balance',
        period: '2026-11-22T09',
        level: 'critical',
        severity: 'critical',
        covers: [],
        summary: balanceSummary(SAMPLE_BALANCE / SAMPLE_MEAN_DAILY),
        balance: SAMPLE_BALANCE,
        floorCredits: 50_000,
        floorDays: 7,
        burn: { meanDaily: SAMPLE_MEAN_DAILY, basisDays: 7, from: '2026-11-15', to: '2026-11-21' },
        daysLeft: SAMPLE_BALANCE / SAMPLE_MEAN_DAILY,
        // 1.92 days from 09:30: into the 24th.
        runsOutOn: runOutDate(SAMPLE_BALANCE, SAMPLE_MEAN_DAILY, SAMPLE_NOW),
        breached: ['credits', 'days'],
        // max(50,000, 138,950) + 30 × 19,850 − 38,200.
        creditsNeeded: 696_250,
        // 2,000,000 − 1,720,400 bought in the last 30 days.
        capLeft: 279_600,
        capBasis: 'purchases',
      }),
    },
  ],
});
