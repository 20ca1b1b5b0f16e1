/**
 * The ledger protocol that makes delivery at least once and never doubled by a re-run:
 * 1. Claim each alert: create its ledger item `pending` with a lease, by a conditional write (absent, or
 *    `pending` with an expired lease). Alerts that earlier runs left pending are claimed the same way.
 * 2. Publish what this run claimed; on success mark the item `sent` with the transport's message id.
 * 3. A publish that fails leaves the item `pending`; the next run sends it.
 * 4. Lower thresholds crossed in the same run are recorded as covered (`sent`, no message).
 * 5. An alert that needs several publishes (the alerts topic and chat channels) is marked `sent` only when all
 *    succeeded. When some failed, the ones that succeeded are recorded on the pending item and the retry
 *    skips them; only a crash between a publish and that record makes a destination receive it twice.
 */

import {
  type Alert,
  alertKey,
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
  const { store, wall, log } = deps;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const expiresAt = new Date(wall().getTime() + LEDGER_TTL_DAYS * 86_400_000);
  const items = new Map<
    string,
    {
      message: Message;
      kind: string;
      severity: string;
      redelivery: boolean;
      delivered: readonly string[];
    }
  >();
  for (const p of pending) {
    items.set(p.key, {
      message: p.message,
      kind: p.message.attributes.kind,
      severity: p.message.attributes.severity,
      redelivery: true,
      delivered: p.delivered ?? [],
    });
  }
  for (const a of alerts) {
    const key = alertKey(a);
    const earlier = items.get(key);
    items.set(key, {
      message: a.message,
      kind: a.kind,
      severity: a.severity,
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
        messageId = await deps.notifier.publish(
          item.message,
          item.delivered.length > 0 ? { skip: item.delivered } : undefined,
        );
      } catch (error) {
        if (error instanceof PartialDeliveryError && error.delivered.size > 0) {
          // The claim rewrote the item, so record everything reached so far, not only this attempt's.
          const destinations = [...new Set([...item.delivered, ...error.delivered.keys()])];
          await store.recordDelivered?.({ orgId, key, destinations });
          log.error('a notification reached some destinations only; the rest are retried next run', {
            orgId,
            key,
            delivered: destinations,
            error: errorMessage(error),
          });
          return { ...common, outcome: 'failed', error: errorMessage(error) };
        }
        log.error('publishing a notification failed; it stays pending for the next run', {
          orgId,
          key,
          error: errorMessage(error),
        });
        return { ...common, outcome: 'failed', error: errorMessage(error) };
      }
      await store.markAlertSent({ orgId, key, messageId, sentAt: wall() });
      return { ...common, outcome: 'sent', messageId };
    }),
  );
}

function groupCovered(covered: readonly { key: string; coveredBy: string }[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const c of covered) groups.set(c.coveredBy, [...(groups.get(c.coveredBy) ?? []), c.key]);
  return [...groups];
}
