/**
 * The demo organization "Studio production" and a config that watches it, for `budget-guard check --demo`
 * and `budget-guard simulator`.
 *
 * The data is a pure function of the clock, with no randomness: each day's usage is drawn from a seeded
 * generator keyed by that date and model, so runs on different days agree on the history they share (except
 * the refund, which stays 10 days back); today's figures are a full day's scaled by the hour
 * (`(hour + 0.5) / 24`), so two runs in the same UTC hour see identical data. The config of
 * `createDemoConfig()` is fixed: its limits do not depend on the clock, so an alert means the same on any day.
 *
 * The organization (Tier 3): 200 000 credits a month; gen4.5, veo3.1 (5 concurrent, 1000 a day), gen4_image,
 * eleven_multilingual_v2 (5, 2000) and magnific_precision_upscaler_v2 (unlimited); 60 days of usage ending
 * today, weekdays ≈ 4 800 credits, weekends ≈ 3 400 (veo3.1 the biggest, ≈ half); a refund that makes gen4.5
 * net negative 10 days ago; act_two used on about a third of days although the tier does not list it;
 * gen4.5 at 860–890 of its 1000 daily generations; a balance of about 40 000–52 000 credits.
 *
 * What a first demo run should send, and why:
 * - `budget` veo-daily at 80% (warning): a veo3.1 batch render has run since midnight, so today's veo3.1 spend
 *   sits at 82–88% of its 3,000-credit ($30) daily budget at any hour.
 * - `daily-quota` gen4.5 at 80% (warning): 860–890 of 1000 generations (86–89%).
 * - `forecast` monthly-total (warning) while month-to-date is under the $1,100 (110 000-credit) month budget:
 *   a month's spend is ≈ 122 000 (February) to ≈ 137 000 credits (31-day months), so the forecast
 *   (month-to-date + mean of the last 7 complete days × the rest of today and the days left) sits at
 *   109–136% of the limit at any hour of any day, the first of the month included.
 * - `budget` monthly-total at the highest threshold month-to-date has reached, about 4 400 credits a day into
 *   the month: none until about the 13th, 50% from about the 13th, 80% from about the 21st, and 100%
 *   (critical) from the 25th–28th, when month-to-date passes the limit and the forecast falls silent (the
 *   budget alert says it instead). So every run shows a forecast warning or a critical budget alert.
 *   `describeDemo(now)` gives the exact figures.
 * - `digest` (info) when the run is at or after 08:00 UTC (the default digest hour).
 * And none of these: `tier-cap` (the last 30 days ≈ 130 000 credits ≈ 65% of 200 000, below 80%); `balance`
 * (≈ 10 days of mean spend, above both 20 000 credits and 7 days); `anomaly` (no day over 3× its 14-day
 * median; act_two's and the refund's amounts stay under the 1 000-credit floor); `tier-change` (no earlier
 * snapshot); `daily-quota` for other models (at most 40%), magnific (unlimited) or act_two (not in the tier).
 */
import type { ConfigInput } from '../config.ts';
import { addDays, daysBetween, daysInMonth, restOfDay, startOfMonth, utcDate } from '../domain/dates.ts';
import type { SimulatedModelLimits, SimulatedOrganization } from './organization.ts';
import { type RunwaySimulator, type RunwaySimulatorOptions, startRunwaySimulator } from './server.ts';

/** The demo organization's key. Not a secret: it only opens the built-in simulator. */
export const DEMO_API_KEY = 'key_demo0000000000000000000000000000000000000000000000000000000000000000';
export const DEMO_ORG_ID = 'studio';
export const DEMO_HISTORY_DAYS = 60;
/** The day that has a refund larger than its charges, counted back from today. */
export const DEMO_REFUND_DAYS_AGO = 10;
/** The model the demo uses without the tier listing it. */
export const DEMO_UNTIERED_MODEL = 'act_two';

const TIER_CAP = 200_000;

interface DemoModel {
  readonly limits: SimulatedModelLimits;
  /** Net credits on a full weekday, before noise. */
  readonly weekdayCredits: number;
  /** Generations in Runway's past-day window: `min + noise × spread`. */
  readonly generations: readonly [min: number, spread: number];
}

const DEMO_MODELS: Readonly<Record<string, DemoModel>> = {
  'veo3.1': {
    limits: { maxConcurrentGenerations: 5, maxDailyGenerations: 1000 },
    weekdayCredits: 2400,
    generations: [100, 40],
  },
  'gen4.5': {
    limits: { maxConcurrentGenerations: 5, maxDailyGenerations: 1000 },
    weekdayCredits: 1400,
    generations: [860, 30],
  },
  gen4_image: {
    limits: { maxConcurrentGenerations: 5, maxDailyGenerations: 2000 },
    weekdayCredits: 650,
    generations: [400, 100],
  },
  eleven_multilingual_v2: {
    limits: { maxConcurrentGenerations: 5, maxDailyGenerations: 2000 },
    weekdayCredits: 160,
    generations: [250, 80],
  },
  magnific_precision_upscaler_v2: {
    limits: { maxConcurrentGenerations: null, maxDailyGenerations: null },
    weekdayCredits: 220,
    generations: [20, 15],
  },
};

const WEEKEND_FACTOR = 0.7;
/** The demo's veo3.1 daily budget: $30 a day. */
const VEO_DAILY_BUDGET_CREDITS = 3000;
/** The demo's month budget: $1,100, below every month's projected spend (see the module comment). */
const MONTH_BUDGET_USD = 1100;

/**
 * The demo organization as of `now` (see the module comment for its shape).
 * @param apiKey defaults to `DEMO_API_KEY`.
 */
export function createDemoOrganization({
  apiKey = DEMO_API_KEY,
  now,
}: {
  apiKey?: string;
  now: Date;
}): SimulatedOrganization {
  const today = utcDate(now);
  const usage: Record<string, Record<string, number>> = {};
  for (let back = DEMO_HISTORY_DAYS - 1; back >= 0; back -= 1) {
    const date = addDays(today, -back);
    usage[date] = demoDayUsage(date, today, now);
  }
  const dailyGenerations: Record<string, number> = {};
  for (const [model, spec] of Object.entries(DEMO_MODELS)) {
    dailyGenerations[model] = Math.floor(
      spec.generations[0] + random(`${today}|${model}|gens`) * (spec.generations[1] + 1),
    );
  }
  dailyGenerations[DEMO_UNTIERED_MODEL] = 3 + Math.floor(random(`${today}|${DEMO_UNTIERED_MODEL}|gens`) * 6);

  return {
    apiKey,
    creditBalance: demoCreditBalance(today, sum(usage[today] ?? {})),
    maxMonthlyCreditSpend: TIER_CAP,
    tierModels: Object.fromEntries(Object.entries(DEMO_MODELS).map(([model, spec]) => [model, spec.limits])),
    dailyGenerations,
    usage,
  };
}

/** The figures behind the demo's alerts, computed from the same generator. */
export interface DemoFigures {
  readonly today: string;
  /** Share of today's full spend already used (by the hour). */
  readonly dayFraction: number;
  readonly todayVeoCredits: number;
  readonly veoDailyLimitCredits: number;
  readonly gen45DailyGenerations: number;
  readonly monthToDateCredits: number;
  readonly last7DaysMeanCredits: number;
  /** Days of the month after today. */
  readonly daysLeftInMonth: number;
  /** Month-to-date + the mean of the last 7 complete days × (the rest of today + the days left), as the guard. */
  readonly forecastMonthCredits: number;
  readonly monthBudgetUsd: number;
  /** Month-to-date as a % of the month budget. */
  readonly monthBudgetPercent: number;
  readonly forecastPercent: number;
  /** Today and the 29 days before it. */
  readonly rolling30dCredits: number;
  readonly tierCapPercent: number;
  readonly creditBalance: number;
}

/** Figures a demo run at `now` should report (for the doc comment's claims, tests and the README). */
export function describeDemo(now: Date): DemoFigures {
  const org = createDemoOrganization({ now });
  const today = utcDate(now);
  const dayTotal = (date: string): number => sum(org.usage[date] ?? {});
  const totalBetween = (from: string, to: string): number => {
    let total = 0;
    for (let d = from; d <= to; d = addDays(d, 1)) total += dayTotal(d);
    return total;
  };
  const todayVeoCredits = org.usage[today]?.['veo3.1'] ?? 0;
  const veoDailyLimitCredits = VEO_DAILY_BUDGET_CREDITS;
  const monthToDateCredits = totalBetween(startOfMonth(today), today);
  const last7DaysMeanCredits = totalBetween(addDays(today, -7), addDays(today, -1)) / 7;
  const daysLeftInMonth = daysInMonth(today) - Number(today.slice(8, 10));
  const forecastMonthCredits = monthToDateCredits + last7DaysMeanCredits * (daysLeftInMonth + restOfDay(now));
  const monthBudgetUsd = MONTH_BUDGET_USD;
  const monthBudgetCredits = monthBudgetUsd * 100;
  const rolling30dCredits = totalBetween(addDays(today, -29), today);
  return {
    today,
    dayFraction: dayFraction(now),
    todayVeoCredits,
    veoDailyLimitCredits,
    gen45DailyGenerations: org.dailyGenerations['gen4.5'] ?? 0,
    monthToDateCredits,
    last7DaysMeanCredits: Math.round(last7DaysMeanCredits),
    daysLeftInMonth,
    forecastMonthCredits: Math.round(forecastMonthCredits),
    monthBudgetUsd,
    monthBudgetPercent: percent(monthToDateCredits, monthBudgetCredits),
    forecastPercent: percent(forecastMonthCredits, monthBudgetCredits),
    rolling30dCredits,
    tierCapPercent: percent(rolling30dCredits, TIER_CAP),
    creditBalance: org.creditBalance,
  };
}

/**
 * A valid config (input of `parseConfig`) for the demo organization: a $1,100 monthly total budget with a
 * forecast, a 3,000-credit daily veo3.1 budget, a low-balance rule, and the two subscriptions of the design.
 * The same on every call: the limits are fixed, and the data is shaped to cross them at any hour of any day.
 */
export function createDemoConfig(): ConfigInput {
  return {
    organizations: [
      {
        id: DEMO_ORG_ID,
        name: 'Studio production',
        apiKeySecretName: 'budget-guard/runway/studio',
        budgets: [
          {
            id: 'monthly-total',
            period: 'month',
            limit: { usd: MONTH_BUDGET_USD },
            thresholds: [50, 80, 100],
            forecast: true,
          },
          {
            id: 'veo-daily',
            period: 'day',
            model: 'veo3.1',
            limit: { credits: VEO_DAILY_BUDGET_CREDITS },
            thresholds: [80, 100],
          },
        ],
        lowBalance: { credits: 20_000, days: 7 },
      },
    ],
    subscriptions: [
      {
        email: 'finance@example.com',
        kinds: ['budget', 'forecast', 'balance', 'tier-cap', 'anomaly', 'digest'],
      },
      { email: 'platform@example.com', kinds: ['daily-quota', 'tier-change', 'guard-error', 'digest'] },
    ],
  };
}

/** Starts the simulator serving the demo organization as of `now()` at start. */
export function startDemoSimulator(
  options: Omit<RunwaySimulatorOptions, 'organizations'> = {},
): Promise<RunwaySimulator> {
  const now = options.now ?? (() => new Date());
  return startRunwaySimulator({ ...options, now, organizations: [createDemoOrganization({ now: now() })] });
}

// ---------------------------------------------------------------------------------------------------------

function demoDayUsage(date: string, today: string, now: Date): Record<string, number> {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  const weekendFactor = weekday === 0 || weekday === 6 ? WEEKEND_FACTOR : 1;
  const scale = date === today ? dayFraction(now) : 1;
  const credits: Record<string, number> = {};
  for (const [model, spec] of Object.entries(DEMO_MODELS)) {
    // ±20% noise around the model's level keeps every day far below 3× its median (no anomaly).
    const noise = 0.8 + 0.4 * random(`${date}|${model}`);
    credits[model] = Math.round(spec.weekdayCredits * weekendFactor * noise * scale);
  }
  if (date === today) {
    // A long veo3.1 batch render has run since midnight: today's veo3.1 spend sits at 82–88% of its daily
    // budget whatever the hour, so the demo shows a budget warning at any time of day.
    credits['veo3.1'] = Math.round(VEO_DAILY_BUDGET_CREDITS * (0.82 + 0.06 * dayFraction(now)));
  }
  if (daysBetween(date, today) === DEMO_REFUND_DAYS_AGO) {
    // A failed batch refunded the next day: net negative for gen4.5.
    credits['gen4.5'] = -Math.round(120 + 100 * random(`${date}|refund`));
  }
  if (random(`${date}|${DEMO_UNTIERED_MODEL}|used`) < 0.35) {
    credits[DEMO_UNTIERED_MODEL] = Math.round((150 + 200 * random(`${date}|${DEMO_UNTIERED_MODEL}`)) * scale);
  }
  return credits;
}

function demoCreditBalance(today: string, todayCredits: number): number {
  return 48_000 + Math.round(4_000 * random(`${today}|balance`)) - todayCredits;
}

/** Share of the UTC day passed, by the hour, so runs within one hour agree. */
function dayFraction(now: Date): number {
  return (now.getUTCHours() + 0.5) / 24;
}

function sum(credits: Readonly<Record<string, number>>): number {
  return Object.values(credits).reduce((total, amount) => total + amount, 0);
}

function percent(part: number, whole: number): number {
  return Math.round((part / whole) * 1000) / 10;
}

/** A number in [0, 1) that depends only on `key`: FNV-1a hash, then one mulberry32 step. */
function random(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  let t = (hash + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}
