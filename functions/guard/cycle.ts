/**
 * The guard cycle, shared by the Lambda handler and `budget-guard check`. Ports come in as arguments.
 *
 * For one organization:
 * 1. In parallel: read Runway (organization details, usage of the current month and last 30 days) and the
 *    stored state (status, newest snapshot, stored usage of the same window, pending alerts). A new
 *    organization also backfills 90 days of usage in the same step.
 * 2. Validate (the Runway adapter does) — data that fails validation is never stored and raises `guard-error`;
 *    so does a rejected key.
 * 3. Merge: usage days whose numbers changed are rewritten; the day's snapshot and the status are rebuilt.
 * 4. Evaluate the rules and the digest into alerts.
 * 5. One store round: save usage, snapshot and status (batched). If it fails, nothing is claimed or sent: the
 *    run is as if it had not happened, and the next run evaluates (and alerts) from the same stored state.
 * 6. Claim every alert in the ledger, then one publish round for the alerts this run claimed (new ones, and
 *    pending ones from failed runs); each published alert is then marked `sent`. A failed publish stays
 *    `pending` for the next run.
 */
import type { Config, OrganizationConfig } from '../config.ts';
import { METRIC } from '../contract.ts';
import { addDays, dateRange, startOfMonth, utcDate } from '../domain/dates.ts';
import { RunwayAuthError, RunwayInvalidResponseError } from '../domain/errors.ts';
import { indexUsage, roundCredits } from '../domain/figures.ts';
import {
  type GuardErrorInfo,
  type MessageContext,
  renderDigest,
  renderFinding,
  renderGuardError,
} from '../domain/messages.ts';
import { computeOverview, type Overview } from '../domain/overview.ts';
import { evaluateRules, type RuleInput } from '../domain/rules.ts';
import {
  type Alert,
  alertKey,
  type Message,
  type NotifierPort,
  type OrgStatus,
  type PendingAlert,
  type RunwayPort,
  type Snapshot,
  type StatusState,
  type StorePort,
  type UsageDay,
  type UsageRange,
} from '../domain/types.ts';
import { errorMessage, type Logger, type MetricsSink, noMetrics, silentLogger } from '../observability.ts';

/** Days of usage a new organization backfills (Runway serves at most 90 days per request). */
export const BACKFILL_DAYS = 90;
/** How long a claimed alert is reserved for the run that claimed it. */
export const DEFAULT_LEASE_MS = 120_000;
/** Ledger items expire after this (DynamoDB TTL). Long enough to outlive any period they dedupe. */
const LEDGER_TTL_DAYS = 400;

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

export type DeliveryOutcome = 'sent' | 'duplicate' | 'in-flight' | 'failed';

export interface NotificationResult {
  readonly key: string;
  readonly kind: string;
  readonly severity: string;
  readonly subject: string;
  readonly outcome: DeliveryOutcome;
  /** True when this run delivered an alert a failed or crashed run had left pending. */
  readonly redelivery: boolean;
  readonly messageId?: string | undefined;
  readonly error?: string | undefined;
  readonly message: Message;
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

interface RunwayData {
  readonly details: Awaited<ReturnType<RunwayPort['fetchOrganization']>>;
  readonly reports: readonly Awaited<ReturnType<RunwayPort['fetchUsage']>>[];
}

/** The usage window every cycle reads: the current month and the last 30 days, plus tomorrow exclusive. */
export function cycleWindow(today: string): UsageRange {
  const monthStart = startOfMonth(today);
  const back30 = addDays(today, -30);
  return { startDate: monthStart < back30 ? monthStart : back30, beforeDate: addDays(today, 1) };
}

function sameUsage(a: UsageDay, b: UsageDay): boolean {
  if (a.totalCredits !== b.totalCredits) return false;
  const ka = Object.keys(a.credits).filter((k) => a.credits[k] !== 0);
  const kb = Object.keys(b.credits).filter((k) => b.credits[k] !== 0);
  return ka.length === kb.length && ka.every((k) => a.credits[k] === b.credits[k]);
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
    const f = fetched.get(date) ?? { date, credits: {}, totalCredits: 0 };
    const s = stored.get(date);
    if (!s) {
      if (fetched.has(date)) out.push(f);
    } else if (!sameUsage(f, s)) out.push(f);
  }
  return out;
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

function statusOf(alerts: readonly { severity: string }[]): StatusState {
  if (alerts.some((a) => a.severity === 'critical')) return 'critical';
  if (alerts.some((a) => a.severity === 'warning')) return 'warn';
  return 'ok';
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
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noMetrics;
  const { org, keySource } = target;
  const now = deps.now();
  const today = utcDate(now);
  const wall = () => (deps.wallClock ?? (() => new Date()))();
  const ctx: MessageContext = {
    orgId: org.id,
    orgName: org.name,
    usdPerCredit: deps.config.usdPerCredit,
    now,
  };
  const base = { orgId: org.id, orgName: org.name, now: now.toISOString() };
  const window = cycleWindow(today);

  // Step 1: Runway and the stored state, in parallel.
  const statusP = deps.store.getStatus(org.id);
  const previousP = deps.store.getLatestSnapshot(org.id, today);
  const storedP = deps.store.getUsage(org.id, window.startDate, today);
  const pendingP = deps.store.listPendingAlerts(org.id, wall());
  const runwayP = withDeadline(deps.orgTimeoutMs ?? 60_000, async (signal): Promise<RunwayData> => {
    const runway = await target.connect(signal);
    const [details, report, status] = await Promise.all([
      runway.fetchOrganization(),
      runway.fetchUsage(window),
      statusP,
    ]);
    if (status?.historyStart) return { details, reports: [report] };
    // A new organization: backfill the older part of the 90-day history in one more request.
    const backfillStart = addDays(today, -(BACKFILL_DAYS - 1));
    if (backfillStart >= window.startDate) return { details, reports: [report] };
    const older = await runway.fetchUsage({ startDate: backfillStart, beforeDate: window.startDate });
    return { details, reports: [older, report] };
  });
  const settled = await Promise.allSettled([runwayP, statusP, previousP, storedP, pendingP]);
  const [runwayR, statusR, previousR, storedR, pendingR] = settled;

  const storeFailure = [statusR, previousR, storedR, pendingR].find((r) => r.status === 'rejected');
  if (storeFailure?.status === 'rejected') {
    return fail(base, storeFailure.reason, log, metrics, [], 'reading the stored state failed');
  }
  const status = statusR.status === 'fulfilled' ? statusR.value : undefined;
  const previous = previousR.status === 'fulfilled' ? previousR.value : undefined;
  const stored = storedR.status === 'fulfilled' ? storedR.value : [];
  const pending = pendingR.status === 'fulfilled' ? pendingR.value : [];

  if (runwayR.status === 'rejected') {
    // Step 2: a rejected key or invalid data raises guard-error; nothing from Runway is stored.
    const found = guardErrorInfo(runwayR.reason, keySource);
    const info = found && { ...found, lastSuccessAt: status?.lastSuccessAt };
    const alerts: Alert[] = info
      ? [
          {
            kind: 'guard-error',
            rule: info.reason,
            period: today,
            level: 'critical',
            severity: 'critical',
            covers: [],
            message: renderGuardError(info, ctx, today),
          },
        ]
      : [];
    const notifications = await deliver(org.id, alerts, pending, deps, wall, log).catch((error: unknown) => {
      log.error('delivering notifications failed', { orgId: org.id, error: errorMessage(error) });
      return [] as NotificationResult[];
    });
    return fail(base, runwayR.reason, log, metrics, notifications, 'reading Runway failed');
  }

  // Step 3: merge usage.
  const { details, reports } = runwayR.value;
  const rangeStart = reports[0]?.startDate ?? window.startDate;
  let storedDays = stored;
  if (rangeStart < window.startDate) {
    storedDays = [
      ...(await deps.store.getUsage(org.id, rangeStart, addDays(window.startDate, -1))),
      ...stored,
    ];
  }
  const fetched = indexUsage(reports.flatMap((r) => r.days));
  const storedIndex = indexUsage(storedDays);
  const changed = changedDays(fetched, storedIndex, rangeStart, today);
  const merged = new Map(storedIndex);
  for (const day of changed) merged.set(day.date, day);
  const historyStart = status?.historyStart ?? rangeStart;

  // Step 4: evaluate.
  const input: RuleInput = {
    org,
    config: deps.config,
    now,
    details,
    usage: merged,
    historyStart,
    previous,
    balanceEpisode: status?.balanceEpisode,
  };
  const evaluation = evaluateRules(input);
  const overview = computeOverview(input);
  const alerts: Alert[] = evaluation.findings.map((f) => ({
    kind: f.kind,
    rule: f.rule,
    period: f.period,
    level: f.level,
    severity: f.severity,
    covers: f.covers,
    message: renderFinding(f, ctx),
  }));
  if (now.getUTCHours() >= deps.config.digest.hourUtc) {
    alerts.push({
      kind: 'digest',
      rule: 'daily',
      period: today,
      level: 'info',
      severity: 'info',
      covers: [],
      message: renderDigest(
        overview,
        ctx,
        evaluation.findings.filter((f) => f.severity !== 'info').map((f) => f.summary),
      ),
    });
  }

  const snapshot: Snapshot = {
    orgId: org.id,
    date: today,
    fetchedAt: now.toISOString(),
    creditBalance: details.creditBalance,
    maxMonthlyCreditSpend: details.maxMonthlyCreditSpend,
    models: details.models,
    monthToDateCredits: overview.monthToDate,
    rolling30dCredits: overview.used30d,
    forecastMonthCredits: overview.forecast?.projected ?? null,
  };
  const newStatus: OrgStatus = {
    orgId: org.id,
    state: statusOf(evaluation.findings),
    reasons: evaluation.findings.map((f) => f.summary),
    updatedAt: now.toISOString(),
    lastSuccessAt: now.toISOString(),
    backfilledAt: status?.backfilledAt ?? now.toISOString(),
    historyStart,
    balanceEpisode: evaluation.balanceEpisode,
  };

  // Step 5: save first. Alerts go out only once the state they were derived from is stored: a save that
  // fails after a publish would leave the stored snapshot and status behind what subscribers were told, and
  // the next run would evaluate from the old state again (a tier change back to the old value is then never
  // announced; a low-balance episode opened by the failed run is opened, and announced, a second time).
  const saveR = await deps.store
    .saveCycle({ orgId: org.id, usage: changed, snapshot, status: newStatus })
    .then(
      (value) => ({ ok: true as const, value }),
      (reason: unknown) => ({ ok: false as const, reason }),
    );
  if (!saveR.ok) return fail(base, saveR.reason, log, metrics, [], 'saving the snapshot failed');
  // Step 6: claim and publish.
  const deliverR = await deliver(org.id, alerts, pending, deps, wall, log).then(
    (value) => ({ ok: true as const, value }),
    (reason: unknown) => ({ ok: false as const, reason }),
  );
  if (!deliverR.ok) return fail(base, deliverR.reason, log, metrics, [], 'recording alerts failed');
  const notifications = deliverR.value;
  const failed = notifications.filter((n) => n.outcome === 'failed');

  emitOrgMetrics(metrics, org.id, snapshot, overview);
  const result: OrgCycleResult = {
    ...base,
    ok: failed.length === 0,
    error:
      failed.length === 0
        ? undefined
        : {
            name: 'NotificationDeliveryError',
            message: `${failed.length} notification(s) could not be published (${failed[0]?.error}); they stay pending and go out on the next run`,
          },
    overview,
    snapshot,
    status: newStatus,
    notifications,
    usageDaysWritten: changed.length,
    writeRequests: saveR.value.writeRequests,
    backfilled: reports.length > 1,
  };
  metrics.emit(
    [{ name: failed.length ? METRIC.cycleFailed : METRIC.cycleSucceeded, value: 1, unit: 'Count' }],
    {},
  );
  log.info('guard cycle finished', {
    orgId: org.id,
    ok: result.ok,
    state: newStatus.state,
    usageDaysWritten: changed.length,
    notifications: notifications.map((n) => ({ key: n.key, outcome: n.outcome })),
  });
  return result;
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
  base: { orgId: string; orgName: string; now: string },
  reason: unknown,
  log: Logger,
  metrics: MetricsSink,
  notifications: readonly NotificationResult[],
  what: string,
): OrgCycleResult {
  const error = reason instanceof Error ? reason : new Error(String(reason));
  log.error(`guard cycle failed: ${what}`, {
    orgId: base.orgId,
    error: error.message,
    errorName: error.name,
  });
  metrics.emit([{ name: METRIC.cycleFailed, value: 1, unit: 'Count' }], {});
  return {
    ...base,
    ok: false,
    error: { name: error.name, message: error.message },
    notifications,
    usageDaysWritten: 0,
    writeRequests: 0,
    backfilled: false,
  };
}

/**
 * The ledger protocol: claim each alert (conditional write), publish what this run claimed, mark it sent.
 * Pending alerts of earlier runs are claimed and published the same way. Lower thresholds crossed in the
 * same run are recorded as covered. Throws only when the ledger itself cannot be written.
 */
async function deliver(
  orgId: string,
  alerts: readonly Alert[],
  pending: readonly PendingAlert[],
  deps: GuardDeps,
  wall: () => Date,
  log: Logger,
): Promise<NotificationResult[]> {
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const expiresAt = new Date(wall().getTime() + LEDGER_TTL_DAYS * 86_400_000);
  const items = new Map<string, { message: Message; kind: string; severity: string; redelivery: boolean }>();
  for (const p of pending) {
    items.set(p.key, {
      message: p.message,
      kind: p.message.attributes.kind,
      severity: p.message.attributes.severity,
      redelivery: true,
    });
  }
  for (const a of alerts) {
    const key = alertKey(a);
    const wasPending = items.has(key);
    items.set(key, { message: a.message, kind: a.kind, severity: a.severity, redelivery: wasPending });
  }
  const covered = alerts.flatMap((a) =>
    a.covers.map((level) => ({ key: alertKey({ ...a, level }), coveredBy: alertKey(a) })),
  );

  const claimNow = wall();
  const [claims] = await Promise.all([
    Promise.all(
      [...items].map(async ([key, item]) => ({
        key,
        item,
        claim: await deps.store.claimAlert({
          orgId,
          key,
          message: item.message,
          now: claimNow,
          leaseMs,
          expiresAt,
        }),
      })),
    ),
    ...groupCovered(covered).map(([coveredBy, keys]) =>
      deps.store.recordCovered({ orgId, keys, coveredBy, expiresAt }),
    ),
  ]);

  return Promise.all(
    claims.map(async ({ key, item, claim }): Promise<NotificationResult> => {
      const common = {
        key,
        kind: item.kind,
        severity: item.severity,
        subject: item.message.subject,
        redelivery: item.redelivery,
        message: item.message,
      };
      if (claim === 'sent') return { ...common, outcome: 'duplicate' };
      if (claim === 'leased') return { ...common, outcome: 'in-flight' };
      let messageId: string;
      try {
        messageId = await deps.notifier.publish(item.message);
      } catch (error) {
        log.error('publishing a notification failed; it stays pending for the next run', {
          orgId,
          key,
          error: errorMessage(error),
        });
        return { ...common, outcome: 'failed', error: errorMessage(error) };
      }
      await deps.store.markAlertSent({ orgId, key, messageId, sentAt: wall() });
      return { ...common, outcome: 'sent', messageId };
    }),
  );
}

function groupCovered(covered: readonly { key: string; coveredBy: string }[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const c of covered) groups.set(c.coveredBy, [...(groups.get(c.coveredBy) ?? []), c.key]);
  return [...groups];
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
