/**
 * `budget-guard backfill`: stores up to 90 days of Runway usage history now.
 *
 * For each organization:
 * 1. In parallel: fetch usage from Runway, one request per 90-day window (so exactly one for `--days` ≤ 90),
 *    and read the stored usage of the same days.
 * 2. Keep only the days whose numbers changed (`changedDays`, as the guard cycle does); a day Runway no
 *    longer reports is restated to zero.
 * 3. Save them with `saveCycle` (usage only: no snapshot, no status). A second run writes nothing.
 *
 * The status is left alone. An organization that has run a cycle already has `historyStart` at or before
 * anything a backfill can reach (its first cycle stored the 90 days before that day), and the status is
 * written whole, so rewriting it here could undo a concurrent cycle's state or balance episode. A new
 * organization has no status, and making one up (state, last success) would claim a cycle that never ran;
 * its first cycle therefore fetches the 90 days once more, finds them equal and writes none of them.
 */
import type { Config } from '../config.ts';
import { boundUsageDay, changedDays } from '../domain/cycle-state.ts';
import { addDays, daysBetween, utcDate } from '../domain/dates.ts';
import { RunwayUntrustedAnswerError } from '../domain/errors.ts';
import { indexUsage, roundCredits } from '../domain/figures.ts';
import { formatNumber, formatUsd } from '../domain/format.ts';
import { judgeUsage } from '../domain/trust.ts';
import type { RunwayPort, StorePort, UsageDay, UsageRange } from '../domain/types.ts';
import { errorMessage } from '../observability.ts';
import type { Io } from './check.ts';
import { openGuardSources, openStore, type ScopeOptions, UsageError } from './wiring.ts';

/** The most days one backfill stores: what Runway keeps and serves in one request. */
export const BACKFILL_MAX_DAYS = 90;
/** Runway serves at most this many days per usage request. */
const WINDOW_DAYS = 90;
/** Budget for one organization's Runway requests, as in the guard cycle. */
const ORG_TIMEOUT_MS = 60_000;

export interface BackfillOptions extends ScopeOptions {
  /** 1 to 90; default 90. Today counts as one of them. */
  readonly days?: number | undefined;
}

export interface BackfillIo extends Io {
  /** Print progress on stderr (true when stderr is a terminal). */
  readonly progress?: boolean;
}

export interface BackfillResult {
  readonly orgId: string;
  /** First and last day covered, inclusive. */
  readonly from: string;
  readonly to: string;
  /** Days Runway reported usage for. */
  readonly daysFetched: number;
  /** Days stored because they were new or their numbers changed. */
  readonly daysWritten: number;
  /** Net credits of the fetched days. */
  readonly totalCredits: number;
  /** Usage requests sent to Runway. */
  readonly usageRequests: number;
  readonly writeRequests: number;
}

/** `[from, beforeDate)` cut into consecutive windows of at most 90 days, oldest first. */
export function usageWindows(from: string, beforeDate: string): UsageRange[] {
  const windows: UsageRange[] = [];
  for (let start = from; start < beforeDate; start = addDays(start, WINDOW_DAYS)) {
    const end = addDays(start, WINDOW_DAYS);
    windows.push({ startDate: start, beforeDate: end < beforeDate ? end : beforeDate });
  }
  return windows;
}

/**
 * Backfills one organization: `days` days ending `today`. Throws what the Runway port or the store throws, and
 * `RunwayUntrustedAnswerError` for an answer the trust rule refuses; nothing is written then.
 */
export async function backfillOrganization(
  runway: RunwayPort,
  store: StorePort,
  input: {
    readonly orgId: string;
    readonly today: string;
    readonly days: number;
    /** Stored on the written usage items. */
    readonly fetchedAt: string;
    readonly progress?: (text: string) => void;
  },
): Promise<BackfillResult> {
  const { orgId, today } = input;
  const progress = input.progress ?? (() => {});
  const from = addDays(today, -(input.days - 1));
  const windows = usageWindows(from, addDays(today, 1));

  // Step 1: Runway and the stored days, in parallel.
  progress(
    `fetching usage ${from} to ${today} (${windows.length} request${windows.length === 1 ? '' : 's'})`,
  );
  const [reports, stored] = await Promise.all([
    Promise.all(windows.map((w) => runway.fetchUsage(w))),
    store.getUsage(orgId, from, today),
  ]);
  // Step 2: the trust rule, then only what changed.
  const verdict = judgeUsage(stored, reports);
  if (!verdict.trusted) throw new RunwayUntrustedAnswerError(verdict.reasons);
  const fetchedDays: readonly UsageDay[] = verdict.days.map(boundUsageDay);
  const changed = changedDays(indexUsage(fetchedDays), indexUsage(stored), from, today);
  progress(
    `Runway reported ${fetchedDays.length} day(s) with usage, ${stored.length} already stored; ` +
      (changed.length > 0 ? `writing ${changed.length}…` : 'nothing to write'),
  );

  // Step 3: usage only.
  const { writeRequests } =
    changed.length > 0
      ? await store.saveCycle({ orgId, usage: changed, fetchedAt: input.fetchedAt })
      : { writeRequests: 0 };
  return {
    orgId,
    from,
    to: today,
    daysFetched: fetchedDays.length,
    daysWritten: changed.length,
    totalCredits: roundCredits(fetchedDays.reduce((sum, d) => sum + d.totalCredits, 0)),
    usageRequests: windows.length,
    writeRequests,
  };
}

/**
 * Runs `backfill` for `--org` or every configured organization (in demo mode; a Runway key reads one).
 * Returns 0 when every organization was backfilled, 1 when one failed (the others still run).
 * Throws `UsageError` (exit 2) for `--days` outside 1–90 or an unknown organization; `ConfigError` for config.
 */
export async function runBackfill(options: BackfillOptions, io: BackfillIo): Promise<number> {
  const days = options.days ?? BACKFILL_MAX_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > BACKFILL_MAX_DAYS) {
    throw new UsageError(
      `--days must be a whole number from 1 to ${BACKFILL_MAX_DAYS} (Runway keeps ${BACKFILL_MAX_DAYS} days of usage); got ${days}`,
    );
  }
  const now = options.now ?? new Date();
  const today = utcDate(now);
  const { config, runway, mode } = await openGuardSources({ ...options, now, env: io.env, cwd: io.cwd });
  try {
    const store = await openStore(io.env, io.cwd, mode);
    try {
      let ok = true;
      for (const target of runway.targets) {
        const orgId = target.org.id;
        const progress = io.progress ? (text: string) => io.stderr(`${orgId}: ${text}\n`) : undefined;
        progress?.(`reading ${runway.description}; storing in the ${store.description}`);
        try {
          const signal = AbortSignal.timeout(ORG_TIMEOUT_MS);
          const port = await target.connect(signal);
          const result = await backfillOrganization(port, store.store, {
            orgId,
            today,
            days,
            fetchedAt: now.toISOString(),
            progress,
          });
          io.stdout(`${summarize(result, config)} from ${runway.description}\n`);
        } catch (error) {
          ok = false;
          io.stderr(
            `budget-guard: backfill of ${orgId} failed (running it again is safe): ${errorMessage(error)}\n`,
          );
        }
      }
      return ok ? 0 : 1;
    } finally {
      await store.close();
    }
  } finally {
    await runway.close();
  }
}

function summarize(result: BackfillResult, config: Config): string {
  const span = daysBetween(result.from, result.to) + 1;
  const unchanged =
    result.daysWritten === 0 && result.daysFetched > 0 ? ' (the stored history already matches Runway)' : '';
  return (
    `${result.orgId}: ${result.from} to ${result.to} (${span} days): ${result.daysFetched} days fetched, ` +
    `${result.daysWritten} days written${unchanged}; ${formatNumber(result.totalCredits)} credits ` +
    `(${formatUsd(result.totalCredits, config.usdPerCredit)}) net in ${result.usageRequests} usage ` +
    `request${result.usageRequests === 1 ? '' : 's'}`
  );
}
