/**
 * Sample notifications of every kind, with fixed, mutually consistent figures: `budget-guard test-alert`
 * publishes them (marked as tests) to prove delivery and filter policies, and the golden-file tests render
 * them to pin each message's subject and both bodies.
 *
 * 1. Each sample is a hand-built finding (or guard-error, or digest overview) for the organization
 *    "Studio production" (Tier 3, 200,000 credits per 30 days … raised to 2,000,000 in the tier-change
 *    sample), as a rule would produce it on Sun 22 Nov 2026 at 09:30 UTC.
 * 2. Every kind has one sample per severity it can be sent at, so a subscription that filters on severity
 *    can be proved too.
 * 3. The digest is computed by the real overview code from a fixed 40-day usage history.
 */
import type { AlertKind, Config, OrganizationConfig, Severity } from '../config.ts';
import { addDays, dateRange, utcDate } from './dates.ts';
import { indexUsage } from './figures.ts';
import { type MessageContext, renderDigest, renderFinding, renderGuardError } from './messages.ts';
import { computeOverview } from './overview.ts';
import type { Finding } from './rules.ts';
import { fingerprint } from './rules.ts';
import type { Message, UsageDay } from './types.ts';

/** The instant every sample is set at. */
export const SAMPLE_NOW = new Date('2026-11-22T09:30:00.000Z');
const TODAY = utcDate(SAMPLE_NOW);

export interface Sample {
  /** Unique; the golden file's name. */
  readonly name: string;
  readonly kind: AlertKind;
  readonly severity: Severity;
  /** Renders the sample for an organization (`ctx` names it; `ctx.test` marks it a test). */
  render(ctx: MessageContext): Message;
}

/** The context the golden files are rendered in. */
export function sampleContext(overrides: Partial<MessageContext> = {}): MessageContext {
  return {
    orgId: 'studio',
    orgName: 'Studio production',
    usdPerCredit: 0.01,
    now: SAMPLE_NOW,
    ...overrides,
  };
}

const MONTHLY = {
  id: 'monthly-total',
  period: 'month',
  limit: { usd: 5000 },
  thresholds: [50, 80, 100],
  forecast: true,
} as const;
const VEO_DAILY = {
  id: 'veo-daily',
  period: 'day',
  model: 'veo3.1',
  limit: { credits: 40_000 },
  thresholds: [80, 100],
} as const;
const BURN = { meanDaily: 19_850, basisDays: 7, from: '2026-11-15', to: '2026-11-21' } as const;

const budgetWarning: Finding = {
  kind: 'budget',
  rule: 'monthly-total',
  period: '2026-11',
  level: '80',
  severity: 'warning',
  covers: ['50'],
  summary: 'budget monthly-total at 82% of its monthly limit',
  budget: { ...MONTHLY, thresholds: [...MONTHLY.thresholds] },
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
};

const budgetCritical: Finding = {
  kind: 'budget',
  rule: 'veo-daily',
  period: TODAY,
  level: '100',
  severity: 'critical',
  covers: ['80'],
  summary: 'budget veo-daily at 103% of its daily limit',
  budget: { ...VEO_DAILY, thresholds: [...VEO_DAILY.thresholds] },
  spent: 41_520,
  limitCredits: 40_000,
  percent: (41_520 / 40_000) * 100,
  threshold: 100,
  nextThreshold: undefined,
  periodStart: TODAY,
  crossedOn: TODAY,
  byModel: [{ model: 'veo3.1', credits: 41_520 }],
};

const forecast: Finding = {
  kind: 'forecast',
  rule: 'monthly-total',
  period: '2026-11',
  level: 'projected',
  severity: 'warning',
  covers: [],
  summary: 'budget monthly-total projected at 114% by month end',
  budget: { ...MONTHLY, thresholds: [...MONTHLY.thresholds] },
  limitCredits: 500_000,
  // 412,345 so far + 19,850 a day × 8 days left.
  forecast: { monthToDate: 412_345, projected: 571_145, daysLeft: 8, burn: BURN },
  // (500,000 − 412,345) / 19,850 = 4.4 → the 5th day from today.
  exhaustedOn: '2026-11-27',
};

const tierCapWarning: Finding = {
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
  from: addDays(TODAY, -29),
};

const tierCapCritical: Finding = {
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
  from: addDays(TODAY, -29),
};

const dailyQuotaWarning: Finding = {
  kind: 'daily-quota',
  rule: 'gen4.5',
  period: TODAY,
  level: '80',
  severity: 'warning',
  covers: [],
  summary: 'gen4.5 at 88% of its daily generation limit',
  model: 'gen4.5',
  used: 884,
  limit: 1000,
  percent: 88.4,
  threshold: 80,
};

const dailyQuotaCritical: Finding = {
  kind: 'daily-quota',
  rule: 'veo3.1',
  period: TODAY,
  level: '100',
  severity: 'critical',
  covers: ['80'],
  summary: 'veo3.1 at 100% of its daily generation limit',
  model: 'veo3.1',
  used: 1000,
  limit: 1000,
  percent: 100,
  threshold: 100,
};

// 38,200 credits against floors of 50,000 credits and 7 days × 19,850 = 138,950 credits.
const balance: Finding = {
  kind: 'balance',
  rule: 'low-balance',
  period: '2026-11-22T09',
  level: 'critical',
  severity: 'critical',
  covers: [],
  summary: 'credit balance below its floor (about 1 day of spend left)',
  balance: 38_200,
  floorCredits: 50_000,
  floorDays: 7,
  burn: BURN,
  daysLeft: 38_200 / 19_850,
  runsOutOn: '2026-11-23',
  breached: ['credits', 'days'],
  // max(50,000, 138,950) + 30 × 19,850 − 38,200.
  creditsNeeded: 696_250,
  // 2,000,000 − 1,720,400 used in the last 30 days.
  capLeft: 279_600,
};

function tierChange(
  changes: readonly {
    what: string;
    before: number | null | 'absent';
    after: number | null | 'absent';
    better: boolean;
  }[],
): Finding {
  return {
    kind: 'tier-change',
    rule: 'tier',
    period: TODAY,
    level: fingerprint(changes.map((c) => `${c.what}:${c.before}>${c.after}`).join('|')),
    severity: changes.every((c) => c.better) ? 'info' : 'warning',
    covers: [],
    summary: `Runway changed ${changes.length} tier limits`,
    changes,
    previousDate: addDays(TODAY, -1),
  };
}

const tierUpgrade = tierChange([
  { what: 'tier cap (credits per 30 days)', before: 200_000, after: 2_000_000, better: true },
  { what: 'gen4.5 daily limit', before: 1000, after: 5000, better: true },
  { what: 'gen4.5 concurrency', before: 5, after: 10, better: true },
]);

const tierLowered = tierChange([
  { what: 'gen4_image daily limit', before: 2000, after: null, better: true },
  { what: 'veo3.1 daily limit', before: 1000, after: 500, better: false },
]);

const anomaly: Finding = {
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
};

/** The digest's organization: Tier 3, two budgets, floors, and 40 days of weekday-heavy usage with a refund. */
const DIGEST_ORG: OrganizationConfig = {
  id: 'studio',
  name: 'Studio production',
  apiKeySecretName: 'budget-guard/runway/studio',
  budgets: [
    { ...MONTHLY, limit: { usd: 1500 }, thresholds: [...MONTHLY.thresholds] },
    { ...VEO_DAILY, limit: { credits: 3000 }, thresholds: [...VEO_DAILY.thresholds] },
  ],
  lowBalance: { credits: 20_000, days: 7 },
};

const DIGEST_CONFIG: Config = {
  organizations: [DIGEST_ORG],
  tierCapThresholds: [80, 95, 100],
  dailyQuotaThresholds: [80, 100],
  usdPerCredit: 0.01,
  schedule: 'rate(1 hour)',
  digest: { hourUtc: 8 },
  anomaly: { multiple: 3, floorCredits: 1000 },
  subscriptions: [],
};

/** A fixed usage history: a weekly shape, a slow rise, and a refund that makes one day's gen4.5 negative. */
function digestUsage(): UsageDay[] {
  const weekly = [0.7, 1, 1.05, 1.1, 1, 0.95, 0.75]; // Sunday first
  const base: Record<string, number> = {
    'veo3.1': 2400,
    'gen4.5': 1400,
    gen4_image: 650,
    eleven_multilingual_v2: 160,
  };
  return dateRange(addDays(TODAY, -39), TODAY).map((date, i) => {
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    // Today is partial: 09:30 of 24 hours.
    const share = date === TODAY ? 9.5 / 24 : 1;
    const credits: Record<string, number> = {};
    for (const [model, amount] of Object.entries(base)) {
      credits[model] = Math.round(amount * (weekly[weekday] ?? 1) * (1 + i / 200) * share);
    }
    if (date === addDays(TODAY, -10)) credits['gen4.5'] = -420;
    const totalCredits = Object.values(credits).reduce((a, b) => a + b, 0);
    return { date, credits, totalCredits };
  });
}

function renderSampleDigest(ctx: MessageContext): Message {
  const overview = computeOverview({
    org: { ...DIGEST_ORG, id: ctx.orgId, name: ctx.orgName },
    config: { ...DIGEST_CONFIG, usdPerCredit: ctx.usdPerCredit },
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
    usage: indexUsage(digestUsage()),
    historyStart: addDays(TODAY, -39),
  });
  return renderDigest(overview, ctx, ['gen4.5 at 88% of its daily generation limit']);
}

const fromFinding = (name: string, finding: Finding): Sample => ({
  name,
  kind: finding.kind,
  severity: finding.severity,
  render: (ctx) => renderFinding(finding, ctx),
});

/** Every sample, in the order of the alert kinds; the first sample of a kind is its usual shape. */
export const SAMPLES: readonly Sample[] = [
  fromFinding('budget', budgetWarning),
  fromFinding('budget-critical', budgetCritical),
  fromFinding('forecast', forecast),
  fromFinding('tier-cap', tierCapWarning),
  fromFinding('tier-cap-critical', tierCapCritical),
  fromFinding('daily-quota', dailyQuotaWarning),
  fromFinding('daily-quota-critical', dailyQuotaCritical),
  fromFinding('balance', balance),
  fromFinding('tier-change', tierUpgrade),
  fromFinding('tier-change-lowered', tierLowered),
  fromFinding('anomaly', anomaly),
  {
    name: 'guard-error',
    kind: 'guard-error',
    severity: 'critical',
    render: (ctx) =>
      renderGuardError(
        {
          reason: 'runway-auth',
          detail: 'Runway answered 401 Unauthorized: the API key is not valid.',
          status: 401,
          keySource: `Secrets Manager secret budget-guard/runway/${ctx.orgId}`,
          lastSuccessAt: new Date(ctx.now.getTime() - 3_600_000).toISOString(),
        },
        ctx,
        utcDate(ctx.now),
      ),
  },
  { name: 'digest', kind: 'digest', severity: 'info', render: renderSampleDigest },
];

/** The samples of one kind, its usual shape first. */
export function samplesOf(kind: AlertKind): Sample[] {
  return SAMPLES.filter((s) => s.kind === kind);
}
