/**
 * The guard cycle, shared by the Lambda handler and `budget-guard check`. Ports come in as arguments.
 *
 * For one organization, `runOrgCycle` runs these steps:
 * 1. **read** — in parallel: Runway (organization details, usage of the current month and last 30 days; a new
 *    organization also backfills 90 days) and the stored state (status, newest snapshot, stored usage of the
 *    same window, alerts left pending).
 * 2. **validate** — the clock first: a clock earlier than the stored state (the status's `lastSuccessAt` or
 *    `updatedAt`, the newest snapshot's `fetchedAt`) makes the run a read-only evaluation that writes and
 *    publishes nothing (a back-dated `--now`, or a host clock that went backwards, must not rewrite history or
 *    send alerts dated in the past). Then Runway's answers: the adapter validates their shape, and the trust
 *    rule (`domain/trust.ts`) refuses a usage answer that contradicts stored history without evidence. Data
 *    that fails either is never stored and, like a rejected key, raises `guard-error` (the only alert such a
 *    run sends).
 * 3. **merge** — usage days whose numbers changed are the ones rewritten.
 * 4. **evaluate** — the rules and the digest give findings; the snapshot and the status are rebuilt.
 * 5. **save** — usage, snapshot and status in one batched round. If it fails, nothing is claimed or sent: the
 *    run is as if it had not happened, and the next run evaluates (and alerts) from the same stored state.
 * 6. **deliver** — the ledger protocol (`delivery.ts`): claim, publish, mark sent. A failed publish stays
 *    `pending` for the next run, and the run ends as failed.
 *
 * Tier changes are found against the tier last announced, kept in the status: a run that finds a change stores
 * it as `tierChangePending` with its ledger key, and the next run makes it the announced tier once that key is
 * in the ledger (one GetItem, only after a change). So a change whose ledger write failed is found again.
 */
import type { Config, OrganizationConfig } from '../config.ts';
import { METRIC } from '../contract.ts';
import type { MessageContext } from '../domain/alerts/alert.ts';
import { type GuardErrorInfo, guardErrorFinding } from '../domain/alerts/guard-error.ts';
import { alertOf, evaluateRules, type Finding } from '../domain/alerts/registry.ts';
import {
  boundUsageDay,
  buildSnapshot,
  buildStatus,
  changedDays,
  cycleWindow,
  purchaseBasisStart,
  purchasedToday,
  purchaseHistory,
  tierBaseline,
  tierOf,
} from '../domain/cycle-state.ts';
import { addDays, periodStart, utcDate } from '../domain/dates.ts';
import { needsStateWrite, stateParameterValue, stateSince, stopsOf } from '../domain/enforcement.ts';
import { RunwayAuthError, RunwayInvalidResponseError, RunwayUntrustedAnswerError } from '../domain/errors.ts';
import { indexUsage, roundCredits, type UsageIndex } from '../domain/figures.ts';
import type { Overview } from '../domain/overview.ts';
import { judgeUsage } from '../domain/trust.ts';
import {
  type Alert,
  type AnnouncedTier,
  alertKey,
  type NotifierPort,
  type OrganizationDetails,
  type OrgStatus,
  type PendingAlert,
  type RunwayPort,
  type Snapshot,
  type StatePublisherPort,
  type StorePort,
  type UsageDay,
  type UsageRange,
  type UsageReport,
} from '../domain/types.ts';
import { errorMessage, type Logger, type MetricsSink, noMetrics, silentLogger } from '../observability.ts';
import {
  DEFAULT_LEASE_MS,
  type DeliveryOutcome,
  deliver,
  markUndeliverable,
  type NotificationResult,
} from './delivery.ts';

export { changedDays, cycleWindow, DEFAULT_LEASE_MS, type DeliveryOutcome, type NotificationResult };

/** A date after any real one: the newest snapshot is the newest on or before it. */
const LAST_DATE = '9999-12-31';

/** Days of usage a new organization backfills (Runway serves at most 90 days per request). */
export const BACKFILL_DAYS = 90;

/** Thrown by a key source when the organization's key is not set; raises `guard-error`. */
export class ApiKeyUnavailableError extends Error {
  override name = 'ApiKeyUnavailableError';
}

export interface GuardDeps {
  readonly config: Config;
  readonly store: StorePort;
  readonly notifier: NotifierPort;
  /** The evaluation clock (`--now` fixes it). */
  readonly now: () => Date;
  /** Real time, for ledger leases; defaults to the system clock. */
  readonly wallClock?: () => Date;
  readonly log?: Logger;
  readonly metrics?: MetricsSink;
  /** Where each organization's state is published for pipelines (the SSM parameter); none in most CLI runs. */
  readonly statePublisher?: StatePublisherPort | undefined;
  readonly leaseMs?: number;
  /** Budget for one organization's Runway calls; the cycle aborts them after this. Default 60 s. */
  readonly orgTimeoutMs?: number;
}

export interface OrgTarget {
  readonly org: OrganizationConfig;
  /** Where the key comes from, for messages (never the key itself). */
  readonly keySource: string;
  /** Builds the Runway client; may throw `ApiKeyUnavailableError` (or a subclass) when no key is set. */
  readonly connect: (signal: AbortSignal) => Promise<RunwayPort>;
}

export interface OrgCycleResult {
  readonly orgId: string;
  readonly orgName: string;
  readonly ok: boolean;
  readonly error?: { readonly name: string; readonly message: string } | undefined;
  readonly now: string;
  readonly overview?: Overview | undefined;
  readonly snapshot?: Snapshot | undefined;
  readonly status?: OrgStatus | undefined;
  readonly notifications: readonly NotificationResult[];
  readonly usageDaysWritten: number;
  readonly writeRequests: number;
  readonly backfilled: boolean;
  /**
   * Set when the run's clock is earlier than the stored state: the run evaluated what Runway said, and wrote
   * and published nothing. `reason` says which stored time it is earlier than.
   */
  readonly readOnly?: { readonly reason: string } | undefined;
}

/** What one run is about: the organization, its clocks and its message context. */
interface Run {
  readonly target: OrgTarget;
  readonly deps: GuardDeps;
  readonly org: OrganizationConfig;
  readonly now: Date;
  readonly today: string;
  readonly window: UsageRange;
  readonly wall: () => Date;
  readonly log: Logger;
  readonly metrics: MetricsSink;
  readonly ctx: MessageContext;
  readonly base: { readonly orgId: string; readonly orgName: string; readonly now: string };
}

/** The stored state a run starts from. */
interface StoredState {
  readonly status: OrgStatus | undefined;
  /** The newest stored snapshot, whatever its date (a back-dated clock may be earlier than it). */
  readonly previous: Snapshot | undefined;
  /** Snapshots of the last 30 days (their purchases count against the tier cap). */
  readonly recent: Snapshot[];
  /** Stored usage from the window's start, or from the start of the longest budget period when earlier. */
  readonly usage: UsageDay[];
  readonly pending: PendingAlert[];
  /** The tier last announced, with a pending change resolved against the ledger. */
  readonly announcedTier: AnnouncedTier | undefined;
}

/** What Runway said: the organization's details and one or two usage reports (oldest first). */
interface RunwayData {
  readonly details: OrganizationDetails;
  readonly reports: readonly UsageReport[];
}

interface Merged {
  /** Days to write: new, or restated by Runway. */
  readonly changed: readonly UsageDay[];
  /** Stored history with the changed days applied. */
  readonly usage: UsageIndex;
  readonly historyStart: string;
  /** First day `usage` holds (stored or fetched). */
  readonly knownFrom: string;
}

interface Evaluated {
  readonly findings: readonly Finding[];
  readonly overview: Overview;
  readonly alerts: readonly Alert[];
  readonly snapshot: Snapshot;
  readonly status: OrgStatus;
}

type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (reason: unknown) => ({ ok: false as const, reason }),
  );
}

/** Resolves an object of promises into an object of their values (rejects with the first rejection). */
async function allNamed<T extends object>(
  promises: {
    readonly [K in keyof T]: Promise<T[K]>;
  },
): Promise<T> {
  const entries = await Promise.all(
    Object.entries(promises).map(async ([name, promise]) => [name, await promise] as const),
  );
  return Object.fromEntries(entries) as T;
}

async function withDeadline<T>(ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`Runway calls took longer than ${ms} ms`)), ms);
  try {
    return await run(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one organization's cycle. Never throws: failures are reported in the result. */
export async function runOrgCycle(target: OrgTarget, deps: GuardDeps): Promise<OrgCycleResult> {
  const run = beginRun(target, deps);

  // Step 1: read Runway and the stored state, in parallel.
  const statusP = deps.store.getStatus(run.org.id);
  const [storedR, runwayR] = await Promise.all([
    settle(readStored(run, statusP)),
    settle(readRunway(run, statusP)),
  ]);
  if (!storedR.ok) return fail(run, storedR.reason, [], 'reading the stored state failed');
  const stored = storedR.value;

  // Step 2: validate — the clock, then Runway's answers. A rejected key, invalid data or an answer that
  // contradicts stored history raises guard-error (never in a read-only run); nothing from Runway is stored.
  const readOnly = backdatedClock(run, stored);
  if (readOnly)
    run.log.warn('clock earlier than the stored state: read-only run', { orgId: run.org.id, ...readOnly });
  if (!runwayR.ok) {
    if (readOnly) return fail(run, runwayR.reason, [], 'reading Runway failed');
    return reportReadFailure(run, runwayR.reason, stored);
  }
  const storedDays = await settle(readStoredRange(run, runwayR.value, stored));
  if (!storedDays.ok) return fail(run, storedDays.reason, [], 'reading the stored state failed');
  const verdict = judgeUsage(storedDays.value, runwayR.value.reports);
  if (!verdict.trusted) {
    const error = new RunwayUntrustedAnswerError(verdict.reasons);
    if (readOnly) return fail(run, error, [], 'Runway answered with data that contradicts stored history');
    return reportReadFailure(run, error, stored);
  }

  // Step 3: merge usage.
  const mergedR = await settle(mergeUsage(run, runwayR.value, verdict.days, storedDays.value, stored));
  if (!mergedR.ok) return fail(run, mergedR.reason, [], 'reading the stored state failed');
  const merged = mergedR.value;

  // Step 4: evaluate.
  const evaluated = evaluate(run, runwayR.value.details, stored, merged);
  if (readOnly) return finishReadOnly(run, evaluated, readOnly);

  // Step 5: save first. Alerts go out only once the state they were derived from is stored: a save that
  // fails after a publish would leave the stored snapshot and status behind what subscribers were told, and
  // the next run would evaluate from the old state again (a low-balance episode opened by the failed run is
  // opened, and announced, a second time). The state parameter is written just before, and recorded in the
  // status only when the write succeeded.
  const published = await publishState(run, evaluated.status);
  const saved = await settle(
    deps.store.saveCycle({
      orgId: run.org.id,
      usage: merged.changed,
      snapshot: evaluated.snapshot,
      status: published.status,
    }),
  );
  if (!saved.ok) return fail(run, saved.reason, [], 'saving the snapshot failed');

  // Step 6: deliver.
  const delivered = await settle(deliverAndReport(run, evaluated.alerts, stored.pending));
  if (!delivered.ok) return fail(run, delivered.reason, [], 'recording alerts failed');
  return finish(run, {
    evaluated: { ...evaluated, status: published.status },
    stateError: published.error,
    notifications: delivered.value,
    usageDaysWritten: merged.changed.length,
    writeRequests: saved.value.writeRequests,
    backfilled: runwayR.value.reports.length > 1,
  });
}

/**
 * The reason a run must be read-only, when its clock is earlier than anything stored: the status's
 * `lastSuccessAt` or `updatedAt`, or the newest snapshot's `fetchedAt`. A clock equal to them is a re-run of
 * the same instant and writes as usual (it changes nothing).
 */
function backdatedClock(run: Run, stored: StoredState): { readonly reason: string } | undefined {
  const marks: [string, string | undefined][] = [
    ['the last successful run', stored.status?.lastSuccessAt],
    ['the stored status', stored.status?.updatedAt],
    ['the newest stored snapshot', stored.previous?.fetchedAt],
  ];
  let latest: [string, string] | undefined;
  for (const [what, at] of marks) {
    if (at !== undefined && (latest === undefined || Date.parse(at) > Date.parse(latest[1])))
      latest = [what, at];
  }
  if (!latest || run.now.getTime() >= Date.parse(latest[1])) return undefined;
  return {
    reason:
      `the clock (${run.now.toISOString()}) is earlier than ${latest[0]} (${latest[1]}), so this run only ` +
      'evaluates: it stored nothing and sent nothing, and history was left as it was',
  };
}

function beginRun(target: OrgTarget, deps: GuardDeps): Run {
  const { org } = target;
  const now = deps.now();
  const today = utcDate(now);
  return {
    target,
    deps,
    org,
    now,
    today,
    window: cycleWindow(today),
    wall: deps.wallClock ?? (() => new Date()),
    log: deps.log ?? silentLogger,
    metrics: deps.metrics ?? noMetrics,
    ctx: { orgId: org.id, orgName: org.name, usdPerCredit: deps.config.usdPerCredit, now },
    base: { orgId: org.id, orgName: org.name, now: now.toISOString() },
  };
}

function deliveryDeps(run: Run) {
  return {
    store: run.deps.store,
    notifier: run.deps.notifier,
    wall: run.wall,
    leaseMs: run.deps.leaseMs,
    log: run.log,
  };
}

/** Step 1, stored side: status, the newest snapshot, the window's usage and the alerts left pending. */
function readStored(run: Run, statusP: Promise<OrgStatus | undefined>): Promise<StoredState> {
  const { store } = run.deps;
  // One read gives the last 30 days' snapshots and the newest one (later than today only when the clock went
  // back); only an organization with no snapshot in 30 days needs a second read for the newest.
  const from = addDays(run.today, -29);
  const snapshotsP = store.getSnapshots(run.org.id, from, LAST_DATE);
  return allNamed<StoredState>({
    status: statusP,
    previous: snapshotsP.then(
      (snapshots) => snapshots.at(-1) ?? store.getLatestSnapshot(run.org.id, addDays(from, -1)),
    ),
    recent: snapshotsP.then((snapshots) => snapshots.filter((s) => s.date <= run.today)),
    usage: store.getUsage(run.org.id, storedUsageFrom(run), run.today),
    pending: store.listPendingAlerts(run.org.id, run.wall()),
    announcedTier: statusP.then((status) => resolveAnnouncedTier(run, status)),
  });
}

/**
 * The first day of stored usage a run reads: the window's start, or the start of a budget's period when that
 * is earlier (a quarter reaches back up to 92 days; Runway is asked only for the window).
 */
function storedUsageFrom(run: Run): string {
  let from = run.window.startDate;
  for (const budget of run.org.budgets) {
    const start = periodStart(budget.period, run.today);
    if (start < from) from = start;
  }
  return from;
}

/**
 * The tier subscribers were last told about. A change the previous run found (`tierChangePending`) counts as
 * announced once its ledger item exists, whatever its state: sent, pending (redelivered, never lost) or
 * undeliverable (SNS rejected it for good, and that was reported). Without the item its ledger write failed,
 * and the older announced tier stands so the change is found again.
 */
async function resolveAnnouncedTier(
  run: Run,
  status: OrgStatus | undefined,
): Promise<AnnouncedTier | undefined> {
  const pending = status?.tierChangePending;
  if (!pending) return status?.announcedTier;
  const state = await run.deps.store.getAlertState(run.org.id, pending.key);
  return state === undefined ? status?.announcedTier : pending.tier;
}

/**
 * Step 1, Runway side, within the organization's deadline: details and the window's usage; a new
 * organization (no `historyStart` stored) also fetches the older part of the 90-day history.
 */
function readRunway(run: Run, statusP: Promise<OrgStatus | undefined>): Promise<RunwayData> {
  return withDeadline(run.deps.orgTimeoutMs ?? 60_000, async (signal) => {
    const runway = await run.target.connect(signal);
    const reads = await allNamed<{
      details: OrganizationDetails;
      report: UsageReport;
      status: OrgStatus | undefined;
    }>({
      details: runway.fetchOrganization(),
      report: runway.fetchUsage(run.window),
      status: statusP,
    });
    const { details, report, status } = reads;
    if (status?.historyStart) return { details, reports: [report] };
    const backfillStart = addDays(run.today, -(BACKFILL_DAYS - 1));
    if (backfillStart >= run.window.startDate) return { details, reports: [report] };
    const older = await runway.fetchUsage({ startDate: backfillStart, beforeDate: run.window.startDate });
    return { details, reports: [older, report] };
  });
}

/** Step 2's outcome for a failed read: a `guard-error` for a rejected key or invalid data, then the failure. */
async function reportReadFailure(run: Run, reason: unknown, stored: StoredState): Promise<OrgCycleResult> {
  const found = guardErrorInfo(reason, run.target.keySource);
  const info = found && { ...found, lastSuccessAt: stored.status?.lastSuccessAt };
  const alerts: Alert[] = info ? [alertOf(guardErrorFinding(info, run.today), run.ctx)] : [];
  const delivered = await settle(deliverAndReport(run, alerts, stored.pending));
  if (!delivered.ok) {
    run.log.error('delivering notifications failed', {
      orgId: run.org.id,
      error: errorMessage(delivered.reason),
    });
  }
  return fail(run, reason, delivered.ok ? delivered.value : [], 'reading Runway failed');
}

/**
 * Delivers, then reports once, as a `guard-error`, each alert this run gave up on (`undeliverable`). A report
 * that is itself undeliverable is not reported again.
 */
async function deliverAndReport(
  run: Run,
  alerts: readonly Alert[],
  pending: readonly PendingAlert[],
): Promise<NotificationResult[]> {
  const results = await deliver(run.org.id, alerts, pending, deliveryDeps(run));
  const reports: Alert[] = results
    .filter((n) => n.gaveUp && !(n.kind === 'guard-error' && n.message.attributes.rule === 'undeliverable'))
    .map((n) =>
      alertOf(
        guardErrorFinding(
          {
            reason: 'undeliverable',
            detail: `SNS answered: ${n.error ?? 'rejected'}`,
            keySource: run.target.keySource,
            undelivered: { key: n.key, subject: n.subject, attempts: n.attempts ?? 0 },
          },
          run.today,
        ),
        run.ctx,
      ),
    );
  // The reports are claimed (or sent) before the alerts become undeliverable: see `delivery.ts`.
  const reported = reports.length === 0 ? [] : await deliver(run.org.id, reports, [], deliveryDeps(run));
  await markUndeliverable(run.org.id, results, deliveryDeps(run));
  return [...results, ...reported];
}

function guardErrorInfo(error: unknown, keySource: string): GuardErrorInfo | undefined {
  if (error instanceof RunwayAuthError) {
    return { reason: 'runway-auth', detail: error.message, status: error.status, keySource };
  }
  if (error instanceof RunwayInvalidResponseError || error instanceof RunwayUntrustedAnswerError)
    return { reason: 'runway-data', detail: error.message, keySource };
  if (error instanceof ApiKeyUnavailableError) return { reason: 'api-key', detail: error.message, keySource };
  return undefined;
}

/** Step 2, stored side of the trust rule: the stored days of the whole range Runway answered for. */
async function readStoredRange(run: Run, runway: RunwayData, stored: StoredState): Promise<UsageDay[]> {
  const rangeStart = runway.reports[0]?.startDate ?? run.window.startDate;
  // Only the days Runway answered for: stored days before the window (a quarter's) are not in question.
  const inWindow = stored.usage.filter((d) => d.date >= run.window.startDate);
  if (rangeStart >= run.window.startDate) return inWindow;
  // A backfill reaches before the window: compare with what is stored there too.
  const older = await run.deps.store.getUsage(run.org.id, rangeStart, addDays(run.window.startDate, -1));
  return [...older, ...inWindow];
}

/** Step 3: the accepted days that differ from the stored ones, and the history with them applied. */
async function mergeUsage(
  run: Run,
  runway: RunwayData,
  accepted: readonly UsageDay[],
  storedDays: readonly UsageDay[],
  stored: StoredState,
): Promise<Merged> {
  const rangeStart = runway.reports[0]?.startDate ?? run.window.startDate;
  const fetched = indexUsage(accepted.map(boundUsageDay));
  const storedIndex = indexUsage(storedDays);
  const changed = changedDays(fetched, storedIndex, rangeStart, run.today);
  const usage = new Map(storedIndex);
  // Stored days before the window (the start of a week, month or quarter budget) count as stored.
  for (const day of stored.usage)
    if (day.date < run.window.startDate && !usage.has(day.date)) usage.set(day.date, day);
  for (const day of changed) usage.set(day.date, day);
  const historyStart = stored.status?.historyStart ?? rangeStart;
  // Inferring purchases since the previous read needs the usage from that read's month start (it reaches
  // before the window when the previous read was last month and more than 30 days ago from its start).
  const storedFrom = storedUsageFrom(run);
  let knownFrom = storedFrom < rangeStart ? storedFrom : rangeStart;
  const basis = stored.previous && purchaseBasisStart(stored.previous);
  if (basis !== undefined && basis < knownFrom && basis >= historyStart && basis >= addDays(run.today, -62)) {
    for (const day of await run.deps.store.getUsage(run.org.id, basis, addDays(knownFrom, -1))) {
      if (!usage.has(day.date)) usage.set(day.date, day);
    }
    knownFrom = basis;
  }
  return { changed, usage, historyStart, knownFrom: knownFrom < historyStart ? historyStart : knownFrom };
}

/** Step 4: findings, their messages, and the snapshot and status to store. */
function evaluate(run: Run, details: OrganizationDetails, stored: StoredState, merged: Merged): Evaluated {
  const bought = purchasedToday({
    previous: stored.previous,
    details,
    usage: merged.usage,
    now: run.now,
    knownFrom: merged.knownFrom,
  });
  const watchStart = stored.status?.watchStart ?? run.today;
  const input = {
    purchases: purchaseHistory({
      today: run.today,
      watchStart,
      snapshots: stored.recent,
      purchasedToday: bought,
    }),
    org: run.org,
    config: run.deps.config,
    now: run.now,
    details,
    usage: merged.usage,
    historyStart: merged.historyStart,
    // The tier-change rule compares with the tier subscribers were last told about.
    previous: tierBaseline(run.org.id, stored.announcedTier, stored.previous, details),
    balanceEpisode: stored.status?.balanceEpisode,
  };
  const { findings, reports, overview, balanceEpisode } = evaluateRules(input);
  const alerts: Alert[] = [...findings, ...reports].map((f) => alertOf(f, run.ctx));
  const snapshot = buildSnapshot({
    orgId: run.org.id,
    now: run.now,
    details,
    overview,
    purchasedCredits: bought,
  });
  const status = buildStatus({
    orgId: run.org.id,
    now: run.now,
    conditions: findings,
    stops: stopsOf(run.org, overview),
    previous: stored.status,
    historyStart: merged.historyStart,
    balanceEpisode,
    watchStart,
    // Without a tier change the announced tier is today's (it is the same). With one it stays as it was, and the
    // change waits in `tierChangePending` until the next run finds its alert in the ledger.
    ...tierState(run, stored, alerts, details),
  });
  return { findings, overview, alerts, snapshot, status };
}

function tierState(
  run: Run,
  stored: StoredState,
  alerts: readonly Alert[],
  details: OrganizationDetails,
): Pick<OrgStatus, 'announcedTier' | 'tierChangePending'> {
  const tier = tierOf(details, run.today);
  const change = alerts.find((a) => a.kind === 'tier-change');
  if (!change) return { announcedTier: tier };
  return { announcedTier: stored.announcedTier, tierChangePending: { key: alertKey(change), tier } };
}

/** The result of a read-only run: the evaluation, with nothing stored and nothing sent. */
function finishReadOnly(
  run: Run,
  evaluated: Evaluated,
  readOnly: { readonly reason: string },
): OrgCycleResult {
  run.log.info('guard cycle finished read-only', { orgId: run.org.id, reason: readOnly.reason });
  return {
    ...run.base,
    ok: true,
    overview: evaluated.overview,
    notifications: [],
    usageDaysWritten: 0,
    writeRequests: 0,
    backfilled: false,
    readOnly,
  };
}

/** The result of a run that saved: ok unless a publish failed (those stay pending for the next run). */
function finish(
  run: Run,
  outcome: {
    readonly evaluated: Evaluated;
    /** Why the state parameter could not be written (the run then fails, and the next run writes it). */
    readonly stateError?: string | undefined;
    readonly notifications: readonly NotificationResult[];
    readonly usageDaysWritten: number;
    readonly writeRequests: number;
    readonly backfilled: boolean;
  },
): OrgCycleResult {
  const { evaluated, notifications, stateError } = outcome;
  const failedPublishes = notifications.filter((n) => n.outcome === 'failed');
  const ok = failedPublishes.length === 0 && !stateError;
  emitOrgMetrics(run.metrics, run.org.id, evaluated.snapshot, evaluated.overview);
  run.metrics.emit([{ name: ok ? METRIC.cycleSucceeded : METRIC.cycleFailed, value: 1, unit: 'Count' }], {});
  run.log.info('guard cycle finished', {
    orgId: run.org.id,
    ok,
    state: evaluated.status.state,
    usageDaysWritten: outcome.usageDaysWritten,
    notifications: notifications.map((n) => ({ key: n.key, outcome: n.outcome })),
  });
  return {
    ...run.base,
    ok,
    error:
      failedPublishes.length > 0
        ? {
            name: 'NotificationDeliveryError',
            message: `${failedPublishes.length} notification(s) could not be published (${failedPublishes[0]?.error}); they stay pending and go out on the next run`,
          }
        : stateError
          ? { name: 'StateParameterError', message: stateError }
          : undefined,
    overview: evaluated.overview,
    snapshot: evaluated.snapshot,
    status: evaluated.status,
    notifications,
    usageDaysWritten: outcome.usageDaysWritten,
    writeRequests: outcome.writeRequests,
    backfilled: outcome.backfilled,
  };
}

/**
 * Writes the organization's state parameter when it changed (or its last write is getting old), and returns
 * the status to store: it records the write only when it succeeded, so a failed write is retried next run.
 */
async function publishState(
  run: Run,
  status: OrgStatus,
): Promise<{ readonly status: OrgStatus; readonly error?: string | undefined }> {
  const publisher = run.deps.statePublisher;
  const last = status.stateParameter;
  if (!publisher || !needsStateWrite(status, last, run.now)) return { status };
  const since = stateSince(status, last);
  try {
    await publisher.write(run.org.id, stateParameterValue(status, since, run.now));
  } catch (error) {
    const message = `writing the state parameter failed: ${errorMessage(error)}; the next run writes it`;
    run.log.error(message, { orgId: run.org.id });
    return { status, error: message };
  }
  return {
    status: {
      ...status,
      stateParameter: {
        state: status.state,
        budget: status.stopBudget,
        since,
        writtenAt: run.now.toISOString(),
      },
    },
  };
}

function emitOrgMetrics(metrics: MetricsSink, orgId: string, snapshot: Snapshot, overview: Overview): void {
  metrics.emit(
    [
      { name: METRIC.creditBalance, value: snapshot.creditBalance, unit: 'Count' },
      { name: METRIC.monthToDateCredits, value: snapshot.monthToDateCredits, unit: 'Count' },
      { name: METRIC.rolling30dCredits, value: snapshot.rolling30dCredits, unit: 'Count' },
      ...(snapshot.forecastMonthCredits === null
        ? []
        : [
            {
              name: METRIC.forecastMonthCredits,
              value: snapshot.forecastMonthCredits,
              unit: 'Count' as const,
            },
          ]),
    ],
    { org: orgId },
  );
  for (const m of overview.models) {
    if (m.percent === null) continue;
    metrics.emit([{ name: METRIC.dailyQuotaUsedPercent, value: roundCredits(m.percent), unit: 'Percent' }], {
      org: orgId,
      model: m.model,
    });
  }
}

function fail(
  run: Run,
  reason: unknown,
  notifications: readonly NotificationResult[],
  what: string,
): OrgCycleResult {
  const error = reason instanceof Error ? reason : new Error(String(reason));
  run.log.error(`guard cycle failed: ${what}`, {
    orgId: run.org.id,
    error: error.message,
    errorName: error.name,
  });
  run.metrics.emit([{ name: METRIC.cycleFailed, value: 1, unit: 'Count' }], {});
  return {
    ...run.base,
    ok: false,
    error: { name: error.name, message: error.message },
    notifications,
    usageDaysWritten: 0,
    writeRequests: 0,
    backfilled: false,
  };
}

export interface GuardRunResult<T = OrgCycleResult> {
  readonly results: readonly T[];
  readonly ok: boolean;
}

export interface RunGuardOptions<T> {
  /** Organizations in flight at once. Default 8. */
  readonly concurrency?: number;
  /**
   * What to keep of each organization's result. The Lambda keeps a summary, so a run over hundreds of
   * organizations does not hold every overview and message until the end.
   */
  readonly keep?: (result: OrgCycleResult) => T;
}

/** Runs every organization with bounded concurrency; one organization's failure never stops the others. */
export async function runGuard<T = OrgCycleResult>(
  targets: readonly OrgTarget[],
  deps: GuardDeps,
  options: RunGuardOptions<T> = {},
): Promise<GuardRunResult<T>> {
  const keep = options.keep ?? ((result: OrgCycleResult) => result as T);
  const results: T[] = new Array(targets.length);
  let ok = true;
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const target = targets[i];
      if (!target) continue;
      const result = await runOrgCycle(target, deps);
      ok &&= result.ok;
      results[i] = keep(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, targets.length) }, worker));
  return { results, ok };
}
