/**
 * The figures of `budget-guard status`, computed from what the store and SNS said: how old the last successful
 * run is and whether that is stale, when the next run is due, which ledger items need attention, which
 * configured email addresses are not confirmed subscribers, and the verdict. Pure: no I/O, no clock.
 */
import type { Subscription } from '../config.ts';
import { heartbeatWindowSeconds, readScheduleInterval } from '../schedule.ts';
import type { LedgerEntry } from './types.ts';

// ---------------------------------------------------------------------------------------------------------
// Schedule, last success, next run

export interface ScheduleFacts {
  readonly expression: string;
  readonly kind: 'rate' | 'cron';
  /** Seconds between runs; for `cron(...)` the heartbeat alarm's assumed 3600. */
  readonly intervalSeconds: number;
  /** False for `cron(...)`: the interval is assumed, not read. */
  readonly exact: boolean;
  /**
   * A last success older than this is stale: the heartbeat alarm's window, two schedule periods. For a
   * schedule the stack refuses (two periods over 7 days), still two periods.
   */
  readonly staleAfterSeconds: number;
}

/** Reads a schedule expression that `parseConfig` accepted. */
export function scheduleFacts(expression: string): ScheduleFacts {
  const interval = readScheduleInterval(expression);
  let staleAfterSeconds = 2 * interval.seconds;
  try {
    const window = heartbeatWindowSeconds(interval.seconds);
    staleAfterSeconds = window.periodSeconds * window.evaluationPeriods;
  } catch {
    // Over CloudWatch's 7-day look-back: the stack will not deploy it, but the config may still be read here.
  }
  return {
    expression,
    kind: interval.exact ? 'rate' : 'cron',
    intervalSeconds: interval.seconds,
    exact: interval.exact,
    staleAfterSeconds,
  };
}

export interface LastSuccess {
  /** ISO; `null` when no run has succeeded (no STATUS item). */
  readonly at: string | null;
  /** Whole seconds from `at` to now; negative when `at` is after now (a `--now` before it). */
  readonly ageSeconds: number | null;
  /** True when no run has succeeded, or the last success is older than `staleAfterSeconds`. */
  readonly stale: boolean;
}

export function lastSuccess(schedule: ScheduleFacts, at: string | undefined, now: Date): LastSuccess {
  if (at === undefined) return { at: null, ageSeconds: null, stale: true };
  const ageSeconds = Math.floor((now.getTime() - Date.parse(at)) / 1000);
  return { at, ageSeconds, stale: ageSeconds > schedule.staleAfterSeconds };
}

/**
 * When the next run is due:
 * - `rate(...)`: the last success plus one period (`due`), or `overdue` once that is past. EventBridge counts
 *   rate periods from when the schedule was created, so a run that succeeded is followed within one period.
 * - `cron(...)`: not computed (`cron`); the expression is shown as it is. AWS cron has its own 6-field
 *   syntax (`?`, `L`, `W`, `#`, a year field, weekdays 1–7 from Sunday), and no library in the project reads it.
 * - no success yet under `rate(...)`: `unknown`.
 */
export type NextRun =
  | { readonly kind: 'due'; readonly at: string; readonly inSeconds: number }
  | { readonly kind: 'overdue'; readonly at: string; readonly overdueSeconds: number }
  | { readonly kind: 'cron'; readonly expression: string }
  | { readonly kind: 'unknown' };

export function nextRun(schedule: ScheduleFacts, lastSuccessAt: string | undefined, now: Date): NextRun {
  if (schedule.kind === 'cron') return { kind: 'cron', expression: schedule.expression };
  if (lastSuccessAt === undefined) return { kind: 'unknown' };
  const dueMs = Date.parse(lastSuccessAt) + schedule.intervalSeconds * 1000;
  const at = new Date(dueMs).toISOString();
  const seconds = Math.floor((dueMs - now.getTime()) / 1000);
  return seconds >= 0
    ? { kind: 'due', at, inSeconds: seconds }
    : { kind: 'overdue', at, overdueSeconds: -seconds };
}

// ---------------------------------------------------------------------------------------------------------
// Alert ledger

export interface LedgerFinding extends LedgerEntry {
  /** True unless a run holds a live lease on it (it is being sent now). */
  readonly attention: boolean;
  /** One line: what the item's state means. */
  readonly note: string;
}

/**
 * What each not-`sent` ledger item means at `wall` (real time: leases are real time even when `--now` is set).
 * - `pending` with a live lease: a run is sending it now; fine.
 * - `pending` whose lease expired (or with none): the run that claimed it died or failed to publish; the next
 *   run sends it again. Needs attention if it stays.
 * - `undeliverable`: SNS rejected it for good; it will never be sent.
 * - anything else: a state this version does not know; shown as it is.
 */
export function assessLedger(entries: readonly LedgerEntry[], wall: Date): LedgerFinding[] {
  return entries.map((entry) => {
    if (entry.state === 'pending') {
      const leaseMs = entry.leaseUntil === undefined ? Number.NaN : Date.parse(entry.leaseUntil);
      if (leaseMs >= wall.getTime()) {
        return { ...entry, attention: false, note: 'being sent by a run now (its lease is live)' };
      }
      return {
        ...entry,
        attention: true,
        note:
          entry.leaseUntil === undefined
            ? 'pending with no lease: not sent; the next run sends it'
            : 'pending past its lease: the run that claimed it did not send it; the next run tries again',
      };
    }
    if (entry.state === 'undeliverable') {
      return {
        ...entry,
        attention: true,
        note: 'undeliverable: SNS rejected it for good; it will not be sent',
      };
    }
    return { ...entry, attention: true, note: `in state "${entry.state}", not sent` };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Subscriptions

/** One subscription as SNS lists it. */
export interface TopicSubscription {
  /** The subscription's ARN, or `PendingConfirmation` until the endpoint owner confirms it. */
  readonly subscriptionArn: string;
  readonly protocol: string;
  readonly endpoint: string;
}

/** The subscription ARN SNS lists while an email address has not confirmed. */
export const PENDING_CONFIRMATION = 'PendingConfirmation';

/** How long SNS keeps an unconfirmed subscription before deleting it (since May 2023). */
export const UNCONFIRMED_SUBSCRIPTION_HOURS = 48;

export type EmailSubscriptionState = 'confirmed' | 'pending-confirmation' | 'missing' | 'other';

export interface EmailSubscriptionFinding {
  readonly email: string;
  readonly state: EmailSubscriptionState;
  /** As SNS listed it (an ARN, `PendingConfirmation`, or another placeholder); absent when missing. */
  readonly subscriptionArn?: string | undefined;
  readonly attention: boolean;
  /** What to do, one line each; empty when confirmed. */
  readonly advice: readonly string[];
}

/**
 * Compares the config's email subscriptions with what SNS lists for the topic (addresses compared without
 * case; only `email` subscriptions count, as the stack creates those). Subscriptions SNS lists that the config
 * does not name are returned as `others`, for information.
 */
export function assessSubscriptions(
  configured: readonly Subscription[],
  listed: readonly TopicSubscription[],
  topicArn: string,
): { readonly emails: EmailSubscriptionFinding[]; readonly others: TopicSubscription[] } {
  const byAddress = new Map<string, TopicSubscription[]>();
  for (const s of listed) {
    if (s.protocol !== 'email') continue;
    const address = s.endpoint.toLowerCase();
    byAddress.set(address, [...(byAddress.get(address) ?? []), s]);
  }
  const configuredAddresses = new Set(configured.map((c) => c.email.toLowerCase()));
  const emails = configured.map((subscription): EmailSubscriptionFinding => {
    const found = byAddress.get(subscription.email.toLowerCase()) ?? [];
    const confirmed = found.find((s) => s.subscriptionArn.startsWith('arn:'));
    if (confirmed) {
      return {
        email: subscription.email,
        state: 'confirmed',
        subscriptionArn: confirmed.subscriptionArn,
        attention: false,
        advice: [],
      };
    }
    const pending = found.find((s) => s.subscriptionArn === PENDING_CONFIRMATION);
    if (pending) {
      return {
        email: subscription.email,
        state: 'pending-confirmation',
        subscriptionArn: PENDING_CONFIRMATION,
        attention: true,
        advice: [
          `${subscription.email} has not confirmed: the confirmation link is in the email AWS Notifications sent ` +
            `when the subscription was created. SNS deletes a subscription left unconfirmed for ` +
            `${UNCONFIRMED_SUBSCRIPTION_HOURS} hours; after that it shows here as missing.`,
        ],
      };
    }
    return {
      email: subscription.email,
      state: found.length > 0 ? 'other' : 'missing',
      subscriptionArn: found[0]?.subscriptionArn,
      attention: true,
      advice: missingAdvice(subscription, topicArn, found[0]?.subscriptionArn),
    };
  });
  const others = listed.filter(
    (s) => !(s.protocol === 'email' && configuredAddresses.has(s.endpoint.toLowerCase())),
  );
  return { emails, others };
}

/**
 * How to get a configured address subscribed again. SNS deletes an email subscription nobody confirmed within
 * 48 hours, but CloudFormation still has it in the stack, so `cdk deploy` alone does not create it again.
 */
function missingAdvice(subscription: Subscription, topicArn: string, listedAs: string | undefined): string[] {
  const what =
    listedAs === undefined
      ? `SNS has no subscription for ${subscription.email}`
      : `SNS lists ${subscription.email} as "${listedAs}", not subscribed`;
  return [
    `${what}: it was never deployed, was unsubscribed, or was left unconfirmed for ` +
      `${UNCONFIRMED_SUBSCRIPTION_HOURS} hours and deleted. CloudFormation still counts a deleted one as created, ` +
      'so "cdk deploy" alone does not bring it back. Either subscribe it again (outside the stack):',
    resubscribeCommand(topicArn, subscription),
    'or remove it from subscriptions in cdk.json, run "cdk deploy", put it back and run "cdk deploy" again. ' +
      'Either way SNS sends a new confirmation email, to be confirmed within 48 hours.',
  ];
}

/** The filter policy the stack gives an email subscription: its kinds and, if listed, severities. */
export function filterPolicyOf(subscription: Subscription): Record<string, string[]> {
  const policy: Record<string, string[]> = { kind: [...subscription.kinds] };
  if (subscription.severities) policy.severity = [...subscription.severities];
  return policy;
}

/** An `aws sns subscribe` command that recreates the subscription with the stack's filter policy. */
export function resubscribeCommand(topicArn: string, subscription: Subscription): string {
  const attributes = JSON.stringify({ FilterPolicy: JSON.stringify(filterPolicyOf(subscription)) });
  return [
    'aws sns subscribe',
    `--topic-arn ${shellQuote(topicArn)}`,
    '--protocol email',
    `--notification-endpoint ${shellQuote(subscription.email)}`,
    `--attributes ${shellQuote(attributes)}`,
  ].join(' ');
}

/** Quotes for a POSIX shell when the text has anything but safe characters. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------------------
// Verdict and formatting

/** The one-line verdict. `unknown` counts checks that could not be made (they do not fail the command). */
export function verdict(attention: number, unknown = 0): string {
  const head =
    attention === 0
      ? 'All good.'
      : `${attention} ${attention === 1 ? 'thing needs' : 'things need'} attention.`;
  if (unknown === 0) return head;
  return `${head} ${unknown} ${unknown === 1 ? 'check' : 'checks'} could not be made (see the warnings).`;
}
