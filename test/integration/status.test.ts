/**
 * `budget-guard status` against real dynalite (through TABLE_NAME, as on AWS) and, for subscriptions, fauxqs
 * and a mocked SNS client.
 *
 * fauxqs 1.9.2 accepts email subscriptions and lists them in ListSubscriptionsByTopic, but with a real ARN at
 * once: it has no confirmation step, so it never shows `PendingConfirmation`, and it does not page. Those cases,
 * paging, and SNS refusing the call are covered with aws-sdk-client-mock on SNSClient. A server that never
 * answers covers the timeout.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AuthorizationErrorException,
  ListSubscriptionsByTopicCommand,
  NotFoundException,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DynamoStore } from '../../functions/adapters/dynamo-store.ts';
import {
  ListSubscriptionsTimeoutError,
  listTopicSubscriptions,
} from '../../functions/adapters/sns-subscriptions.ts';
import type { Io } from '../../functions/cli/check.ts';
import { runStatus } from '../../functions/cli/status.ts';
import type { StatusReport } from '../../functions/cli/status-report.ts';
import { UsageError } from '../../functions/cli/wiring.ts';
import type { ConfigInput, Subscription } from '../../functions/config.ts';
import { resubscribeCommand } from '../../functions/domain/status.ts';
import type { Message, OrgStatus } from '../../functions/domain/types.ts';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo.ts';
import { type SnsTestServer, startSnsTestServer } from '../helpers/sns.ts';

const NOW = new Date('2026-11-25T09:30:00.000Z');
const ORG = 'studio';
const FINANCE: Subscription = { email: 'finance@example.com', kinds: ['budget', 'forecast', 'digest'] };
const PLATFORM: Subscription = { email: 'platform@example.com', kinds: ['daily-quota', 'guard-error'] };
const CONFIG: ConfigInput = {
  organizations: [
    { id: ORG, name: 'Studio production', apiKeySecretName: 'budget-guard/runway/studio' },
    { id: 'lab', name: 'Research lab', apiKeySecretName: 'budget-guard/runway/lab' },
  ],
  subscriptions: [FINANCE, PLATFORM],
};

let dynamo: TestDynamo;
let sns: SnsTestServer;

beforeAll(async () => {
  [dynamo, sns] = await Promise.all([startTestDynamo(), startSnsTestServer()]);
  // The command builds its own clients from the SDK's standard variables, as it does against AWS.
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_SNS', sns.endpoint);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([dynamo?.close(), sns?.stop()]);
});

function capture(env: Io['env']) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    env,
    cwd: process.cwd(),
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

/** A table of its own, the store on it, and the environment that points the command at it. */
async function setup(extraEnv: Record<string, string> = {}, config: ConfigInput = CONFIG) {
  const { tableName, store } = await dynamo.newStore();
  const env = { TABLE_NAME: tableName, BUDGET_GUARD_CONFIG: JSON.stringify(config), ...extraEnv };
  const run = async (options: { json?: boolean; orgId?: string; now?: Date; timeoutMs?: number } = {}) => {
    const c = capture(env);
    const code = await runStatus(
      {
        now: options.now ?? NOW,
        json: options.json ?? false,
        demo: false,
        orgId: options.orgId,
        subscriptionsTimeoutMs: options.timeoutMs,
      },
      c.io,
    );
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  };
  return { tableName, store, env, run };
}

function status(orgId: string, minutesAgo: number): OrgStatus {
  const at = new Date(NOW.getTime() - minutesAgo * 60_000).toISOString();
  return {
    orgId,
    state: 'warn',
    reasons: ['budget monthly-total at 82% of its monthly limit'],
    updatedAt: at,
    lastSuccessAt: at,
    historyStart: '2026-08-28',
  };
}

/** Both organizations ran successfully `minutesAgo` minutes before NOW. */
async function ran(store: DynamoStore, minutesAgo = 20) {
  for (const orgId of [ORG, 'lab'])
    await store.saveCycle({ orgId, usage: [], status: status(orgId, minutesAgo) });
}

function message(subject: string): Message {
  return {
    subject,
    text: subject,
    json: { subject },
    attributes: { kind: 'budget', severity: 'warning', org: ORG, rule: 'monthly-total' },
  };
}

function parse(stdout: string): StatusReport {
  return JSON.parse(stdout) as StatusReport;
}

describe('status against dynalite', () => {
  it('says no run has succeeded in a fresh store, and exits 1', async () => {
    const { run } = await setup();

    const result = await run();

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Studio production (studio)');
    expect(result.stdout).toContain('Research lab (lab)');
    expect(result.stdout).toContain(
      '  Last success   none: no guard run has succeeded yet (NEEDS ATTENTION)',
    );
    expect(result.stdout).toContain('  History from   nothing stored yet');
    expect(result.stdout).toContain('Subscriptions\n  not applicable: TOPIC_ARN is not set');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('2 things need attention.');
    expect(result.stderr).toBe('');
  });

  it('is all good after a recent run, and exits 0', async () => {
    const { store, run } = await setup();
    await ran(store, 20);

    const result = await run();

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  State          warn, as of 2026-11-25 09:10 UTC');
    expect(result.stdout).toContain('                 - budget monthly-total at 82% of its monthly limit');
    expect(result.stdout).toContain('  Last success   2026-11-25 09:10 UTC, 20 minutes ago');
    expect(result.stdout).toContain('  Next run       due by 2026-11-25 10:10 UTC, in 40 minutes');
    expect(result.stdout).toContain('  History from   2026-08-28');
    expect(result.stdout).toContain('  Alerts         none pending');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('All good.');
  });

  it('flags a last success older than two schedule periods', async () => {
    const { store, run } = await setup();
    await ran(store, 20);
    await store.saveCycle({ orgId: 'lab', usage: [], status: status('lab', 150) });

    const result = await run();

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '  Last success   2026-11-25 07:00 UTC, 2 hours 30 minutes ago (STALE: over 2 hours, two schedule periods)',
    );
    expect(result.stdout).toContain(
      '  Next run       overdue: due by 2026-11-25 08:00 UTC, 1 hour 30 minutes ago',
    );
    expect(result.stdout).toContain(
      '  - lab: the last successful run was 2 hours 30 minutes ago, more than 2 hours (two schedule periods)',
    );
    expect(result.stdout).toContain('1 thing needs attention.');
  });

  it('uses the schedule of the config: every 15 minutes is stale after 30', async () => {
    const { store, run } = await setup({}, { ...CONFIG, schedule: 'rate(15 minutes)' });
    await ran(store, 31);

    const result = await run({ orgId: ORG });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('STALE: over 30 minutes');
  });

  it('shows ledger items not sent: one past its lease needs attention, one being sent does not', async () => {
    const { store, run } = await setup();
    await ran(store, 5);
    const wall = Date.now();
    // A monthly-total alert at `percent`, claimed at `claimedAt` with a 2-minute lease.
    const claim = (percent: number, claimedAt: number) =>
      store.claimAlert({
        orgId: ORG,
        key: `budget#monthly-total#2026-11#${percent}`,
        message: message(`Studio: monthly-total at ${percent}%`),
        now: new Date(claimedAt),
        leaseMs: 120_000,
        expiresAt: new Date(wall + 86_400_000),
      });
    // Claimed 10 minutes ago by a run that died: its 2-minute lease ran out.
    await claim(80, wall - 600_000);
    // Claimed just now by a run that is publishing it.
    await claim(100, wall);
    // Sent: not shown.
    await claim(50, wall - 600_000);
    await store.markAlertSent({
      orgId: ORG,
      key: 'budget#monthly-total#2026-11#50',
      messageId: 'm-1',
      sentAt: new Date(wall - 590_000),
    });

    expect(await store.listLedger(ORG)).toEqual([
      {
        key: 'budget#monthly-total#2026-11#100',
        state: 'pending',
        subject: 'Studio: monthly-total at 100%',
        createdAt: new Date(wall).toISOString(),
        leaseUntil: new Date(wall + 120_000).toISOString(),
      },
      {
        key: 'budget#monthly-total#2026-11#80',
        state: 'pending',
        subject: 'Studio: monthly-total at 80%',
        createdAt: new Date(wall - 600_000).toISOString(),
        leaseUntil: new Date(wall - 480_000).toISOString(),
      },
    ]);
    expect(await store.listLedger('lab')).toEqual([]);

    const result = await run();

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('  Alerts         2 not sent, 1 NEEDS ATTENTION');
    expect(result.stdout).toContain(
      '                 - "Studio: monthly-total at 80%" (budget#monthly-total#2026-11#80)',
    );
    expect(result.stdout).toContain('                   pending past its lease: the run that claimed it');
    expect(result.stdout).toContain('                   being sent by a run now (its lease is live)');
    expect(result.stdout).not.toContain('monthly-total at 50%');
    expect(result.stdout).toContain('1 thing needs attention.');
  });

  it('flags an alert SNS rejected for good (undeliverable)', async () => {
    const { store, tableName, run } = await setup();
    await ran(store, 5);
    await dynamo.client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: `ORG#${ORG}`,
          sk: 'ALERT#digest#daily#2026-11-25#info',
          type: 'alert',
          orgId: ORG,
          state: 'undeliverable',
          createdAt: '2026-11-25T08:00:00.000Z',
          subject: 'Studio: daily digest',
        },
      }),
    );

    const result = await run({ orgId: ORG });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('- "Studio: daily digest" (digest#daily#2026-11-25#info)');
    expect(result.stdout).toContain(
      'undeliverable: SNS rejected it for good; it will not be sent; claimed 2026-11-25 08:00 UTC',
    );
    expect(result.stdout).not.toContain('Research lab');
  });

  it('prints every figure as one JSON object with --json', async () => {
    const { store, run } = await setup();
    await store.saveCycle({ orgId: ORG, usage: [], status: status(ORG, 150) });

    const result = await run({ json: true });

    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(1);
    const report = parse(result.stdout);
    expect(report).toMatchObject({
      ok: false,
      now: NOW.toISOString(),
      configSource: 'BUDGET_GUARD_CONFIG',
      store: expect.stringMatching(/^DynamoDB table budget-guard-test-/),
      notifier: expect.stringContaining('local outbox'),
      schedule: { expression: 'rate(1 hour)', kind: 'rate', intervalSeconds: 3600, staleAfterSeconds: 7200 },
      subscriptions: { applicable: false },
      unknown: [],
      verdict: '2 things need attention.',
    });
    expect(report.organizations).toEqual([
      {
        orgId: ORG,
        orgName: 'Studio production',
        state: 'warn',
        reasons: ['budget monthly-total at 82% of its monthly limit'],
        updatedAt: '2026-11-25T07:00:00.000Z',
        lastSuccess: { at: '2026-11-25T07:00:00.000Z', ageSeconds: 9000, stale: true },
        nextRun: { kind: 'overdue', at: '2026-11-25T08:00:00.000Z', overdueSeconds: 5400 },
        historyStart: '2026-08-28',
        ledger: [],
      },
      {
        orgId: 'lab',
        orgName: 'Research lab',
        state: null,
        reasons: [],
        updatedAt: null,
        lastSuccess: { at: null, ageSeconds: null, stale: true },
        nextRun: { kind: 'unknown' },
        historyStart: null,
        ledger: [],
      },
    ]);
    expect(report.attention.map((f) => [f.orgId, f.check])).toEqual([
      [ORG, 'last-success'],
      ['lab', 'last-success'],
    ]);
  });

  it('refuses an organization the config does not have (exit 2)', async () => {
    const { run } = await setup();
    await expect(run({ orgId: 'nope' })).rejects.toThrow(UsageError);
    await expect(run({ orgId: 'nope' })).rejects.toThrow(
      'Unknown organization "nope". Configured: studio, lab.',
    );
  });
});

describe('subscriptions on fauxqs', () => {
  it('lists a subscribed address as confirmed, and a configured one SNS does not have as missing, with the fix', async () => {
    const topicArn = await sns.createTopic();
    await sns.snsClient.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: FINANCE.email }),
    );
    const queue = await sns.subscribeQueue({ topicArn });
    const { store, run } = await setup({ TOPIC_ARN: topicArn });
    await ran(store, 5);

    const result = await run();

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`Subscriptions of SNS topic ${topicArn}`);
    expect(result.stdout).toContain('  finance@example.com   confirmed');
    expect(result.stdout).toContain('  platform@example.com  MISSING: not subscribed to the topic');
    expect(result.stdout).toContain(`                        ${resubscribeCommand(topicArn, PLATFORM)}`);
    expect(result.stdout).toContain(`  (not in config)       sqs ${queue.queueArn}, confirmed`);
    expect(result.stdout).toContain('  - platform@example.com: MISSING: not subscribed to the topic');
    expect(result.stdout).toContain('1 thing needs attention.');

    const json = parse((await run({ json: true })).stdout);
    expect(json.subscriptions).toMatchObject({
      applicable: true,
      topicArn,
      listed: true,
      emails: [
        { email: FINANCE.email, state: 'confirmed', attention: false },
        { email: PLATFORM.email, state: 'missing', attention: true },
      ],
      others: [{ protocol: 'sqs', endpoint: queue.queueArn }],
    });
  });
});

describe('subscriptions on a mocked SNS', () => {
  const TOPIC = 'arn:aws:sns:us-east-1:123456789012:RunwayBudgetGuard-Alerts';
  let snsMock: AwsClientStub<SNSClient>;

  beforeEach(() => {
    snsMock = mockClient(SNSClient);
  });
  afterEach(() => {
    snsMock.restore();
  });

  it('tells confirmed from pending confirmation across pages', async () => {
    snsMock
      .on(ListSubscriptionsByTopicCommand)
      .resolvesOnce({
        Subscriptions: [
          { SubscriptionArn: `${TOPIC}:1`, Protocol: 'email', Endpoint: FINANCE.email, TopicArn: TOPIC },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Subscriptions: [
          { SubscriptionArn: 'PendingConfirmation', Protocol: 'email', Endpoint: 'Platform@Example.com' },
        ],
      });
    const { store, run } = await setup({ TOPIC_ARN: TOPIC });
    await ran(store, 5);

    const result = await run();

    const calls = snsMock.commandCalls(ListSubscriptionsByTopicCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { TopicArn: TOPIC, NextToken: undefined },
      { TopicArn: TOPIC, NextToken: 'page-2' },
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('  finance@example.com   confirmed');
    expect(result.stdout).toContain(
      '  platform@example.com  PENDING CONFIRMATION: no email is delivered until it is confirmed',
    );
    expect(result.stdout).toMatch(/confirmation link is in the email AWS\s+Notifications sent/);
    expect(result.stdout).toContain('1 thing needs attention.');
  });

  it('is all good when every configured address is confirmed', async () => {
    snsMock.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: [FINANCE.email, PLATFORM.email].map((email, i) => ({
        SubscriptionArn: `${TOPIC}:${i}`,
        Protocol: 'email',
        Endpoint: email,
      })),
    });
    const { store, run } = await setup({ TOPIC_ARN: TOPIC });
    await ran(store, 5);

    const result = await run();

    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('All good.');
  });

  it('says when SNS refuses to list subscriptions, warns, and does not count it as a problem', async () => {
    snsMock.on(ListSubscriptionsByTopicCommand).rejects(
      new AuthorizationErrorException({
        message:
          'User: arn:aws:iam::123456789012:user/reader is not authorized to perform: SNS:ListSubscriptionsByTopic',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const { store, run } = await setup({ TOPIC_ARN: TOPIC });
    await ran(store, 5);

    const result = await run();

    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'budget-guard: warning: could not list subscriptions: AuthorizationErrorException: User: ' +
        'arn:aws:iam::123456789012:user/reader is not authorized to perform: SNS:ListSubscriptionsByTopic\n',
    );
    expect(result.stdout).toContain('  could not list subscriptions: AuthorizationErrorException: User:');
    expect(result.stdout).toContain('(unknown; not counted as a problem)');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      'All good. 1 check could not be made (see the warnings).',
    );

    const json = parse((await run({ json: true })).stdout);
    expect(json).toMatchObject({
      ok: true,
      subscriptions: { applicable: true, listed: false, known: false },
      unknown: [{ check: 'topic', message: expect.stringContaining('AuthorizationErrorException') }],
    });
  });

  it('counts a topic SNS does not have as a problem', async () => {
    snsMock
      .on(ListSubscriptionsByTopicCommand)
      .rejects(
        new NotFoundException({ message: 'Topic does not exist', $metadata: { httpStatusCode: 404 } }),
      );
    const { store, run } = await setup({ TOPIC_ARN: TOPIC });
    await ran(store, 5);

    const result = await run();

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(
      '  - could not list subscriptions: NotFoundException: Topic does not exist',
    );
  });
});

describe('subscriptions from an SNS that never answers', () => {
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    server = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up listing after the timeout', async () => {
    const client = new SNSClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const started = Date.now();
    try {
      await expect(
        listTopicSubscriptions(client, 'arn:aws:sns:us-east-1:1:t', { timeoutMs: 300 }),
      ).rejects.toThrow(ListSubscriptionsTimeoutError);
    } finally {
      client.destroy();
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports it as unknown in the status and carries on', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_SNS', endpoint);
    try {
      const { store, run } = await setup({ TOPIC_ARN: 'arn:aws:sns:us-east-1:1:t' });
      await ran(store, 5);

      const result = await run({ timeoutMs: 300 });

      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        'budget-guard: warning: could not list subscriptions: TimeoutError: ListSubscriptionsByTopic did not answer within 0.3 s\n',
      );
      expect(result.stdout).toContain('  Last success   2026-11-25 09:25 UTC, 5 minutes ago');
    } finally {
      vi.stubEnv('AWS_ENDPOINT_URL_SNS', sns.endpoint);
    }
  });
});
