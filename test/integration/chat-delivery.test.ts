/**
 * One alert, three kinds of subscriber: email, chat (AWS Chatbot) and machines (SQS, Lambda, https).
 *
 * Against fauxqs (real SNS and SQS SDK clients, 127.0.0.1): the alerts topic and one topic per chat channel,
 * each with an SQS queue subscribed. The queue on a chat topic stands where AWS Chatbot's https subscription
 * is: it receives exactly the Message Chatbot would. fauxqs delivers to SQS subscriptions only, so what the
 * email and https/lambda subscribers of the alerts topic get is asserted on the exact Publish input
 * (aws-sdk-client-mock), which is what real SNS picks the per-protocol entry from.
 */
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  type ChatTarget,
  chatDestination,
  FanoutNotifier,
  SnsChatPublisher,
} from '../../functions/adapters/chat-notifier.ts';
import { SnsMessageTooLargeError, SnsNotifier } from '../../functions/adapters/sns-notifier.ts';
import { MESSAGE_SCHEMA, SAMPLES, sampleContext } from '../../functions/domain/alerts/registry.ts';
import { isPermanentError, type Message, PartialDeliveryError } from '../../functions/domain/types.ts';
import { protocolMessage, useSnsTestServer } from '../helpers/sns.ts';

function sample(name: string): Message {
  const found = SAMPLES.find((s) => s.name === name);
  if (!found) throw new Error(`no sample ${name}`);
  return found.render(sampleContext());
}

const budgetWarning = () =>
  sample(SAMPLES.find((s) => s.kind === 'budget' && s.severity === 'warning')?.name ?? '');
const criticalOf = (kind: string) =>
  sample(SAMPLES.find((s) => s.kind === kind && s.severity === 'critical')?.name ?? '');

describe('one alert to email, chat and machine subscribers', () => {
  const sns = useSnsTestServer();

  it('each subscriber gets its own body, and each chat channel only the kinds and severities it asked for', async () => {
    // Prepare
    const alertsArn = await sns().createTopic();
    const machine = await sns().subscribeQueue({ topicArn: alertsArn, rawMessageDelivery: true });
    const slackArn = await sns().createTopic();
    const teamsArn = await sns().createTopic();
    const slack = await sns().subscribeQueue({ topicArn: slackArn, rawMessageDelivery: true });
    const teams = await sns().subscribeQueue({ topicArn: teamsArn, rawMessageDelivery: true });
    const targets: ChatTarget[] = [
      {
        destination: chatDestination(0),
        topicArn: slackArn,
        filter: { kinds: ['budget', 'forecast', 'guard-error'] },
        label: 'Slack C0456EFGH',
      },
      {
        destination: chatDestination(1),
        topicArn: teamsArn,
        filter: { severities: ['critical'] },
        label: 'Teams',
      },
    ];
    const notifier = new FanoutNotifier({
      main: new SnsNotifier({ client: sns().snsClient, topicArn: alertsArn }),
      chat: new SnsChatPublisher(sns().snsClient),
      targets,
    });
    const warning = budgetWarning();
    const balanceCritical = criticalOf('balance');

    // Act
    await notifier.publish(warning);
    await notifier.publish(balanceCritical);

    // Assess: machines get the notification/v1 JSON of both alerts, never a chat card.
    const machineBodies = (await machine.receive({ count: 2 })).map((r) =>
      JSON.parse(protocolMessage(r.message, 'sqs')),
    );
    expect(machineBodies.map((b) => [b.schema, b.kind, b.severity])).toEqual([
      [MESSAGE_SCHEMA, 'budget', 'warning'],
      [MESSAGE_SCHEMA, 'balance', 'critical'],
    ]);
    expect(machineBodies.every((b) => !('content' in b))).toBe(true);

    // Slack asked for budget/forecast/guard-error: the budget warning only, as a custom notification.
    const [slackCard, ...slackMore] = await slack.receive({ count: 2, timeoutMs: 1500 });
    expect(slackMore).toEqual([]);
    const card = JSON.parse(slackCard?.message ?? '');
    expect(card).toEqual(warning.chat);
    expect(card).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: warning.subject,
        keywords: ['budget', 'warning', 'studio'],
      },
      metadata: { threadId: expect.stringMatching(/^runway-budget-guard\/studio\/budget\//) },
    });
    expect(card.content.description).toContain(String(warning.json.headline));
    expect(slackCard?.messageAttributes.kind).toEqual({ Type: 'String', Value: 'budget' });

    // Teams asked for critical only: the balance alert, not the budget warning.
    const teamsCards = await teams.receive({ count: 2, timeoutMs: 1500 });
    expect(teamsCards.map((r) => JSON.parse(r.message).metadata.additionalContext.kind)).toEqual(['balance']);
  });

  it('publishes the text to email and the machine JSON to https and lambda, and the card alone to a chat topic', async () => {
    // Prepare
    const client = new SNSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(client);
    mock.on(PublishCommand).resolves({ MessageId: 'id-1' });
    const notifier = new FanoutNotifier({
      main: new SnsNotifier({ client, topicArn: 'arn:aws:sns:us-east-1:111122223333:alerts' }),
      chat: new SnsChatPublisher(client),
      targets: [
        {
          destination: 'chat-1',
          topicArn: 'arn:aws:sns:us-east-1:111122223333:chat-1',
          filter: {},
          label: 'Slack C1',
        },
      ],
    });
    const warning = budgetWarning();

    // Act
    await notifier.publish(warning);

    // Assess
    const [alerts, chat] = mock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    const perProtocol = JSON.parse(alerts?.Message ?? '') as Record<string, string>;
    expect(alerts?.MessageStructure).toBe('json');
    expect(perProtocol.email).toBe(warning.text);
    for (const protocol of ['https', 'http', 'lambda', 'sqs', 'email-json', 'firehose']) {
      expect(JSON.parse(perProtocol[protocol] ?? '')).toEqual(warning.json);
    }
    expect(JSON.stringify(perProtocol)).not.toContain('"client-markdown"');
    expect(chat?.TopicArn).toBe('arn:aws:sns:us-east-1:111122223333:chat-1');
    expect(chat?.MessageStructure).toBeUndefined();
    expect(JSON.parse(chat?.Message ?? '')).toEqual(warning.chat);
    expect(chat?.MessageAttributes?.severity).toEqual({ DataType: 'String', StringValue: 'warning' });
  });

  describe('a chat topic that fails', () => {
    const CHAT_ARN = 'arn:aws:sns:us-east-1:111122223333:chat-1';
    const ALERTS_ARN = 'arn:aws:sns:us-east-1:111122223333:alerts';

    /** The alerts topic accepts; the chat topic rejects with `name`. */
    function fanoutWhereChatFails(name: string) {
      const client = new SNSClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      const mock = mockClient(client);
      mock.on(PublishCommand, { TopicArn: ALERTS_ARN }).resolves({ MessageId: 'alerts-id' });
      mock
        .on(PublishCommand, { TopicArn: CHAT_ARN })
        .rejects(new SNSServiceException({ name, message: 'test', $fault: 'client', $metadata: {} }));
      return new FanoutNotifier({
        main: new SnsNotifier({ client, topicArn: ALERTS_ARN }),
        chat: new SnsChatPublisher(client),
        targets: [{ destination: 'chat-1', topicArn: CHAT_ARN, filter: {}, label: 'Slack C1' }],
      });
    }

    it.each([
      ['InvalidParameter', true],
      ['Throttling', false],
    ] as const)(
      'rejecting with %s: the partial failure is permanent: %s, on the retry too',
      async (name, permanent) => {
        const notifier = fanoutWhereChatFails(name);
        const first = await notifier.publish(budgetWarning()).catch((e: unknown) => e);
        expect(first).toBeInstanceOf(PartialDeliveryError);
        expect((first as PartialDeliveryError).delivered.get('alerts')).toBe('alerts-id');
        expect((first as PartialDeliveryError).permanent).toBe(permanent);
        // The retry skips the alerts topic; only the chat topic is tried, and its rejection keeps its class, so
        // the ledger counts it and gives up after its bounded number of runs instead of retrying for ever.
        const retry = await notifier.publish(budgetWarning(), { skip: ['alerts'] }).catch((e: unknown) => e);
        expect(retry).toBeInstanceOf(PartialDeliveryError);
        expect((retry as PartialDeliveryError).permanent).toBe(permanent);
        expect(isPermanentError(retry)).toBe(permanent);
      },
    );

    it("a chat card over SNS's size limit is refused before sending, as a permanent error", async () => {
      const client = new SNSClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      const mock = mockClient(client);
      const warning = budgetWarning();
      const huge: Message = {
        ...warning,
        chat: warning.chat && {
          ...warning.chat,
          content: { ...warning.chat.content, description: 'x'.repeat(300_000) },
        },
      };
      const error = await new SnsChatPublisher(client).publishChat(CHAT_ARN, huge).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SnsMessageTooLargeError);
      expect(isPermanentError(error)).toBe(true);
      expect(mock.commandCalls(PublishCommand)).toHaveLength(0);
    });
  });
});
