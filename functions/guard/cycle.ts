/**
 * The guard cycle, shared by the Lambda handler and `budget-guard check`. Ports come in as arguments.
 *
 * For one organization, `runOrgCycle` runs these steps:
 * 1. **read** — in parallel: Runway (organization details, usage of the current month and last 30 days; a new
 *    organization also backfills 90 days) and the stored state (status, newest snapshot, stored usage of the
 *    same window, alerts left pending).
 * 2. **validate** — the Runway adapter validates every answer; data that fails validation is never stored and,
 *    like a rejected key, raises `guard-error` (the only alert such a run sends).
 * 3. **merge** — usage days whose numbers changed are the ones rewritten.
 * 4. **evaluate** — the rules and the digest give findings; the snapshot and the status are rebuilt.
 * 5. **save** — usage, snapshot and status in one batched round. If it fails, nothing is claimed or sent: the
 *    run is as if it had not happened, and the next run evaluates (and alerts) from the same stored state.
 * 6. **deliver** — the ledger protocol (`delivery.ts`): claim, publish, mark sent. A failed publish stays
 *    `pending` for the next run, and the run ends as failed.
 */
import type { Config, OrganizationConfig } from '../config.ts';
import { METRIC } from '../contract.ts';
import type { MessageContext } from '../domain/alerts/alert.ts';
import type { GuardErrorInfo } from '../domain/alerts/guard-error.ts';
import { evaluateRules, type Finding, renderFinding, renderGuardError } from '../domain/alerts/registry.ts';
import {
  boundUsageDay,
  buildSnapshot,
  buildStatus,
  changedDays,
  cycleWindow,
} from '../domain/cycle-state.ts';
import { addDays, utcDate } from '../domain/dates.ts';
import { RunwayAuthError, RunwayInvalidResponseError } from '../domain/errors.ts';
import { indexUsage, roundCredits, type UsageIndex } from '../domain/figures.ts';
import type { Overview } from '../domain/overview.ts';
import type {
  Alert,
  NotifierPort,
  OrganizationDetails,
  OrgStatus,
  PendingAlert,
  RunwayPort,
  Snapshot,
  StorePort,
  UsageDay,
  UsageRange,
  UsageReport,
} from '../domain/types.ts';
import { type Logger, type MetricsSink, noMetrics, silentLogger } from '../observability.ts';
import {
  DEFAULT_LEASE_MS,
  type DeliveryOutcome,
  deliver,
  markUndeliverable,
  type NotificationResult,
} from './delivery.ts';

export { changedDays, cycleWindow, DEFAULT_LEASE_MS, type DeliveryOutcome, type NotificationResult };

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
  readonly previous: Snapshot | undefined;
  readonly usage: UsageDay[];
  readonly pending: PendingAlert[];
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

  // Step 2: validate — a rejected key or invalid data raises guard-error; nothing from Runway is stored.
  if (!runwayR.ok) return reportReadFailure(run, runwayR.reason, stored);

  // Step 3: merge usage.
  const merged = await settle(mergeUsage(run, runwayR.value, stored));
  if (!merged.ok) return fail(run, merged.reason, [], 'reading the stored state failed');

  // Step 4: evaluate.
  const evaluated = evaluate(run, runwayR.value.details, stored, merged.value);

  // Step 5: save first. Alerts go out only once the state they were derived from is stored: a save that
  // fails after a publish would leave the stored snapshot and status behind what subscribers were told, and
  // the next run would evaluate from the old state again (a tier change back to the old value is then never
  // announced; a low-balance episode opened by the failed run is opened, and announced, a second time).
  const saved = await settle(
    deps.store.saveCycle({
      orgId: run.org.id,
      usage: merged.value.changed,
      snapshot: evaluated.snapshot,
      status: evaluated.status,
    }),
  );
  if (!saved.ok) return fail(run, saved.reason, [], 'saving the snapshot failed');

  // Step 6: deliver.
  const delivered = await settle(deliverAndReport(run, evaluated.alerts, stored.pending));
  if (!delivered.ok) return fail(run, delivered.reason, [], 'recording alerts failed');

  return finish(run, {
    evaluated,
    notifications: delivered.value,
    usageDaysWritten: merged.value.changed.length,
    writeRequests: saved.value.writeRequests,
    backfilled: runwayR.value.reports.length > 1,
  });
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
  return allNamed<StoredState>({
    status: statusP,
    previous: store.getLatestSnapshot(run.org.id, run.today),
    usage: store.getUsage(run.org.id, run.window.startDate, run.today),
    pending: store.listPendingAlerts(run.org.id, run.wall()),
  });
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
  const alerts: Alert[] = info
    ? [
        {
          kind: 'guard-error',
          rule: info.reason,
          period: run.today,
          level: 'critical',
          severity: 'critical',
          covers: [],
          message: renderGuardError(info, run.ctx, run.today),
        },
      ]
    : [];
  const delivered = await settle(deliverAndReport(run, alerts, stored.pending));
  if (!delivered.ok) {
    run.log.error('delivering notifications failed', {
      orgId: run.org.id,
      error: errorText(delivered.reason),
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
    .map((n) => {
      const info: GuardErrorInfo = {
        reason: 'undeliverable',
        detail: `SNS answered: ${n.error ?? 'rejected'}`,
        keySource: run.target.keySource,
        undelivered: { key: n.key, subject: n.subject, attempts: n.attempts ?? 0 },
      };
      const message = renderGuardError(info, run.ctx, run.today);
      return {
        kind: 'guard-error',
        rule: message.json.rule as string,
        period: message.json.period as string,
        level: 'critical',
        severity: 'critical',
        covers: [],
        message,
      };
    });
  // The reports are claimed (or sent) before the alerts become undeliverable: see `delivery.ts`.
  const reported = reports.length === 0 ? [] : await deliver(run.org.id, reports, [], deliveryDeps(run));
  await markUndeliverable(run.org.id, results, deliveryDeps(run));
  return [...results, ...reported];
}

function guardErrorInfo(error: unknown, keySource: string): GuardErrorInfo | undefined {
  if (error instanceof RunwayAuthError) {
    return { reason: 'runway-auth', detail: error.message, status: error.status, keySource };
  }
  if (error instanceof RunwayInvalidResponseError)
    return { reason: 'runway-data', detail: error.message, keySource };
  if (error instanceof ApiKeyUnavailableError) return { reason: 'api-key', detail: error.message, keySource };
  return undefined;
}

/** Step 3: the days Runway reported that differ from the stored ones, and the history with them applied. */
async function mergeUsage(run: Run, runway: RunwayData, stored: StoredState): Promise<Merged> {
  const rangeStart = runway.reports[0]?.startDate ?? run.window.startDate;
  let storedDays = stored.usage;
  if (rangeStart < run.window.startDate) {
    // A backfill reaches before the window: compare with what is stored there too.
    const older = await run.deps.store.getUsage(run.org.id, rangeStart, addDays(run.window.startDate, -1));
    storedDays = [...older, ...storedDays];
  }
  const fetched = indexUsage(runway.reports.flatMap((r) => r.days).map(boundUsageDay));
  const storedIndex = indexUsage(storedDays);
  const changed = changedDays(fetched, storedIndex, rangeStart, run.today);
  const usage = new Map(storedIndex);
  for (const day of changed) usage.set(day.date, day);
  return { changed, usage, historyStart: stored.status?.historyStart ?? rangeStart };
}

/** Step 4: findings, their messages, and the snapshot and status to store. */
function evaluate(run: Run, details: OrganizationDetails, stored: StoredState, merged: Merged): Evaluated {
  const input = {
    org: run.org,
    config: run.deps.config,
    now: run.now,
    details,
    usage: merged.usage,
    historyStart: merged.historyStart,
    previous: stored.previous,
    balanceEpisode: stored.status?.balanceEpisode,
  };
  const { findings, reports, overview, balanceEpisode } = evaluateRules(input);
  const alerts: Alert[] = [...findings, ...reports].map((f) => ({
    kind: f.kind,
    rule: f.rule,
    period: f.period,
    level: f.level,
    severity: f.severity,
    covers: f.covers,
    message: renderFinding(f, run.ctx),
  }));
  const snapshot = buildSnapshot({ orgId: run.org.id, now: run.now, details, overview });
  const status = buildStatus({
    orgId: run.org.id,
    now: run.now,
    conditions: findings,
    previous: stored.status,
    historyStart: merged.historyStart,
    balanceEpisode,
  });
  return { findings, overview, alerts, snapshot, status };
}

/** The result of a run that saved: ok unless a publish failed (those stay pending for the next run). */
function finish(
  run: Run,
  outcome: {
    readonly evaluated: Evaluated;
    readonly notifications: readonly NotificationResult[];
    readonly usageDaysWritten: number;
    readonly writeRequests: number;
    readonly backfilled: boolean;
  },
): OrgCycleResult {
  const { evaluated, notifications } = outcome;
  const failed = notifications.filter((n) => n.outcome === 'failed');
  emitOrgMetrics(run.metrics, run.org.id, evaluated.snapshot, evaluated.overview);
  run.metrics.emit(
    [{ name: failed.length ? METRIC.cycleFailed : METRIC.cycleSucceeded, value: 1, unit: 'Count' }],
    {},
  );
  run.log.info('guard cycle finished', {
    orgId: run.org.id,
    ok: failed.length === 0,
    state: evaluated.status.state,
    usageDaysWritten: outcome.usageDaysWritten,
    notifications: notifications.map((n) => ({ key: n.key, outcome: n.outcome })),
  });
  return {
    ...run.base,
    ok: failed.length === 0,
    error:
      failed.length === 0
        ? undefined
        : {
            name: 'NotificationDeliveryError',
            message: `${failed.length} notification(s) could not be published (${failed[0]?.error}); they stay pending and go out on the next run`,
          },
    overview: evaluated.overview,
    snapshot: evaluated.snapshot,
    status: evaluated.status,
    notifications,
    usageDaysWritten: outcome.usageDaysWritten,
    writeRequests: outcome.writeRequests,
    backfilled: outcome.backfilled,
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

function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
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
