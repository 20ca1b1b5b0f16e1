/**
 * The pure parts of a guard cycle: which days it reads, which stored days Runway restated, and the snapshot
 * and status it stores. The cycle (`functions/guard/cycle.ts`) and `budget-guard backfill` share them.
 */

import { addDays, dateRange, startOfMonth, utcDate } from './dates.ts';
import { type Stop, stopReason } from './enforcement.ts';
import { CAP_WINDOW_DAYS, inferPurchase, type PurchaseHistory, type UsageIndex } from './figures.ts';
import { valueSize } from './item-size.ts';
import type { Overview } from './overview.ts';
import { emptyRecord, ownValue, recordFrom } from './records.ts';
import type {
  AnnouncedTier,
  BalanceEpisode,
  ModelState,
  OrganizationDetails,
  OrgStatus,
  Snapshot,
  StatusState,
  TierLimits,
  UsageDay,
  UsageRange,
} from './types.ts';

/** The usage window every cycle reads: the current month and the last 30 days, plus tomorrow exclusive. */
export function cycleWindow(today: string): UsageRange {
  const monthStart = startOfMonth(today);
  const back30 = addDays(today, -30);
  return { startDate: monthStart < back30 ? monthStart : back30, beforeDate: addDays(today, 1) };
}

/**
 * Bytes of a snapshot's or usage day's per-model entries, out of DynamoDB's 400 KB item limit
 * (`item-size.ts`); the rest of the item (keys, figures) takes well under 2 KB.
 */
export const MODEL_ENTRIES_MAX_BYTES = 300_000;

/**
 * The entries, in priority order, that fit in `maxBytes` (an entry that would overflow is skipped, and a smaller
 * later one may still fit), and how many were left out. Stored lists of model entries stay inside DynamoDB's
 * item limit through this.
 */
function keepWithin<T>(
  entries: readonly T[],
  size: (entry: T) => number,
  maxBytes: number,
): { readonly kept: T[]; readonly omitted: number } {
  const kept: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const n = size(entry);
    if (bytes + n > maxBytes) continue;
    kept.push(entry);
    bytes += n;
  }
  return { kept, omitted: entries.length - kept.length };
}

/** The stored shape of one model entry (the store writes these lists), for measuring. */
function modelEntrySize(name: string, state: ModelState): number {
  return 1 + valueSize({ name, ...state });
}

/**
 * `day` as it is stored: when its per-model entries would exceed {@link MODEL_ENTRIES_MAX_BYTES}, the models
 * with the smallest amounts are left out and counted in `modelsOmitted`; `totalCredits` stays exact.
 */
export function boundUsageDay(day: UsageDay): UsageDay {
  const entries = Object.entries(day.credits);
  const size = (e: readonly [string, number]) => 1 + valueSize({ model: e[0], credits: e[1] });
  if (entries.reduce((sum, e) => sum + size(e), 0) <= MODEL_ENTRIES_MAX_BYTES) return day;
  entries.sort(([ma, a], [mb, b]) => Math.abs(b) - Math.abs(a) || (ma < mb ? -1 : ma > mb ? 1 : 0));
  const { kept, omitted } = keepWithin(entries, size, MODEL_ENTRIES_MAX_BYTES);
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    date: day.date,
    credits: recordFrom(kept),
    totalCredits: day.totalCredits,
    modelsOmitted: (day.modelsOmitted ?? 0) + omitted,
  };
}

/**
 * The models a snapshot keeps when all of them would exceed {@link MODEL_ENTRIES_MAX_BYTES}: models with use
 * today first, then models with a daily or concurrency limit, then the rest, each group by name.
 */
export function boundModels(models: Readonly<Record<string, ModelState>>): {
  readonly models: Readonly<Record<string, ModelState>>;
  readonly modelsOmitted?: number;
} {
  const entries = Object.entries(models);
  if (entries.reduce((sum, [n, s]) => sum + modelEntrySize(n, s), 0) <= MODEL_ENTRIES_MAX_BYTES) {
    return { models };
  }
  const rank = (s: ModelState) =>
    s.dailyGenerations > 0
      ? 0
      : s.maxDailyGenerations !== null || s.maxConcurrentGenerations !== null
        ? 1
        : 2;
  entries.sort(([na, a], [nb, b]) => rank(a) - rank(b) || (na < nb ? -1 : na > nb ? 1 : 0));
  const { kept, omitted } = keepWithin(entries, ([n, s]) => modelEntrySize(n, s), MODEL_ENTRIES_MAX_BYTES);
  return { models: recordFrom(kept), modelsOmitted: omitted };
}

function sameUsage(a: UsageDay, b: UsageDay): boolean {
  if (a.totalCredits !== b.totalCredits) return false;
  if ((a.modelsOmitted ?? 0) !== (b.modelsOmitted ?? 0)) return false;
  const ka = Object.keys(a.credits).filter((k) => a.credits[k] !== 0);
  const kb = Object.keys(b.credits).filter((k) => b.credits[k] !== 0);
  return ka.length === kb.length && ka.every((k) => ownValue(a.credits, k) === ownValue(b.credits, k));
}

/**
 * Days in `[from, to]` whose fetched numbers differ from the stored ones. A day Runway no longer reports
 * is restated to zero (stored as an empty day) so history equals what Runway last said.
 */
export function changedDays(
  fetched: ReadonlyMap<string, UsageDay>,
  stored: ReadonlyMap<string, UsageDay>,
  from: string,
  to: string,
): UsageDay[] {
  const out: UsageDay[] = [];
  for (const date of dateRange(from, to)) {
    const f = fetched.get(date) ?? { date, credits: emptyRecord<number>(), totalCredits: 0 };
    const s = stored.get(date);
    if (!s) {
      if (fetched.has(date)) out.push(f);
    } else if (!sameUsage(f, s)) out.push(f);
  }
  return out;
}

/** The organization's state from its conditions: the worst severity among them. */
export function stateOf(conditions: readonly { severity: string }[]): StatusState {
  if (conditions.some((a) => a.severity === 'critical')) return 'critical';
  if (conditions.some((a) => a.severity === 'warning')) return 'warn';
  return 'ok';
}

/**
 * The first day whose usage a purchase inference since `previous` needs: the start of the month of the
 * previous read (its month to date tells what had been used by then).
 */
export function purchaseBasisStart(previous: Snapshot): string {
  return startOfMonth(previous.date);
}

/**
 * Credits bought today so far: what earlier runs of today recorded, plus what this run infers since the
 * previous read (balance now − balance then + credits used in between, when at least Runway's minimum
 * purchase). A purchase seen after a gap of several days is counted on the day it was seen. Undefined on the
 * first read (nothing to compare with), or when the usage in between is not known.
 */
export function purchasedToday(input: {
  readonly previous: Snapshot | undefined;
  readonly details: OrganizationDetails;
  readonly usage: UsageIndex;
  readonly now: Date;
  /** First day the usage index holds. */
  readonly knownFrom: string;
}): number | undefined {
  const { previous } = input;
  const today = utcDate(input.now);
  if (!previous) return undefined;
  const earlier = previous.date === today ? (previous.purchasedCredits ?? 0) : 0;
  // A read from the same instant or later (a back-dated clock) tells nothing new.
  if (Date.parse(previous.fetchedAt) >= input.now.getTime() || previous.date > today) {
    return previous.date === today ? previous.purchasedCredits : undefined;
  }
  const bought = inferPurchase({
    balanceThen: previous.creditBalance,
    balanceNow: input.details.creditBalance,
    usage: input.usage,
    from: purchaseBasisStart(previous),
    usedThen: previous.monthToDateCredits,
    today,
    knownFrom: input.knownFrom,
  });
  if (bought === undefined) return previous.date === today ? previous.purchasedCredits : undefined;
  return earlier + bought;
}

/**
 * The purchases of the last 30 days: stored snapshots' `purchasedCredits` before today, and today's.
 * `watchStart` is the first day the guard read the balance.
 */
export function purchaseHistory(input: {
  readonly today: string;
  readonly watchStart: string;
  readonly snapshots: readonly Snapshot[];
  readonly purchasedToday: number | undefined;
}): PurchaseHistory {
  const from = addDays(input.today, -(CAP_WINDOW_DAYS - 1));
  const days = input.snapshots
    .filter((s) => s.date >= from && s.date < input.today && (s.purchasedCredits ?? 0) > 0)
    .map((s) => ({ date: s.date, credits: s.purchasedCredits ?? 0 }));
  if ((input.purchasedToday ?? 0) > 0) days.push({ date: input.today, credits: input.purchasedToday ?? 0 });
  return { watchStart: input.watchStart, days: days.sort((a, b) => (a.date < b.date ? -1 : 1)) };
}

/** The day's snapshot: what Runway said now, the overview's spend figures and the day's purchases. */
export function buildSnapshot(input: {
  readonly orgId: string;
  readonly now: Date;
  readonly details: OrganizationDetails;
  readonly overview: Overview;
  readonly purchasedCredits?: number | undefined;
}): Snapshot {
  const { details, overview } = input;
  return {
    orgId: input.orgId,
    date: utcDate(input.now),
    fetchedAt: input.now.toISOString(),
    creditBalance: details.creditBalance,
    maxMonthlyCreditSpend: details.maxMonthlyCreditSpend,
    ...boundModels(details.models),
    monthToDateCredits: overview.monthToDate,
    rolling30dCredits: overview.used30d,
    forecastMonthCredits: overview.forecast?.projected ?? null,
    ...(input.purchasedCredits === undefined ? {} : { purchasedCredits: input.purchasedCredits }),
  };
}

/**
 * The status after a successful cycle. A stop (a budget past its `stopAt`) outranks every condition; its
 * reason comes first. `previous` keeps when history was first backfilled and the state parameter's record.
 */
export function buildStatus(input: {
  readonly orgId: string;
  readonly now: Date;
  readonly conditions: readonly { readonly severity: string; readonly summary: string }[];
  readonly stops?: readonly Stop[] | undefined;
  readonly previous?: OrgStatus | undefined;
  readonly historyStart: string;
  readonly balanceEpisode?: BalanceEpisode | undefined;
  /** The first day the guard read the balance (kept from `previous`, else today). */
  readonly watchStart?: string | undefined;
  readonly announcedTier?: AnnouncedTier | undefined;
  readonly tierChangePending?: OrgStatus['tierChangePending'];
}): OrgStatus {
  const now = input.now.toISOString();
  const stops = input.stops ?? [];
  return {
    orgId: input.orgId,
    state: stops.length > 0 ? 'stop' : stateOf(input.conditions),
    reasons: [...stops.map(stopReason), ...input.conditions.map((f) => f.summary)],
    updatedAt: now,
    lastSuccessAt: now,
    backfilledAt: input.previous?.backfilledAt ?? now,
    historyStart: input.historyStart,
    balanceEpisode: input.balanceEpisode,
    stopBudget: stops[0]?.budget,
    stateParameter: input.previous?.stateParameter,
    watchStart: input.previous?.watchStart ?? input.watchStart ?? utcDate(input.now),
    announcedTier: input.announcedTier,
    tierChangePending: input.tierChangePending,
  };
}

/** The tier Runway reports now, as `AnnouncedTier` (models the tier lists; `date` is `today`). */
export function tierOf(details: OrganizationDetails, today: string): AnnouncedTier {
  const entries: [string, TierLimits][] = [];
  for (const [name, m] of Object.entries(details.models)) {
    if (m.inTier === false) continue;
    entries.push([
      name,
      { maxConcurrentGenerations: m.maxConcurrentGenerations, maxDailyGenerations: m.maxDailyGenerations },
    ]);
  }
  // The status item holds two tiers (announced and pending) within DynamoDB's 400 KB: a tier of thousands of
  // long model names keeps the first models by name up to its share, and counts the rest.
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const { kept, omitted } = keepWithin(
    entries,
    ([name, limits]) => 1 + valueSize({ name, ...limits }),
    TIER_ENTRIES_MAX_BYTES,
  );
  return {
    date: today,
    maxMonthlyCreditSpend: details.maxMonthlyCreditSpend,
    models: recordFrom(kept),
    ...(omitted > 0 ? { modelsOmitted: omitted } : {}),
  };
}

/** Bytes of one stored tier's model entries: two tiers fit a status item with room to spare. */
export const TIER_ENTRIES_MAX_BYTES = 150_000;

/**
 * What the tier-change rule compares Runway's tier with: the announced tier, as a snapshot-shaped baseline
 * (only the tier fields matter to the rule). Status items written before the announced tier existed fall back
 * to the previous snapshot; a first run has neither, and announces nothing.
 */
export function tierBaseline(
  orgId: string,
  announced: AnnouncedTier | undefined,
  previous: Snapshot | undefined,
  current?: OrganizationDetails,
): Snapshot | undefined {
  if (!announced) return previous;
  const models: Record<string, ModelState> = Object.create(null);
  for (const [name, limits] of Object.entries(announced.models))
    models[name] = { ...limits, dailyGenerations: 0 };
  // A tier stored without some of its models (too large to store whole): a model it left out is taken as
  // unchanged, never announced as added.
  if (announced.modelsOmitted && current) {
    for (const [name, m] of Object.entries(current.models)) {
      if (m.inTier === false || Object.hasOwn(models, name)) continue;
      models[name] = {
        maxConcurrentGenerations: m.maxConcurrentGenerations,
        maxDailyGenerations: m.maxDailyGenerations,
        dailyGenerations: 0,
      };
    }
  }
  return {
    orgId,
    date: announced.date,
    fetchedAt: `${announced.date}T00:00:00.000Z`,
    creditBalance: 0,
    maxMonthlyCreditSpend: announced.maxMonthlyCreditSpend,
    models,
    monthToDateCredits: 0,
    rolling30dCredits: 0,
    forecastMonthCredits: null,
  };
}
