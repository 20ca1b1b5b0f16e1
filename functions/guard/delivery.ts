/**
 * The ledger protocol that makes delivery at least once and never doubled by a re-run:
 * 1. Claim each alert: create its ledger item `pending` with a lease, by a conditional write (absent, or
 *    `pending` with an expired lease). Alerts that earlier runs left pending are claimed the same way.
 * 2. Publish what this run claimed; on success mark the item `sent` with the transport's message id.
 * 3. A publish that fails leaves the item `pending` and gives its lease back at once, so the next run (or a
 *    `check` right after SNS is fixed) sends it.
 * 4. A publish SNS rejects as invalid (the error's `permanent`) is counted on the item; after
 *    {@link MAX_REJECTIONS} rejected runs the result says it gives up. The cycle claims a `guard-error` report
 *    for it first, then {@link markUndeliverable} makes the item `undeliverable` (final, never listed again):
 *    a run that stops in between leaves the item pending, and the next run gives up on it again, so the
 *    report is never lost (nor doubled: its ledger key is derived from the alert's).
 * 5. Lower thresholds crossed in the same run are recorded as covered (`sent`, no message).
 * 6. An alert that needs several publishes (the alerts topic and chat channels) is marked `sent` only when all
 *    succeeded. When some failed, the ones that succeeded are recorded on the pending item and the retry
 *    skips them; only a crash between a publish and that record makes a destination receive it twice.
 */

import {
  type Alert,
  alertKey,
  isPermanentError,
  type Message,
  type NotifierPort,
  PartialDeliveryError,
  type PendingAlert,
  type StorePort,
} from '../domain/types.ts';
import type { Logger } from '../observability.ts';
import { errorMessage } from '../observability.ts';

/** How long a claimed alert is reserved for the run that claimed it. */
export const DEFAULT_LEASE_MS = 120_000;
/** Ledger items expire after this (DynamoDB TTL). Long enough to outlive any period they dedupe. */
const LEDGER_TTL_DAYS = 400;

/** Runs in which SNS may reject an alert as invalid before the ledger gives up on it. */
export const MAX_REJECTIONS = 3;

/**
 * `in-flight`: another live run holds the alert's lease and is sending it. `undeliverable`: SNS rejected it
 * {@link MAX_REJECTIONS} times; the ledger gave up on it.
 */
export type DeliveryOutcome = 'sent' | 'duplicate' | 'in-flight' | 'failed' | 'undeliverable';

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
  /** True when this run made the alert `undeliverable` (it is to be reported once). */
  readonly gaveUp?: boolean | undefined;
  /** Rejected publishes so far, for `undeliverable`. */
  readonly attempts?: number | undefined;
  readonly message: Message;
}

export interface DeliveryDeps {
  readonly store: StorePort;
  readonly notifier: NotifierPort;
  /** Real time, for leases and TTLs. */
  readonly wall: () => Date;
  readonly leaseMs?: number | undefined;
  readonly log: Logger;
}

/**
 * Claims, publishes and marks every alert of this run and every pending one of earlier runs.
 * Throws only when the ledger itself cannot be written; a failed publish is an outcome, not a throw.
 */
export async function deliver(
  orgId: string,
  alerts: readonly Alert[],
  pending: readonly PendingAlert[],
  deps: DeliveryDeps,
): Promise<NotificationResult[]> {
  const { store, wall } = deps;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const expiresAt = new Date(wall().getTime() + LEDGER_TTL_DAYS * 86_400_000);
  // Kind and severity come from each message's attributes (what the subscribers filter on).
  const items = new Map<string, { message: Message; redelivery: boolean; delivered: readonly string[] }>();
  for (const p of pending) {
    items.set(p.key, { message: p.message, redelivery: true, delivered: p.delivered ?? [] });
  }
  for (const a of alerts) {
    const key = alertKey(a);
    const earlier = items.get(key);
    items.set(key, {
      message: a.message,
      redelivery: earlier !== undefined,
      delivered: earlier?.delivered ?? [],
    });
  }
  const covered = alerts.flatMap((a) =>
    a.covers.map((level) => ({ key: alertKey({ ...a, level }), coveredBy: alertKey(a) })),
  );

  const claimNow = wall();
  const claimAll = Promise.all(
    [...items].map(async ([key, item]) => ({
      key,
      item,
      claim: await store.claimAlert({ orgId, key, message: item.message, now: claimNow, leaseMs, expiresAt }),
    })),
  );
  const recordAll = Promise.all(
    groupCovered(covered).map(([coveredBy, keys]) =>
      store.recordCovered({ orgId, keys, coveredBy, expiresAt }),
    ),
  );
  const [claims] = await Promise.all([claimAll, recordAll]);

  return Promise.all(
    claims.map(async ({ key, item, claim }): Promise<NotificationResult> => {
      const common = {
        key,
        kind: item.message.attributes.kind,
        severity: item.message.attributes.severity,
        subject: item.message.subject,
        redelivery: item.redelivery,
        message: item.message,
      };
      if (claim === 'sent') return { ...common, outcome: 'duplicate' };
      if (claim === 'leased') return { ...common, outcome: 'in-flight' };
      if (claim === 'undeliverable') return { ...common, outcome: 'undeliverable' };
      let messageId: string;
      try {
        messageId = await deps.notifier.publish(
          item.message,
          item.delivered.length > 0 ? { skip: item.delivered } : undefined,
        );
      } catch (error) {
        if (error instanceof PartialDeliveryError && error.delivered.size > 0) {
          // The claim rewrote the item, so record everything reached so far, not only this attempt's.
          const destinations = [...new Set([...item.delivered, ...error.delivered.keys()])];
          await store.recordDelivered({ orgId, key, destinations });
          deps.log.error('a notification reached some destinations only; the rest are retried next run', {
            orgId,
            key,
            delivered: destinations,
          });
        }
        return publishFailed(orgId, key, error, deps, common);
      }
      await store.markAlertSent({ orgId, key, messageId, sentAt: wall() });
      return { ...common, outcome: 'sent', messageId };
    }),
  );
}

/**
 * A failed publish: the lease goes back at once; a rejection of the message itself is counted, and the
 * {@link MAX_REJECTIONS}th makes the alert `undeliverable`. A ledger write that fails here is logged, not
 * thrown: the lease then expires on its own and the publish is retried.
 */
async function publishFailed(
  orgId: string,
  key: string,
  error: unknown,
  deps: DeliveryDeps,
  common: Omit<NotificationResult, 'outcome'>,
): Promise<NotificationResult> {
  const { store, log } = deps;
  const text = errorMessage(error);
  const permanent = isPermanentError(error);
  try {
    const { rejections } = await store.releaseAlert({ orgId, key, error: text, rejected: permanent });
    if (permanent && rejections >= MAX_REJECTIONS) {
      log.error('SNS rejected a notification for good; it is reported and marked undeliverable', {
        orgId,
        key,
        rejections,
        error: text,
      });
      return { ...common, outcome: 'undeliverable', error: text, gaveUp: true, attempts: rejections };
    }
  } catch (ledgerError) {
    log.error('releasing a failed notification in the ledger failed; its lease expires on its own', {
      orgId,
      key,
      error: errorMessage(ledgerError),
    });
  }
  log.error('publishing a notification failed; it stays pending for the next run', {
    orgId,
    key,
    error: text,
  });
  return { ...common, outcome: 'failed', error: text };
}

/** Marks the alerts this run gave up on `undeliverable`, once their reports are in the ledger. */
export async function markUndeliverable(
  orgId: string,
  results: readonly NotificationResult[],
  deps: Pick<DeliveryDeps, 'store' | 'wall'>,
): Promise<void> {
  await Promise.all(
    results
      .filter((n) => n.gaveUp)
      .map((n) =>
        deps.store.markAlertUndeliverable({
          orgId,
          key: n.key,
          error: n.error ?? 'rejected',
          at: deps.wall(),
        }),
      ),
  );
}

function groupCovered(covered: readonly { key: string; coveredBy: string }[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const c of covered) groups.set(c.coveredBy, [...(groups.get(c.coveredBy) ?? []), c.key]);
  return [...groups];
}
