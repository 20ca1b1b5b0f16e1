/**
 * The guard's domain vocabulary and the ports its adapters implement. Nothing here imports an SDK.
 * Dates are UTC calendar days written `YYYY-MM-DD`; amounts are Runway credits (net, may be negative).
 */
import type { AlertKind, Severity } from '../config.ts';
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
}

export type StatusState = 'ok' | 'warn' | 'critical';

/** An open low-balance episode: the balance alert re-arms only after it closes. */
export interface BalanceEpisode {
  /**
   * The period key the episode's alert was recorded under: the ISO instant of the run that opened it, unique
   * per episode (episodes opened before this rule carry the UTC hour `YYYY-MM-DDTHH`).
   */
  readonly since: string;
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
}

/** A rendered notification, ready to publish. */
export interface Message {
  /** ≤ 100 characters, names the organization and the figure. */
  readonly subject: string;
  /** Plain text for email. */
  readonly text: string;
  /** Every figure, for machine subscribers (sent as the JSON body). */
  readonly json: Readonly<Record<string, unknown>>;
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
}

/** Publishes a message; returns the transport's message id. */
export interface NotifierPort {
  publish(message: Message): Promise<string>;
}
