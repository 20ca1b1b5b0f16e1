/**
 * SnsNotifier with the real SNS SDK client against fauxqs (in process, 127.0.0.1, random port), read back
 * through a subscribed SQS queue with the real SQS client.
 *
 * What fauxqs 1.9.2 does and does not emulate, as these tests pin down:
 * - the SNS envelope (Type, MessageId, Subject, Message, MessageAttributes as `{ Type, Value }`) on non-raw
 *   SQS subscriptions: yes;
 * - subscription filter policies on message attributes: yes;
 * - `MessageStructure: 'json'`: no. It delivers the whole JSON document as Message, where real SNS delivers
 *   only the `sqs` entry. The tests read the sqs entry with `protocolMessage`, which accepts either.
 * - Subject validation (length, control characters): no; the notifier's own sanitizing is what keeps SNS happy.
 */
import { describe, expect, it } from 'vitest';
import { SnsNotifier } from '../../functions/adapters/sns-notifier.ts';
import type { Message } from '../../functions/domain/types.ts';
import { budgetMessage, protocolMessage, useSnsTestServer } from '../helpers/sns.ts';

function message(overrides: Partial<Message> & Pick<Message, 'attributes'>): Message {
  return {
    subject: 'Studio: monthly-total at 80% — $400.12 of $500.00',
    text: 'Studio production spent $400.12 of its $500.00 monthly budget (80%).',
    json: {
      kind: overrides.attributes.kind,
      rule: overrides.attributes.rule,
      period: '2026-11',
      level: '80',
    },
    ...overrides,
  };
}

describe('SnsNotifier against fauxqs', () => {
  const sns = useSnsTestServer();

  it('listens on loopback only', () => {
    expect(sns().endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('delivers the subject, the four attributes and the JSON body to an SQS subscriber', async () => {
    // Prepare
    const topicArn = await sns().createTopic();
    const queue = await sns().subscribeQueue({ topicArn });
    const notifier = new SnsNotifier({ client: sns().snsClient, topicArn });
    const sent = budgetMessage({ subject: 'Studio: monthly-total at 80% —\n$400.12 of $500.00' });

    // Act
    const messageId = await notifier.publish(sent);

    // Assess
    const received = await queue.receive({ count: 1 });
    expect(received).toHaveLength(1);
    const [notification] = received;
    expect(notification?.messageId).toBe(messageId);
    expect(notification?.subject).toBe('Studio: monthly-total at 80% — $400.12 of $500.00');
    expect(notification?.messageAttributes).toEqual({
      kind: { Type: 'String', Value: 'budget' },
      severity: { Type: 'String', Value: 'warning' },
      org: { Type: 'String', Value: 'studio' },
      rule: { Type: 'String', Value: 'monthly-total' },
    });
    const sqsBody = protocolMessage(notification?.message ?? '', 'sqs');
    expect(JSON.parse(sqsBody)).toEqual(sent.json);
    // The email subscribers' entry is the plain text.
    expect(protocolMessage(notification?.message ?? '', 'email')).toBe(sent.text);
  });

  it('pins the emulator gap: fauxqs delivers the whole MessageStructure document, not the sqs entry', async () => {
    // Prepare
    const topicArn = await sns().createTopic();
    const queue = await sns().subscribeQueue({ topicArn });
    const sent = message({ attributes: { kind: 'digest', severity: 'info', org: 'studio', rule: 'digest' } });

    // Act
    await new SnsNotifier({ client: sns().snsClient, topicArn }).publish(sent);

    // Assess: if this starts failing, fauxqs now emulates per-protocol delivery and this note can go.
    const [notification] = await queue.receive({ count: 1 });
    const delivered = JSON.parse(notification?.message ?? '{}') as Record<string, unknown>;
    expect(delivered.default).toBe(sent.text);
    expect(delivered.sqs).toBe(JSON.stringify(sent.json));
  });

  it('lets a filter policy on kind route each stream to its own subscriber', async () => {
    // Prepare
    const topicArn = await sns().createTopic();
    const finance = await sns().subscribeQueue({
      topicArn,
      filterPolicy: { kind: ['budget', 'forecast', 'digest'] },
    });
    const platform = await sns().subscribeQueue({
      topicArn,
      filterPolicy: { kind: ['daily-quota', 'guard-error'] },
    });
    const notifier = new SnsNotifier({ client: sns().snsClient, topicArn });

    // Act
    await notifier.publish(
      message({ attributes: { kind: 'budget', severity: 'warning', org: 'studio', rule: 'monthly-total' } }),
    );
    await notifier.publish(
      message({
        subject: 'Studio: veo3.1 at 100% of its daily generations',
        attributes: { kind: 'daily-quota', severity: 'critical', org: 'studio', rule: 'veo3.1' },
      }),
    );

    // Assess
    const financeReceived = await finance.receive({ count: 1 });
    const platformReceived = await platform.receive({ count: 1 });
    expect(financeReceived.map((n) => n.messageAttributes.kind?.Value)).toEqual(['budget']);
    expect(platformReceived.map((n) => n.messageAttributes.kind?.Value)).toEqual(['daily-quota']);
    expect(await finance.receive({ count: 0 })).toEqual([]);
    expect(await platform.receive({ count: 0 })).toEqual([]);
  });

  it('delivers the body and attributes as they are on a raw-delivery subscription', async () => {
    // Prepare
    const topicArn = await sns().createTopic();
    const queue = await sns().subscribeQueue({ topicArn, rawMessageDelivery: true });
    const notifier = new SnsNotifier({ client: sns().snsClient, topicArn });
    const sent = message({
      attributes: { kind: 'tier-cap', severity: 'critical', org: 'studio', rule: 'tier-cap' },
    });

    // Act
    await notifier.publish(sent);

    // Assess
    const [notification] = await queue.receive({ count: 1 });
    expect(notification?.subject).toBeNull();
    expect(notification?.messageAttributes.severity).toEqual({ Type: 'String', Value: 'critical' });
    expect(JSON.parse(protocolMessage(notification?.message ?? '', 'sqs'))).toEqual(sent.json);
  });
});
