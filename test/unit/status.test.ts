/**
 * The pure parts of `budget-guard status`: the schedule's figures (the same as the heartbeat alarm's), staleness
 * of the last success, the next run, what each ledger state means, subscriptions against the config and the
 * recovery command, the verdict, and the terminal text.
 */
import { describe, expect, it } from 'vitest';
import {
  buildStatusReport,
  collectFindings,
  type OrgStatusReport,
  renderStatus,
  type SubscriptionsReport,
} from '../../functions/cli/status-report.ts';
import { parseConfig, type Subscription } from '../../functions/config.ts';
import { formatSpan } from '../../functions/domain/format.ts';
import {
  assessLedger,
  assessSubscriptions,
  filterPolicyOf,
  lastSuccess,
  nextRun,
  resubscribeCommand,
  scheduleFacts,
  verdict,
} from '../../functions/domain/status.ts';
import { formatInterval, heartbeatWindowSeconds, readScheduleInterval } from '../../functions/schedule.ts';

const NOW = new Date('2026-11-25T09:30:00.000Z');
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:RunwayBudgetGuard-Alerts';
const minutesBefore = (minutes: number, from = NOW) =>
  new Date(from.getTime() - minutes * 60_000).toISOString();

const FINANCE: Subscription = {
  email: 'finance@example.com',
  kinds: ['budget', 'forecast', 'digest'],
};
const PLATFORM: Subscription = {
  email: 'Platform@Example.com',
  kinds: ['daily-quota', 'guard-error'],
  severities: ['warning', 'critical'],
};

describe('schedule figures', () => {
  it.each([
    ['rate(1 minute)', 60, 120],
    ['rate(15 minutes)', 900, 1800],
    ['rate(1 hour)', 3600, 7200],
    ['rate(6 hours)', 21_600, 43_200],
    ['rate(2 days)', 172_800, 345_600],
    ['rate(3 days)', 259_200, 518_400],
  ])(
    '%s runs every %i s and is stale after %i s, the heartbeat window',
    (expression, interval, staleAfter) => {
      const facts = scheduleFacts(expression);
      expect(facts).toEqual({
        expression,
        kind: 'rate',
        intervalSeconds: interval,
        exact: true,
        staleAfterSeconds: staleAfter,
      });
      const window = heartbeatWindowSeconds(readScheduleInterval(expression).seconds);
      expect(window.periodSeconds * window.evaluationPeriods).toBe(staleAfter);
    },
  );

  it('assumes hourly runs for cron, as the heartbeat alarm does', () => {
    expect(scheduleFacts('cron(0 8 ? * MON-FRI *)')).toEqual({
      expression: 'cron(0 8 ? * MON-FRI *)',
      kind: 'cron',
      intervalSeconds: 3600,
      exact: false,
      staleAfterSeconds: 7200,
    });
  });

  it('still gives two periods for a schedule the stack refuses (over the 7-day alarm look-back)', () => {
    expect(() => heartbeatWindowSeconds(4 * 86_400)).toThrow(/at most rate\(3 days\)/);
    expect(scheduleFacts('rate(4 days)').staleAfterSeconds).toBe(8 * 86_400);
  });

  it('names intervals in the largest whole unit', () => {
    expect([60, 900, 3600, 5400, 86_400, 172_800, 90].map(formatInterval)).toEqual([
      '1 minute',
      '15 minutes',
      '1 hour',
      '90 minutes',
      '1 day',
      '2 days',
      '90 seconds',
    ]);
  });
});

describe('last success and staleness', () => {
  const hourly = scheduleFacts('rate(1 hour)');

  it('is stale when no run has succeeded', () => {
    expect(lastSuccess(hourly, undefined, NOW)).toEqual({ at: null, ageSeconds: null, stale: true });
  });

  it('is fresh up to two periods and stale one second later', () => {
    expect(lastSuccess(hourly, minutesBefore(120), NOW)).toEqual({
      at: minutesBefore(120),
      ageSeconds: 7200,
      stale: false,
    });
    const justOver = new Date(NOW.getTime() - 7_201_000).toISOString();
    expect(lastSuccess(hourly, justOver, NOW)).toMatchObject({ ageSeconds: 7201, stale: true });
  });

  it('uses the cron window of 2 hours', () => {
    expect(lastSuccess(scheduleFacts('cron(0 * * * ? *)'), minutesBefore(121), NOW).stale).toBe(true);
  });

  it('gives a negative age, not stale, when the success is after the time asked about', () => {
    expect(lastSuccess(hourly, minutesBefore(-5), NOW)).toMatchObject({ ageSeconds: -300, stale: false });
  });
});

describe('next run', () => {
  const rate = scheduleFacts('rate(15 minutes)');

  it.each([
    [
      'is due one period after the last success',
      minutesBefore(5),
      { kind: 'due', at: '2026-11-25T09:40:00.000Z', inSeconds: 600 },
    ],
    [
      'is due now at exactly one period',
      minutesBefore(15),
      { kind: 'due', at: NOW.toISOString(), inSeconds: 0 },
    ],
    [
      'is overdue once that time has passed',
      minutesBefore(40),
      { kind: 'overdue', at: '2026-11-25T09:05:00.000Z', overdueSeconds: 1500 },
    ],
    ['is unknown before the first success', undefined, { kind: 'unknown' }],
  ])('%s', (_name, last, next) => {
    expect(nextRun(rate, last, NOW)).toEqual(next);
  });

  it('is not computed for cron: the expression is given as it is', () => {
    const cron = scheduleFacts('cron(0 8 ? * 2#1 *)');
    expect(nextRun(cron, minutesBefore(5), NOW)).toEqual({ kind: 'cron', expression: 'cron(0 8 ? * 2#1 *)' });
    expect(nextRun(cron, undefined, NOW)).toEqual({ kind: 'cron', expression: 'cron(0 8 ? * 2#1 *)' });
  });
});

describe('assessLedger', () => {
  const base = { subject: 'Studio: monthly-total at 80%', createdAt: minutesBefore(10) };

  it('leaves an alert a run is sending now alone, and flags one past its lease', () => {
    const [live, expired] = assessLedger(
      [
        { key: 'budget#monthly-total#2026-11#80', state: 'pending', ...base, leaseUntil: minutesBefore(-1) },
        { key: 'budget#monthly-total#2026-11#100', state: 'pending', ...base, leaseUntil: minutesBefore(8) },
      ],
      NOW,
    );
    expect(live).toMatchObject({ attention: false, note: expect.stringContaining('being sent') });
    expect(expired).toMatchObject({
      key: 'budget#monthly-total#2026-11#100',
      attention: true,
      note: expect.stringContaining('pending past its lease'),
    });
  });

  it('flags a pending alert with no lease, an undeliverable one, and any state it does not know', () => {
    const findings = assessLedger(
      [
        { key: 'a#r#p#1', state: 'pending' },
        { key: 'a#r#p#2', state: 'undeliverable', ...base },
        { key: 'a#r#p#3', state: 'quarantined' },
      ],
      NOW,
    );
    expect(findings.map((f) => [f.attention, f.note])).toEqual([
      [true, 'pending with no lease: not sent; the next run sends it'],
      [true, 'undeliverable: SNS rejected it for good; it will not be sent'],
      [true, 'in state "quarantined", not sent'],
    ]);
  });
});

describe('assessSubscriptions', () => {
  const confirmedArn = `${TOPIC}:1f0c6a4e-1111-2222-3333-444455556666`;

  it('matches addresses without case and tells confirmed from pending and missing', () => {
    const ops: Subscription = { email: 'ops@example.com', kinds: ['guard-error'] };
    const { emails, others } = assessSubscriptions(
      [FINANCE, PLATFORM, ops],
      [
        { subscriptionArn: confirmedArn, protocol: 'email', endpoint: 'FINANCE@example.com' },
        { subscriptionArn: 'PendingConfirmation', protocol: 'email', endpoint: 'platform@example.com' },
        // Another protocol for a configured address does not stand in for its email subscription.
        {
          subscriptionArn: `${TOPIC}:q`,
          protocol: 'sqs',
          endpoint: 'arn:aws:sqs:us-east-1:123456789012:ops',
        },
        { subscriptionArn: `${TOPIC}:j`, protocol: 'email-json', endpoint: 'ops@example.com' },
      ],
      TOPIC,
    );
    expect(emails.map((e) => [e.email, e.state, e.attention, e.subscriptionArn])).toEqual([
      ['finance@example.com', 'confirmed', false, confirmedArn],
      ['Platform@Example.com', 'pending-confirmation', true, 'PendingConfirmation'],
      ['ops@example.com', 'missing', true, undefined],
    ]);
    expect(emails[0]?.advice).toEqual([]);
    expect(emails[1]?.advice.join(' ')).toMatch(/confirmation link.*48 hours/);
    expect(others.map((o) => o.protocol)).toEqual(['sqs', 'email-json']);
  });

  it('tells how to recover a missing address: subscribe again, or remove, deploy, re-add, deploy', () => {
    const [missing] = assessSubscriptions([PLATFORM], [], TOPIC).emails;
    expect(missing?.advice).toEqual([
      expect.stringMatching(/^SNS has no subscription for Platform@Example\.com: .*48 hours.*CloudFormation/),
      resubscribeCommand(TOPIC, PLATFORM),
      expect.stringMatching(/remove it from subscriptions in cdk\.json, run "cdk deploy", put it back/),
    ]);
  });

  it('treats a placeholder other than PendingConfirmation (such as "Deleted") as not subscribed', () => {
    const [finding] = assessSubscriptions(
      [FINANCE],
      [{ subscriptionArn: 'Deleted', protocol: 'email', endpoint: 'finance@example.com' }],
      TOPIC,
    ).emails;
    expect(finding).toMatchObject({ state: 'other', subscriptionArn: 'Deleted', attention: true });
    expect(finding?.advice[0]).toMatch(/lists finance@example\.com as "Deleted"/);
  });
});

describe('the recovery command', () => {
  it('recreates the subscription with the filter policy the stack gives it', () => {
    expect(resubscribeCommand(TOPIC, PLATFORM)).toBe(
      `aws sns subscribe --topic-arn ${TOPIC} --protocol email --notification-endpoint Platform@Example.com ` +
        `--attributes '{"FilterPolicy":"{\\"kind\\":[\\"daily-quota\\",\\"guard-error\\"],\\"severity\\":[\\"warning\\",\\"critical\\"]}"}'`,
    );
  });

  it('quotes an address with an apostrophe for the shell', () => {
    const command = resubscribeCommand(TOPIC, { email: "o'brien@example.com", kinds: ['budget'] });
    expect(command).toContain(`--notification-endpoint 'o'\\''brien@example.com'`);
  });

  it('uses the same filter policy as the stack', async () => {
    const { filterPolicyOf: stackFilterPolicyOf } = await import('../../lib/budget-guard-stack.ts');
    for (const subscription of [FINANCE, PLATFORM]) {
      const stack = Object.fromEntries(
        Object.entries(stackFilterPolicyOf(subscription)).map(([name, filter]) => [name, filter.conditions]),
      );
      expect(filterPolicyOf(subscription)).toEqual(stack);
    }
  });
});

describe('verdict and ages', () => {
  it('says all good, or how many things need attention, and how many checks could not be made', () => {
    expect(verdict(0)).toBe('All good.');
    expect(verdict(1)).toBe('1 thing needs attention.');
    expect(verdict(3)).toBe('3 things need attention.');
    expect(verdict(0, 1)).toBe('All good. 1 check could not be made (see the warnings).');
    expect(verdict(2, 2)).toBe('2 things need attention. 2 checks could not be made (see the warnings).');
  });

  it('formats spans of time in words, to the two largest units, as gate does', () => {
    expect([0, 1, 59, 60, 95, 3600, 7260, 86_400, 86_460, 93_600, -300].map(formatSpan)).toEqual([
      '0 seconds',
      '1 second',
      '59 seconds',
      '1 minute',
      '1 minute',
      '1 hour',
      '2 hours 1 minute',
      '1 day',
      '1 day',
      '1 day 2 hours',
      '5 minutes',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------

const hourly = scheduleFacts('rate(1 hour)');

function org(overrides: Partial<OrgStatusReport> = {}): OrgStatusReport {
  const at = minutesBefore(20);
  return {
    orgId: 'studio',
    orgName: 'Studio production',
    state: 'warn',
    reasons: ['budget monthly-total at 95% of its monthly limit'],
    updatedAt: at,
    lastSuccess: lastSuccess(hourly, at, NOW),
    nextRun: nextRun(hourly, at, NOW),
    historyStart: '2026-08-28',
    ledger: [],
    ...overrides,
  };
}

const NO_TOPIC: SubscriptionsReport = { applicable: false, reason: 'TOPIC_ARN is not set' };

function report(organizations: OrgStatusReport[], subscriptions: SubscriptionsReport = NO_TOPIC) {
  return buildStatusReport({
    now: NOW.toISOString(),
    configSource: 'cdk.json context.budgetGuard',
    store: 'DynamoDB table guard',
    notifier: `SNS topic ${TOPIC}`,
    schedule: hourly,
    organizations,
    subscriptions,
  });
}

describe('collectFindings', () => {
  it('counts no run, a stale run, ledger items and subscriptions as problems', () => {
    const config = parseConfig(
      {
        organizations: [{ id: 'studio', name: 'S', apiKeySecretName: 'k' }],
        subscriptions: [FINANCE, PLATFORM],
      },
      'test',
    );
    const { attention, unknown } = collectFindings(
      hourly,
      [
        org({ orgId: 'fresh', lastSuccess: lastSuccess(hourly, undefined, NOW), state: null }),
        org({ orgId: 'stale', lastSuccess: lastSuccess(hourly, minutesBefore(180), NOW) }),
        org({
          ledger: assessLedger(
            [
              { key: 'budget#m#2026-11#80', state: 'pending', leaseUntil: minutesBefore(5) },
              { key: 'budget#m#2026-11#100', state: 'pending', leaseUntil: minutesBefore(-1) },
            ],
            NOW,
          ),
        }),
      ],
      {
        applicable: true,
        topicArn: TOPIC,
        listed: true,
        ...assessSubscriptions(
          config.subscriptions,
          [{ subscriptionArn: 'PendingConfirmation', protocol: 'email', endpoint: 'finance@example.com' }],
          TOPIC,
        ),
      },
    );
    expect(attention.map((f) => [f.check, f.orgId, f.message])).toEqual([
      ['last-success', 'fresh', 'fresh: no guard run has succeeded yet'],
      [
        'last-success',
        'stale',
        'stale: the last successful run was 3 hours ago, more than 2 hours (two schedule periods)',
      ],
      [
        'ledger',
        'studio',
        'studio: alert budget#m#2026-11#80 is pending past its lease: the run that claimed it did not send it; the next run tries again',
      ],
      [
        'subscription',
        undefined,
        'finance@example.com: PENDING CONFIRMATION: no email is delivered until it is confirmed',
      ],
      ['subscription', undefined, 'Platform@Example.com: MISSING: not subscribed to the topic'],
    ]);
    expect(unknown).toEqual([]);
  });

  it('counts a refused listing as unknown, and a topic that does not exist as a problem', () => {
    const refused = collectFindings(hourly, [org()], {
      applicable: true,
      topicArn: TOPIC,
      listed: false,
      known: false,
      error: 'AuthorizationErrorException: not authorized to perform SNS:ListSubscriptionsByTopic',
    });
    expect(refused.attention).toEqual([]);
    expect(refused.unknown).toEqual([
      {
        check: 'topic',
        message:
          'could not list subscriptions: AuthorizationErrorException: not authorized to perform SNS:ListSubscriptionsByTopic',
      },
    ]);
    const notFound = collectFindings(hourly, [org()], {
      applicable: true,
      topicArn: TOPIC,
      listed: false,
      known: true,
      error: 'NotFoundException: Topic does not exist',
    });
    expect(notFound.attention).toHaveLength(1);
    expect(notFound.unknown).toEqual([]);
  });
});

describe('renderStatus', () => {
  it('prints one aligned block per organization, the subscriptions and the verdict', () => {
    expect(renderStatus(report([org()]))).toBe(
      [
        'Runway Budget Guard status — 2026-11-25 09:30 UTC',
        '',
        '  Config         cdk.json context.budgetGuard',
        '  History        DynamoDB table guard',
        `  Notifications  SNS topic ${TOPIC}`,
        '  Schedule       rate(1 hour); a last success older than 2 hours is stale',
        '',
        'Studio production (studio)',
        '  State          warn, as of 2026-11-25 09:10 UTC',
        '                 - budget monthly-total at 95% of its monthly limit',
        '  Last success   2026-11-25 09:10 UTC, 20 minutes ago',
        '  Next run       due by 2026-11-25 10:10 UTC, in 40 minutes',
        '  History from   2026-08-28',
        '  Alerts         none pending',
        '',
        'Subscriptions',
        '  not applicable: TOPIC_ARN is not set',
        '',
        'All good.',
        '',
      ].join('\n'),
    );
  });

  it('marks what needs attention and lists it before the verdict', () => {
    const text = renderStatus(
      report(
        [
          org({
            state: null,
            reasons: [],
            updatedAt: null,
            lastSuccess: lastSuccess(hourly, undefined, NOW),
            nextRun: nextRun(scheduleFacts('cron(0 * * * ? *)'), undefined, NOW),
            historyStart: null,
            ledger: assessLedger(
              [
                {
                  key: 'budget#monthly-total#2026-11#80',
                  state: 'undeliverable',
                  subject: 'Studio: monthly-total at 80%',
                  createdAt: minutesBefore(30),
                },
              ],
              NOW,
            ),
          }),
        ],
        {
          applicable: true,
          topicArn: TOPIC,
          listed: true,
          ...assessSubscriptions([FINANCE], [], TOPIC),
        },
      ),
    );
    for (const line of [
      '  State          unknown: nothing is stored for this organization yet',
      '  Last success   none: no guard run has succeeded yet (NEEDS ATTENTION)',
      '  Next run       per cron(0 * * * ? *), UTC (cron schedules are not computed here)',
      '  History from   nothing stored yet',
      '  Alerts         1 not sent, 1 NEEDS ATTENTION',
      '                 - "Studio: monthly-total at 80%" (budget#monthly-total#2026-11#80)',
      '                   undeliverable: SNS rejected it for good; it will not be sent; claimed 2026-11-25 09:00 UTC',
      `Subscriptions of SNS topic ${TOPIC}`,
      '  finance@example.com  MISSING: not subscribed to the topic',
      `                       ${resubscribeCommand(TOPIC, FINANCE)}`,
      'Needs attention',
      '  - studio: no guard run has succeeded yet',
      '3 things need attention.',
    ]) {
      expect(text.split('\n'), line).toContain(line);
    }
  });

  it('says when subscriptions could not be listed, without counting it', () => {
    const text = renderStatus(
      report([org()], {
        applicable: true,
        topicArn: TOPIC,
        listed: false,
        known: false,
        error: 'TimeoutError: ListSubscriptionsByTopic did not answer within 15 s',
      }),
    );
    expect(text).toContain(
      '  could not list subscriptions: TimeoutError: ListSubscriptionsByTopic did not answer within 15 s (unknown;\n' +
        '  not counted as a problem)',
    );
    expect(text.trimEnd().split('\n').at(-1)).toBe('All good. 1 check could not be made (see the warnings).');
  });
});
