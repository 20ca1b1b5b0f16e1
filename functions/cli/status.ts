/**
 * `budget-guard status`: is the guard watching, and will its alerts arrive? For each organization: the state
 * and reasons of the last run, when the last successful run was and whether that is stale (older than two
 * schedule periods, the heartbeat alarm's window), when the next run is due, where history starts, and the
 * alerts the ledger holds unsent. Then, with TOPIC_ARN, each configured email subscription's confirmation
 * state as SNS lists it. Read only: nothing is written to the store or published.
 *
 * Exit codes: 0 all good; 1 something needs attention (no successful run, a stale one, an alert pending past its
 * lease or undeliverable, an unconfirmed or missing subscription, a topic that does not exist); 2 bad arguments
 * or configuration. A check that could not be made (SNS refused ListSubscriptionsByTopic, did not answer in
 * time, or does not have the call) is a warning on stderr and in the report, not a failure: its answer is
 * unknown, and failing on it would make the command fail for anyone whose role may read the table but not
 * list subscriptions.
 */
import { NotFoundException } from '@aws-sdk/client-sns';
import { createSnsClient } from '../adapters/sns-notifier.ts';
import { listTopicSubscriptions } from '../adapters/sns-subscriptions.ts';
import type { Config } from '../config.ts';
import type { GuardEnv } from '../contract.ts';
import {
  assessLedger,
  assessSubscriptions,
  lastSuccess,
  nextRun,
  type ScheduleFacts,
  scheduleFacts,
} from '../domain/status.ts';
import type { StorePort } from '../domain/types.ts';
import { errorSummary } from '../observability.ts';
import type { Io } from './check.ts';
import {
  buildStatusReport,
  type OrgStatusReport,
  renderStatus,
  type StatusReport,
  type SubscriptionsReport,
} from './status-report.ts';
import {
  loadStoredStateConfig,
  localPaths,
  openStore,
  type ReadCommandOptions,
  selectOrganizations,
} from './wiring.ts';

export interface StatusOptions extends ReadCommandOptions {
  /** Real time, for ledger leases (runs write them in real time even when `--now` is given); default the clock. */
  readonly wall?: (() => Date) | undefined;
  /** How long listing the topic's subscriptions may take; default 15 s. */
  readonly subscriptionsTimeoutMs?: number | undefined;
}

/**
 * Runs `status`; returns the exit code (0 all good, 1 something needs attention). Throws `UsageError` (exit 2)
 * for an unknown organization, `ConfigError` for bad config; a store that cannot be read throws as is (exit 1).
 *
 * Config comes from `--config`, `BUDGET_GUARD_CONFIG` or `cdk.json`; the demo config is used with `--demo`,
 * or when there is neither a Runway key nor `TABLE_NAME` (the embedded store the demo `check` fills).
 */
export async function runStatus(options: StatusOptions, io: Io): Promise<number> {
  const now = options.now ?? new Date();
  const wall = options.wall ?? (() => new Date());
  const { config, source, demo } = await loadStoredStateConfig(options, io);
  const orgs = selectOrganizations(config, options.orgId);
  const schedule = scheduleFacts(config.schedule);

  // Demo mode reads the demo's own store and outbox, never the table or the topic.
  const env: GuardEnv = demo ? { ...io.env, TABLE_NAME: undefined, TOPIC_ARN: undefined } : io.env;
  const store = await openStore(env, io.cwd, { demo });
  let organizations: OrgStatusReport[];
  let subscriptions: SubscriptionsReport;
  try {
    [organizations, subscriptions] = await Promise.all([
      Promise.all(orgs.map((org) => readOrganization(store.store, org, schedule, now, wall))),
      readSubscriptions(config, env, {
        timeoutMs: options.subscriptionsTimeoutMs,
        localOutbox: `${localPaths(io.cwd, { demo }).shown}/outbox.jsonl`,
        demo,
      }),
    ]);
  } finally {
    await store.close();
  }
  const report: StatusReport = buildStatusReport({
    now: now.toISOString(),
    configSource: source,
    store: store.description,
    notifier: env.TOPIC_ARN
      ? `SNS topic ${env.TOPIC_ARN}`
      : `local outbox ${localPaths(io.cwd, { demo }).shown}/outbox.jsonl (${demo ? 'demo mode never publishes' : 'TOPIC_ARN is not set'})`,
    schedule,
    organizations,
    subscriptions,
  });
  for (const f of report.unknown) io.stderr(`budget-guard: warning: ${f.message}\n`);
  io.stdout(options.json ? `${JSON.stringify(report)}\n` : renderStatus(report));
  return report.ok ? 0 : 1;
}

async function readOrganization(
  store: StorePort,
  org: Config['organizations'][number],
  schedule: ScheduleFacts,
  now: Date,
  wall: () => Date,
): Promise<OrgStatusReport> {
  const [status, ledger] = await Promise.all([store.getStatus(org.id), store.listLedger(org.id)]);
  return {
    orgId: org.id,
    orgName: org.name,
    state: status?.state ?? null,
    reasons: status?.reasons ?? [],
    updatedAt: status?.updatedAt ?? null,
    lastSuccess: lastSuccess(schedule, status?.lastSuccessAt, now),
    nextRun: nextRun(schedule, status?.lastSuccessAt, now),
    historyStart: status?.historyStart ?? null,
    ledger: assessLedger(ledger, wall()),
  };
}

/** The topic's subscriptions against the config; never throws (a failure to list is reported as such). */
async function readSubscriptions(
  config: Config,
  env: GuardEnv,
  options: {
    readonly timeoutMs: number | undefined;
    /** Where notifications go without a topic, as shown to the reader. */
    readonly localOutbox: string;
    readonly demo: boolean;
  },
): Promise<SubscriptionsReport> {
  const { timeoutMs } = options;
  const topicArn = env.TOPIC_ARN?.trim();
  if (!topicArn) {
    const why = options.demo ? 'demo mode never publishes' : 'TOPIC_ARN is not set';
    return {
      applicable: false,
      reason: `${why}, so notifications go to the local outbox (${options.localOutbox}), which has no subscribers`,
    };
  }
  const client = createSnsClient();
  try {
    const listed = await listTopicSubscriptions(client, topicArn, { timeoutMs });
    return {
      applicable: true,
      topicArn,
      listed: true,
      ...assessSubscriptions(config.subscriptions, listed, topicArn),
    };
  } catch (error) {
    return {
      applicable: true,
      topicArn,
      listed: false,
      // The topic does not exist: that is an answer, and a problem. Anything else leaves the state unknown.
      known: error instanceof NotFoundException,
      error: errorSummary(error),
    };
  } finally {
    client.destroy();
  }
}
