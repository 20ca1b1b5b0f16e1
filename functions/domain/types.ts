/**
 * The guard's domain vocabulary and the ports its adapters implement. Nothing here imports an SDK.
 * Dates are UTC calendar days written `YYYY-MM-DD`; amounts are Runway credits (net, may be negative).
 */
import type { AlertKind, Severity } from '../config.ts';
import type { ChatCard } from './alerts/chat.ts';
import { ledgerKey } from './ledger-key.ts';

/** Limits and today's use of one model, as Runway reports them. `null` limits mean unlimited. */
export interface ModelState {
  readonly maxConcurrentGenerations: number | null;
  readonly maxDailyGenerations: number | null;
  /** Generations run in Runway's last day window; 0 when Runway does not list the model. */
  readonly dailyGenerations: number;
  /**
   * False when the model appears in today's usage but not in the tier Runway returned: its limits are then
   * unknown, not unlimited. Absent (older snapshots) means in the tier.
   */
  readonly inTier?: boolean;
}

/** `GET /v1/organization`, validated and flattened. */
export interface OrganizationDetails {
  readonly creditBalance: number;
  /** Credits the tier may buy in 30 days. */
  readonly maxMonthlyCreditSpend: number;
  /** Every model that appears in the tier or in today's usage. */
  readonly models: Readonly<Record<string, ModelState>>;
}

/** Net credits of one UTC day, per model. */
export interface UsageDay {
  readonly date: string;
  /** A record without a prototype (`records.ts`): any string is a model name. */
  readonly credits: Readonly<Record<string, number>>;
  /** Exact, the models left out of `credits` included. */
  readonly totalCredits: number;
  /**
   * Models left out of `credits` so the stored item fits DynamoDB's item size (the smallest amounts go
   * first; `cycle-state.ts` `boundUsageDay`). Absent when none.
   */
  readonly modelsOmitted?: number | undefined;
}

/** `POST /v1/organization/usage` for `[startDate, beforeDate)`, validated. Days with no usage are absent. */
export interface UsageReport {
  readonly startDate: string;
  readonly beforeDate: string;
  readonly days: readonly UsageDay[];
}

/** The stored picture of an organization on one UTC day (the latest run of that day wins). */
export interface Snapshot {
  readonly orgId: string;
  readonly date: string;
  readonly fetchedAt: string;
  readonly creditBalance: number;
  readonly maxMonthlyCreditSpend: number;
  readonly models: Readonly<Record<string, ModelState>>;
  /**
   * Models Runway listed that the snapshot leaves out so its item fits DynamoDB's item size (models with
   * limits or use today are kept first; `cycle-state.ts` `buildSnapshot`). Absent when none.
   */
  readonly modelsOmitted?: number | undefined;
  readonly monthToDateCredits: number;
  readonly rolling30dCredits: number;
  readonly forecastMonthCredits: number | null;
  /**
   * Credits bought that UTC day, inferred from balance changes (balance now − balance at the previous read +
   * credits used in between, counted when at least Runway's 1,000-credit minimum purchase). Runs of the same
   * day add up. Absent on days before the guard watched the balance.
   */
  readonly purchasedCredits?: number;
}

/** `stop`: a budget with `stopAt` is at or past it; pipelines that check the gate hold new work. */
export type StatusState = 'ok' | 'warn' | 'critical' | 'stop';

/** What the organization's state parameter was last written with (recorded only after a successful write). */
export interface StateParameterRecord {
  readonly state: StatusState;
  /** The budget that caused a `stop`, if any. */
  readonly budget?: string | undefined;
  /** When this state began. */
  readonly since: string;
  readonly writtenAt: string;
}

/** An open low-balance episode: the balance alert re-arms only after it closes. */
export interface BalanceEpisode {
  /**
   * The period key the episode's alert was recorded under: the ISO instant of the run that opened it, unique
   * per episode (episodes opened before this rule carry the UTC hour `YYYY-MM-DDTHH`).
   */
  readonly since: string;
}

/** Limits of one model in the tier. `null` means unlimited. */
export interface TierLimits {
  readonly maxConcurrentGenerations: number | null;
  readonly maxDailyGenerations: number | null;
}

/**
 * The tier as subscribers last heard of it: the tier-change rule compares Runway's tier with this, not with the
 * previous snapshot, and it moves to a new tier only once the tier-change alert announcing it was sent. A change
 * whose alert failed is therefore found again by the next run, and a return to an older tier is a change too.
 */
export interface AnnouncedTier {
  /** The UTC day this tier was last seen unchanged, or announced. */
  readonly date: string;
  readonly maxMonthlyCreditSpend: number;
  /** Models the tier lists (a prototype-less record: model names are data). */
  readonly models: Readonly<Record<string, TierLimits>>;
  /** Models left out because the tier was too large to store whole (they are taken as unchanged). */
  readonly modelsOmitted?: number | undefined;
}

export interface OrgStatus {
  readonly orgId: string;
  readonly state: StatusState;
  readonly reasons: readonly string[];
  readonly updatedAt: string;
  readonly lastSuccessAt: string;
  /** When the organization's history was first backfilled; absent before the first successful cycle. */
  readonly backfilledAt?: string | undefined;
  /** First UTC day the stored usage history covers (the backfill's start). */
  readonly historyStart?: string | undefined;
  readonly balanceEpisode?: BalanceEpisode | undefined;
  /** The budget whose `stopAt` set the state to `stop`. */
  readonly stopBudget?: string | undefined;
  /** The state parameter's last successful write, when the guard publishes one. */
  readonly stateParameter?: StateParameterRecord | undefined;
  /** The first UTC day the guard read the balance: purchases are known from then on. */
  readonly watchStart?: string | undefined;
  /** The tier last announced (or first seen); absent before the first cycle (and in older items). */
  readonly announcedTier?: AnnouncedTier | undefined;
  /**
   * A tier change found by the run that stored this status, and the ledger key of its alert. The next run
   * looks the key up: once the alert is in the ledger (sent, or pending for redelivery) this tier is the
   * announced one; if the ledger write never happened, `announcedTier` still is, and the change is found again.
   */
  readonly tierChangePending?: { readonly key: string; readonly tier: AnnouncedTier } | undefined;
}

/** A rendered notification, ready to publish. */
export interface Message {
  /** ≤ 100 characters, names the organization and the figure. */
  readonly subject: string;
  /** Plain text for email. */
  readonly text: string;
  /** Every figure, for machine subscribers (sent as the JSON body). */
  readonly json: Readonly<Record<string, unknown>>;
  /** The card for Slack and Teams (AWS Chatbot's custom-notification format). Absent in older stored messages. */
  readonly chat?: ChatCard | undefined;
  readonly attributes: {
    readonly kind: AlertKind;
    readonly severity: Severity;
    readonly org: string;
    readonly rule: string;
  };
}

/** One alert a rule raised; `key` identifies it in the ledger. */
export interface Alert {
  readonly kind: AlertKind;
  readonly rule: string;
  /** The period it fires once per, e.g. `2026-11`, `2026-11-22`, `2026-11-22T08`. */
  readonly period: string;
  /** Threshold %, `critical`, `info`, … */
  readonly level: string;
  readonly severity: Severity;
  /** Ledger levels this alert also covers (lower thresholds crossed in the same run). */
  readonly covers: readonly string[];
  readonly message: Message;
}

/**
 * `ALERT#<kind>#<rule>#<period>#<level>` without the prefix, each part encoded so that no two alerts share a
 * key whatever names they carry (`ledger-key.ts`; ordinary names are unchanged).
 */
export function alertKey(alert: Pick<Alert, 'kind' | 'rule' | 'period' | 'level'>): string {
  return ledgerKey(alert);
}

// ---------------------------------------------------------------------------------------------------------
// Ports

export interface UsageRange {
  /** Inclusive, `YYYY-MM-DD`. */
  readonly startDate: string;
  /** Exclusive, `YYYY-MM-DD`, at most 90 days after `startDate`. */
  readonly beforeDate: string;
}

/** Reads one organization from Runway. Implementations throw `RunwayError` subclasses. */
export interface RunwayPort {
  fetchOrganization(): Promise<OrganizationDetails>;
  fetchUsage(range: UsageRange): Promise<UsageReport>;
}

/** `undeliverable`: SNS rejected the alert for good and the ledger gave up on it (reported as `guard-error`). */
export type ClaimResult = 'claimed' | 'sent' | 'leased' | 'undeliverable';

export interface PendingAlert {
  readonly key: string;
  readonly message: Message;
  /** Publishes SNS rejected as invalid so far (counted on the ledger item). */
  readonly rejections?: number | undefined;
  /** Destinations an earlier, partly failed run already delivered it to (see `PartialDeliveryError`). */
  readonly delivered?: readonly string[] | undefined;
}

/**
 * One alert ledger item that is not `sent`: `pending` (claimed, not yet marked sent), `undeliverable` (SNS
 * rejected it for good), or any other state a newer guard writes. Read by `budget-guard status`.
 */
export interface LedgerEntry {
  /** `<kind>#<rule>#<period>#<level>`, as `alertKey` builds it. */
  readonly key: string;
  readonly state: string;
  readonly subject?: string | undefined;
  /** When the alert was (last) claimed, ISO. */
  readonly createdAt?: string | undefined;
  readonly sentAt?: string | undefined;
  /** Until when the claiming run holds it, ISO; absent once the lease is dropped. */
  readonly leaseUntil?: string | undefined;
}

/** The DynamoDB table, as the guard uses it. */
export interface StorePort {
  /** Stored usage days in `[from, to]` inclusive, ascending. */
  getUsage(orgId: string, from: string, to: string): Promise<UsageDay[]>;
  /** Stored snapshots in `[from, to]` inclusive, ascending. */
  getSnapshots(orgId: string, from: string, to: string): Promise<Snapshot[]>;
  /** The newest snapshot on or before `date`, if any. */
  getLatestSnapshot(orgId: string, onOrBefore: string): Promise<Snapshot | undefined>;
  getStatus(orgId: string): Promise<OrgStatus | undefined>;
  /**
   * Writes changed usage days, the day's snapshot and the status together, in as few batched requests
   * as possible. Either call succeeds or throws; partial batches are retried inside.
   */
  saveCycle(input: {
    readonly orgId: string;
    readonly usage: readonly UsageDay[];
    readonly snapshot?: Snapshot | undefined;
    readonly status?: OrgStatus | undefined;
    /** Stored on the usage items; defaults to the snapshot's `fetchedAt`, then the status's `updatedAt`. */
    readonly fetchedAt?: string | undefined;
  }): Promise<{ writeRequests: number }>;
  /**
   * Creates the ledger item `pending` with a lease, if it is absent or `pending` with an expired lease.
   * Stores the message so a later run can deliver it. Returns `sent` when it was already delivered (or
   * covered) and `leased` when another run holds a live lease on it.
   */
  claimAlert(input: {
    readonly orgId: string;
    readonly key: string;
    readonly message: Message;
    readonly now: Date;
    readonly leaseMs: number;
    readonly expiresAt: Date;
  }): Promise<ClaimResult>;
  /** Marks a claimed alert `sent` with the SNS MessageId. */
  markAlertSent(input: {
    readonly orgId: string;
    readonly key: string;
    readonly messageId: string;
    readonly sentAt: Date;
  }): Promise<void>;
  /** Records ledger keys as covered by a higher alert of the same run (`sent`, no message) when absent. */
  recordCovered(input: {
    readonly orgId: string;
    readonly keys: readonly string[];
    readonly coveredBy: string;
    readonly expiresAt: Date;
  }): Promise<void>;
  /** The state of one ledger item (`pending`, `sent`, `undeliverable`, …), or undefined when there is none. */
  getAlertState(orgId: string, key: string): Promise<string | undefined>;
  /**
   * Gives back the lease of a claimed alert whose publish failed, so the next run (or an engineer's `check`
   * right after fixing SNS) sends it at once. `rejected` counts the failure against the alert (SNS refused the
   * message itself); returns how many times it was rejected so far.
   */
  releaseAlert(input: {
    readonly orgId: string;
    readonly key: string;
    readonly error: string;
    readonly rejected: boolean;
  }): Promise<{ readonly rejections: number }>;
  /** Marks a pending alert `undeliverable` (final: never listed or claimed again) and drops its message. */
  markAlertUndeliverable(input: {
    readonly orgId: string;
    readonly key: string;
    readonly error: string;
    readonly at: Date;
  }): Promise<void>;
  /** Ledger items still `pending` whose lease expired before `now` (crashed or failed runs). */
  listPendingAlerts(orgId: string, now: Date): Promise<PendingAlert[]>;
  /** Every ledger item of the organization that is not `sent`, whatever its lease, in key order. */
  listLedger(orgId: string): Promise<LedgerEntry[]>;
  /**
   * Records, on a claimed alert that stays `pending`, the destinations it already reached, so the retry skips
   * them.
   */
  recordDelivered(input: {
    readonly orgId: string;
    readonly key: string;
    readonly destinations: readonly string[];
  }): Promise<void>;
}

export interface PublishOptions {
  /** Destinations that already have this message (from an earlier, partly failed run): not sent again. */
  readonly skip?: readonly string[] | undefined;
}

/** Publishes a message; returns the transport's message id. */
export interface NotifierPort {
  publish(message: Message, options?: PublishOptions): Promise<string>;
}

/**
 * A message that needs several publishes (the alerts topic and chat channels) reached some destinations and
 * failed at others. The alert stays pending; `delivered` are skipped when it is retried.
 */
export class PartialDeliveryError extends Error {
  override name = 'PartialDeliveryError';
  /** Every destination that failed rejected the message itself: a retry fails the same way. */
  readonly permanent: boolean;
  constructor(
    /** Destination → transport message id, for those that succeeded in this attempt. */
    readonly delivered: ReadonlyMap<string, string>,
    /** Destination → the error, for those that failed. */
    readonly failures: ReadonlyMap<string, unknown>,
    message: string,
  ) {
    super(message);
    this.permanent = failures.size > 0 && [...failures.values()].every(isPermanentError);
  }
}

/** Whether a notifier's error rejects the message itself (the SNS publishers set `permanent`). */
export function isPermanentError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;
}

/** The state a pipeline reads (an SSM parameter per organization), written when it changes. */
export interface StateParameterValue {
  readonly state: StatusState;
  readonly reasons: readonly string[];
  /** When the state last changed (or was last confirmed: see `refreshedAt`). */
  readonly updatedAt: string;
  /** When the guard last wrote the value; it rewrites an unchanged state at most every few hours. */
  readonly refreshedAt: string;
  /** The budget that caused a `stop`, or null. */
  readonly budget: string | null;
}

/** Publishes each organization's state where pipelines can read it without access to the table. */
export interface StatePublisherPort {
  /** Writes the organization's state value. Throws when the write fails. */
  write(orgId: string, value: StateParameterValue): Promise<void>;
}
