/**
 * `digest`: the first run at or after `digest.hourUtc` sends the whole organization at a glance — balance and
 * days left, tier cap, per-model quotas, budgets, yesterday against the day before and a week earlier, a
 * 14-day sparkline, and the open issues. Once per UTC day; info. Not a condition: it never sets the status.
 */
import { addDays, dateRange, utcDate } from '../dates.ts';
import { indexUsage } from '../figures.ts';
import {
  dayCount,
  formatDate,
  formatDateRange,
  formatMoney,
  formatNumber,
  formatPercent,
  formatUsd,
  round2,
  sparkline,
} from '../format.ts';
import { computeOverview, type Overview } from '../overview.ts';
import { formatBudgetTable, formatModelTable } from '../overview-tables.ts';
import { bullet, formatTable, TEXT_WIDTH, wrap } from '../text-layout.ts';
import type { UsageDay } from '../types.ts';
import {
  type Draft,
  defineAlert,
  type FindingBase,
  type MessageContext,
  RUNWAY_PAGES,
  SAMPLE_NOW,
} from './alert.ts';
import { capRoomText, runsOutText } from './balance.ts';
import { daysLeftText } from './forecast.ts';
import { capFillText } from './tier-cap.ts';

export interface DigestFinding extends FindingBase {
  readonly kind: 'digest';
  readonly overview: Overview;
  /** One line per open issue (the summaries of this run's warning and critical findings). */
  readonly active: readonly string[];
}

/** The digest finding of `overview`'s day. */
export function digestFinding(overview: Overview, active: readonly string[]): DigestFinding {
  return {
    kind: 'digest',
    rule: 'daily',
    period: overview.today,
    level: 'info',
    severity: 'info',
    covers: [],
    summary: 'daily digest',
    overview,
    active,
  };
}

function draft(f: DigestFinding, ctx: MessageContext): Draft {
  const o = f.overview;
  const active = f.active;
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const money = (c: number) => formatMoney(c, ctx.usdPerCredit);
  const { yesterday, dayBefore, sameDayLastWeek } = o.comparison;
  const versus = (b: number) => {
    if (b === 0) return '';
    const change = Math.round(((yesterday.credits - b) / Math.abs(b)) * 100);
    return `${change >= 0 ? '+' : ''}${change}%`;
  };
  const bal = o.balance;
  const daysLeft = bal.daysLeft;
  const hasFloors = bal.floorCredits !== undefined || bal.floorDays !== undefined;
  const last14To = addDays(o.today, -1);

  const day = (label: string, date: string) => `${label} (${formatDate(date).slice(0, -5)})`;
  // Days before the guard's history starts are unknown: shown as such, never as 0.
  const watched = (date: string) => o.historyStart === undefined || date >= o.historyStart;
  const unknownWhy = `unknown: the guard's usage history starts ${o.historyStart ? formatDate(o.historyStart) : 'later'}`;
  const row = (label: string, date: string, credits: number, vs: string) =>
    watched(date)
      ? [day(label, date), usd(credits), formatNumber(credits), vs]
      : [day(label, date), 'unknown', '', ''];
  const yesterdayKnown = watched(yesterday.date);
  const last14Known = dateRange(o.last14.from, last14To).map(watched);
  const dailyTable = formatTable(
    ['Day', 'Dollars', 'Credits', 'Yesterday vs'],
    [
      row('Yesterday', yesterday.date, yesterday.credits, ''),
      row('Day before', dayBefore.date, dayBefore.credits, yesterdayKnown ? versus(dayBefore.credits) : ''),
      row(
        'Same day last week',
        sameDayLastWeek.date,
        sameDayLastWeek.credits,
        yesterdayKnown ? versus(sameDayLastWeek.credits) : '',
      ),
    ],
  );
  const known14 = o.last14.values.filter((_, i) => last14Known[i]);
  const spendRange = known14.length
    ? `low ${usd(Math.min(...known14))}, high ${usd(Math.max(...known14))} a day${
        known14.length < o.last14.values.length ? ` (the ${dayCount(known14.length)} watched)` : ''
      }`
    : '';
  const yesterdaySpent = yesterdayKnown
    ? `${usd(yesterday.credits)} spent yesterday`
    : "yesterday's spend unknown";
  const capShort = bal.creditsNeeded > bal.capLeft;
  const advice = digestAdvice(o, ctx, capShort);
  return {
    subject: `daily digest — ${yesterdaySpent}, balance ${usd(o.creditBalance)}${
      daysLeft !== undefined ? ` (${daysLeft < 1 ? 'under a day' : `~${dayCount(daysLeft)}`})` : ''
    }`,
    headline: `Daily Runway spend digest for ${ctx.orgName}, ${formatDate(o.today)}: ${
      yesterdayKnown
        ? yesterdaySpent
        : `yesterday's spend is unknown (the guard's usage history starts ${formatDate(o.historyStart ?? o.today)})`
    }, ${usd(o.monthToDate)} so far this month${yesterdayKnown ? '' : ' (as far as the guard has seen)'}. ${
      active.length
        ? `${active.length} open ${active.length === 1 ? 'issue' : 'issues'}, listed under "Needs attention".`
        : advice.length
          ? 'Nothing has crossed an alert line; see "What to do" for what is coming.'
          : 'Nothing needs attention.'
    }`,
    facts: [
      ['Balance', money(o.creditBalance)],
      [
        'Runs out',
        daysLeft === undefined || bal.runsOutOn === undefined
          ? runsOutText(bal)
          : `about ${formatDate(bal.runsOutOn)}: ${dayCount(daysLeft)} at ${usd(bal.burn.meanDaily)} a day (mean of the last ${bal.burn.basisDays} complete ${bal.burn.basisDays === 1 ? 'day' : 'days'})`,
      ],
      [
        'To buy',
        bal.burn.basisDays === 0
          ? 'unknown: no complete day of usage history yet to size 30 days of spend'
          : bal.creditsNeeded > 0
            ? `${money(bal.creditsNeeded)} covers the next 30 days of spend${hasFloors ? ' and the balance floors' : ''}`
            : `nothing: the balance covers the next 30 days at ${usd(Math.max(0, bal.burn.meanDaily))} a day${hasFloors ? ' and its floors' : ''}`,
      ],
      ['Tier room', capRoomText(bal.creditsNeeded, bal.capLeft, ctx.usdPerCredit, bal.capBasis)],
      ['Tier cap', `${money(o.maxMonthlyCreditSpend)} per 30 days`],
      [
        o.tierCap.basis === 'purchases' ? 'Bought, 30 days' : 'Used, 30 days',
        `${money(o.tierCap.counted)}, ${formatPercent(o.tierCap.percent)} of the cap${
          o.tierCap.basis === 'usage'
            ? o.tierCap.purchasesFrom === undefined
              ? ' (credits used: the guard has not watched purchases yet)'
              : ` (credits used until purchases are known, from ${formatDate(o.tierCap.purchasesFrom)})`
            : ''
        }`,
      ],
      ['Cap full', capFillText(o.tierCap, ctx.usdPerCredit)],
      ['Month to date', money(o.monthToDate)],
      [
        'Month forecast',
        o.forecast
          ? `${money(o.forecast.projected)}, at ${usd(o.forecast.burn.meanDaily)} a day for the ${daysLeftText(o.forecast)}`
          : 'unknown: needs 3 complete days of usage history',
      ],
    ],
    sections: [
      ...(active.length ? [{ title: 'Needs attention', lines: active.flatMap((a) => bullet(a)) }] : []),
      {
        title: 'Daily spend',
        lines: [
          ...dailyTable,
          '',
          known14.length
            ? `  Last 14 days  ${sparkline(known14)}  ${formatDateRange(
                last14Known.every(Boolean) ? o.last14.from : (o.historyStart ?? o.last14.from),
                last14To,
              )}`
            : `  Last 14 days  ${unknownWhy}`,
          ...(spendRange ? [`                ${spendRange}`] : []),
        ],
      },
      { title: 'Budgets', lines: formatBudgetTable(o.budgets, ctx.usdPerCredit) },
      {
        title: "Models (generations in Runway's rolling daily window)",
        lines: [
          ...formatModelTable(o.models),
          ...wrap(
            `Concurrent: generations that may run at once. Daily limit, Used, Left: generations per rolling 24 hours. unlimited: Runway sets no limit.${
              o.models.some((m) => !m.inTier)
                ? ' not in tier: used today, but the tier Runway returned does not list the model.'
                : ''
            }`,
            TEXT_WIDTH,
            '  ',
          ),
        ],
      },
    ],
    advice,
    footer: 'You get this digest once a day, with the first check at or after the configured hour (UTC).',
    data: {
      date: o.today,
      creditBalance: o.creditBalance,
      meanDailyCredits: round2(bal.burn.meanDaily),
      basisDays: bal.burn.basisDays,
      daysLeft: daysLeft === undefined ? null : round2(daysLeft),
      runsOutOn: bal.runsOutOn ?? null,
      creditsNeeded: bal.creditsNeeded,
      capLeftCredits: bal.capLeft,
      capAllowsTopUp: bal.creditsNeeded <= bal.capLeft,
      monthToDateCredits: o.monthToDate,
      forecastMonthCredits: o.forecast?.projected ?? null,
      maxMonthlyCreditSpend: o.maxMonthlyCreditSpend,
      used30dCredits: o.used30d,
      capBasis: o.tierCap.basis,
      capCountedCredits: o.tierCap.counted,
      capPercent: round2(o.capPercent),
      capFullOn: o.tierCap.fullOn ?? null,
      budgets: o.budgets.map((b) => ({
        id: b.id,
        period: b.period,
        model: b.model ?? null,
        spentCredits: b.spent,
        limitCredits: b.limitCredits,
        percent: round2(b.percent),
        periodKey: b.periodKey,
        projectedCredits: b.projected ?? null,
      })),
      models: o.models.map((m) => ({ ...m, percent: m.percent === null ? null : round2(m.percent) })),
      yesterday,
      dayBefore,
      sameDayLastWeek,
      last14: { from: o.last14.from, to: last14To, values: o.last14.values },
      active,
    },
  };
}

/**
 * What to do, from the whole state: every budget projected past its limit, a balance that runs out within
 * 30 days, and a tier cap that is short or fills. Empty only when none of them holds.
 */
function digestAdvice(o: Overview, ctx: MessageContext, capShort: boolean): string[] {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const out: string[] = [];
  for (const b of o.budgets) {
    if (b.projected === undefined || b.projectedPercent === undefined || b.projectedPercent < 100) continue;
    const end = b.period === 'day' ? 'the end of the day' : formatDate(b.end);
    out.push(
      b.percent >= 100
        ? `Budget "${b.id}" is used up (${formatPercent(b.percent)}) and heads for about ${usd(b.projected)} by ${end}: slow the heaviest models or accept the overspend.`
        : `Budget "${b.id}" is projected at about ${usd(b.projected)} by ${end}, ${formatPercent(b.projectedPercent)} of its ${usd(b.limitCredits)} limit: slow the heaviest models, or raise the limit if the spend is planned.`,
    );
  }
  const bal = o.balance;
  if (capShort) {
    out.push(
      `The balance needs more credits than the tier's 30-day purchase cap lets you buy now: buy what the cap allows on ${RUNWAY_PAGES.billing}, and request a tier upgrade or limit exception on the portal's Usage page${
        bal.runsOutOn ? ` before ${formatDate(bal.runsOutOn)}` : ''
      }.`,
    );
  } else if (bal.runsOutOn !== undefined && bal.creditsNeeded > 0) {
    out.push(
      `Buy about ${usd(bal.creditsNeeded)} of credits on ${RUNWAY_PAGES.billing} before ${formatDate(bal.runsOutOn)} to cover the next 30 days.`,
    );
  }
  const t = o.tierCap;
  if (!capShort && t.fullOn !== undefined && t.cap > 0) {
    out.push(
      t.room <= 0
        ? `The tier's 30-day purchase cap is full: autobilling will not recharge until ${t.frees ? formatDate(t.frees.date) : 'older purchases leave the window'}; request a tier upgrade or limit exception on ${RUNWAY_PAGES.usage}.`
        : `At the current pace the tier's 30-day purchase cap fills about ${formatDate(t.fullOn)}, and autobilling stops recharging then: request a tier upgrade or limit exception on ${RUNWAY_PAGES.usage} before that.`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Sample: Tier 3, two budgets, floors, and 40 days of weekday-heavy usage with a refund, computed by the real
// overview code.

const SAMPLE_TODAY = utcDate(SAMPLE_NOW);

/** A fixed usage history: a weekly shape, a slow rise, and a refund that makes one day's gen4.5 negative. */
function sampleUsage(): UsageDay[] {
  const weekly = [0.7, 1, 1.05, 1.1, 1, 0.95, 0.75]; // Sunday first
  const base: Record<string, number> = {
    'veo3.1': 2400,
    'gen4.5': 1400,
    gen4_image: 650,
    eleven_multilingual_v2: 160,
  };
  return dateRange(addDays(SAMPLE_TODAY, -39), SAMPLE_TODAY).map((date, i) => {
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    // Today is partial: 09:30 of 24 hours.
    const share = date === SAMPLE_TODAY ? 9.5 / 24 : 1;
    const credits: Record<string, number> = {};
    for (const [model, amount] of Object.entries(base)) {
      credits[model] = Math.round(amount * (weekly[weekday] ?? 1) * (1 + i / 200) * share);
    }
    if (date === addDays(SAMPLE_TODAY, -10)) credits['gen4.5'] = -420;
    const totalCredits = Object.values(credits).reduce((a, b) => a + b, 0);
    return { date, credits, totalCredits };
  });
}

/**
 * The digest of SAMPLE_NOW. With `firstRun`, the guard started watching today: Runway reported usage only for
 * today, so there is no complete day to compare or average (the figures are unknown, never 0).
 */
function sampleFinding(ctx: MessageContext, firstRun = false): DigestFinding {
  const usage = firstRun ? sampleUsage().filter((d) => d.date === SAMPLE_TODAY) : sampleUsage();
  const overview = computeOverview({
    org: {
      id: ctx.orgId,
      name: ctx.orgName,
      apiKeySecretName: 'budget-guard/runway/studio',
      budgets: [
        {
          id: 'monthly-total',
          period: 'month',
          limit: { usd: 1500 },
          thresholds: [50, 80, 100],
          forecast: true,
        },
        { id: 'veo-daily', period: 'day', model: 'veo3.1', limit: { credits: 3000 }, thresholds: [80, 100] },
      ],
      lowBalance: { credits: 20_000, days: 7 },
    },
    config: {
      organizations: [],
      tierCapThresholds: [80, 95, 100],
      dailyQuotaThresholds: [80, 100],
      usdPerCredit: ctx.usdPerCredit,
      schedule: 'rate(1 hour)',
      digest: { hourUtc: 8 },
      anomaly: { multiple: 3, floorCredits: 1000 },
      subscriptions: [],
      chat: [],
    },
    // The usage history is fixed around SAMPLE_NOW, whatever clock the message is stamped with.
    now: SAMPLE_NOW,
    details: {
      creditBalance: 46_969,
      maxMonthlyCreditSpend: 200_000,
      models: {
        'gen4.5': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000, dailyGenerations: 884 },
        'veo3.1': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000, dailyGenerations: 114 },
        gen4_image: { maxConcurrentGenerations: 5, maxDailyGenerations: 2000, dailyGenerations: 415 },
        eleven_multilingual_v2: {
          maxConcurrentGenerations: 5,
          maxDailyGenerations: 2000,
          dailyGenerations: 328,
        },
        magnific_precision_upscaler_v2: {
          maxConcurrentGenerations: null,
          maxDailyGenerations: null,
          dailyGenerations: 22,
        },
      },
    },
    usage: indexUsage(usage),
    historyStart: firstRun ? SAMPLE_TODAY : addDays(SAMPLE_TODAY, -39),
  });
  return digestFinding(overview, ['gen4.5 at 88% of its daily generation limit']);
}

export const digestAlert = defineAlert<DigestFinding>({
  kind: 'digest',
  informational: true,
  evaluate({ input, overview, earlier }) {
    if (input.now.getUTCHours() < input.config.digest.hourUtc) return [];
    return [
      digestFinding(
        overview,
        earlier.filter((f) => f.severity !== 'info').map((f) => f.summary),
      ),
    ];
  },
  draft,
  samples: [
    { name: 'digest', severity: 'info', finding: (ctx) => sampleFinding(ctx) },
    { name: 'digest-first-day', severity: 'info', finding: (ctx) => sampleFinding(ctx, true) },
  ],
});
