/**
 * A local SNS + SQS for tests: fauxqs in this process, listening on 127.0.0.1 and a random port, with real
 * SDK clients pointed at it. Create a topic, subscribe an SQS queue to it, publish through the code under
 * test, then read back what the queue received: the SNS envelope's Subject, Message and MessageAttributes.
 *
 * fauxqs 1.9.2 delivers to SQS subscriptions only and honours RawMessageDelivery and FilterPolicy (attribute
 * and body scope). It ignores `MessageStructure: 'json'`: subscribers receive the whole JSON document as
 * Message, not its `sqs` entry (real SNS delivers only that entry). Use {@link protocolMessage} to read the
 * entry a real sqs subscriber would get whichever way the emulator behaves.
 *
 * ```ts
 * const sns = await startSnsTestServer();
 * const topicArn = await sns.createTopic('alerts');
 * const queue = await sns.subscribeQueue({ topicArn, filterPolicy: { kind: ['budget'] } });
 * // … publish with sns.snsClient …
 * const [received] = await queue.receive({ count: 1 });
 * await sns.stop();
 * ```
 */
import { randomUUID } from 'node:crypto';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message as SqsMessage,
} from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll } from 'vitest';
import type { Message } from '../../functions/domain/types.ts';

export const TEST_REGION = 'us-east-1';
const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** One notification as an SQS subscriber received it. */
export interface ReceivedNotification {
  /** SNS's MessageId (from the envelope); the SQS message id for raw delivery. */
  readonly messageId: string;
  /** The envelope's Subject; `null` when SNS sent none or the delivery was raw. */
  readonly subject: string | null;
  /** The envelope's Message (or the raw body). */
  readonly message: string;
  /** As SNS puts them in the envelope: `{ Type, Value }`. Raw delivery maps SQS attributes to the same shape. */
  readonly messageAttributes: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>;
  /** The parsed envelope; `undefined` for raw delivery. */
  readonly envelope: Readonly<Record<string, unknown>> | undefined;
}

export interface SubscribeQueueInput {
  readonly topicArn: string;
  /** Defaults to a fresh unique name. */
  readonly queueName?: string;
  /** An SNS filter policy on message attributes, e.g. `{ kind: ['budget', 'forecast'] }`. */
  readonly filterPolicy?: Readonly<Record<string, unknown>>;
  /** Defaults to `false`: the queue receives the SNS envelope with Subject and MessageAttributes. */
  readonly rawMessageDelivery?: boolean;
}

export interface SubscribedQueue {
  readonly queueName: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly subscriptionArn: string;
  /**
   * Receives and deletes messages until `count` (default 1) arrived or `timeoutMs` (default 2000) passed, and
   * returns everything received, oldest first. With `count: 0` it polls once, to prove nothing arrived.
   */
  receive(options?: {
    readonly count?: number;
    readonly timeoutMs?: number;
  }): Promise<ReceivedNotification[]>;
}

export interface SnsTestServer {
  /** `http://127.0.0.1:<port>`, for `endpoint` or `AWS_ENDPOINT_URL_SNS`. */
  readonly endpoint: string;
  readonly region: string;
  readonly snsClient: SNSClient;
  readonly sqsClient: SQSClient;
  /** Creates (or returns) a standard topic; defaults to a fresh unique name. */
  createTopic(name?: string): Promise<string>;
  subscribeQueue(input: SubscribeQueueInput): Promise<SubscribedQueue>;
  /** Stops the server and releases the clients. */
  stop(): Promise<void>;
}

/** Starts fauxqs on 127.0.0.1 and a port the OS picks. Call `stop()` in `afterAll`. */
export async function startSnsTestServer(): Promise<SnsTestServer> {
  // startFauxqs() always binds 0.0.0.0; buildApp() lets us listen on loopback only.
  const app = buildApp({ logger: false, defaultRegion: TEST_REGION });
  const listening = await app.listen({ host: '127.0.0.1', port: 0 });
  const endpoint = new URL(listening).origin;
  const clientConfig = { endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  const snsClient = new SNSClient(clientConfig);
  const sqsClient = new SQSClient(clientConfig);

  return {
    endpoint,
    region: TEST_REGION,
    snsClient,
    sqsClient,
    async createTopic(name = `topic-${randomUUID()}`) {
      const { TopicArn } = await snsClient.send(new CreateTopicCommand({ Name: name }));
      if (TopicArn === undefined) throw new Error(`CreateTopic ${name} returned no TopicArn`);
      return TopicArn;
    },
    async subscribeQueue(input) {
      const queueName = input.queueName ?? `queue-${randomUUID()}`;
      const { QueueUrl: queueUrl } = await sqsClient.send(new CreateQueueCommand({ QueueName: queueName }));
      if (queueUrl === undefined) throw new Error(`CreateQueue ${queueName} returned no QueueUrl`);
      const { Attributes } = await sqsClient.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
      );
      const queueArn = Attributes?.QueueArn;
      if (queueArn === undefined) throw new Error(`Queue ${queueName} has no QueueArn`);

      const raw = input.rawMessageDelivery === true;
      const attributes: Record<string, string> = { RawMessageDelivery: raw ? 'true' : 'false' };
      if (input.filterPolicy !== undefined) {
        attributes.FilterPolicy = JSON.stringify(input.filterPolicy);
        attributes.FilterPolicyScope = 'MessageAttributes';
      }
      const { SubscriptionArn: subscriptionArn } = await snsClient.send(
        new SubscribeCommand({
          TopicArn: input.topicArn,
          Protocol: 'sqs',
          Endpoint: queueArn,
          Attributes: attributes,
          ReturnSubscriptionArn: true,
        }),
      );
      if (subscriptionArn === undefined)
        throw new Error(`Subscribe ${queueName} returned no SubscriptionArn`);

      return {
        queueName,
        queueUrl,
        queueArn,
        subscriptionArn,
        receive: (options) => receiveNotifications(sqsClient, queueUrl, raw, options),
      };
    },
    async stop() {
      snsClient.destroy();
      sqsClient.destroy();
      await app.close();
    },
  };
}

/**
 * The string a real SNS subscriber of `protocol` gets for a `MessageStructure: 'json'` publish: the protocol's
 * entry, else `default`. When `message` is not such a document (a plain publish, or an emulator that already
 * picked the entry), returns it unchanged.
 */
export function protocolMessage(message: string, protocol: string): string {
  let document: unknown;
  try {
    document = JSON.parse(message);
  } catch {
    return message;
  }
  if (typeof document !== 'object' || document === null || !('default' in document)) return message;
  const entries = document as Record<string, unknown>;
  const entry = entries[protocol] ?? entries.default;
  return typeof entry === 'string' ? entry : message;
}

async function receiveNotifications(
  sqsClient: SQSClient,
  queueUrl: string,
  raw: boolean,
  options: { readonly count?: number; readonly timeoutMs?: number } = {},
): Promise<ReceivedNotification[]> {
  const count = options.count ?? 1;
  const deadline = Date.now() + (options.timeoutMs ?? 2000);
  const received: ReceivedNotification[] = [];
  do {
    const { Messages = [] } = await sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: count === 0 ? 0 : 1,
      }),
    );
    received.push(...Messages.map((m) => (raw ? fromRawDelivery(m) : fromEnvelope(m))));
    const entries = Messages.flatMap((m, i) =>
      m.ReceiptHandle === undefined ? [] : [{ Id: String(i), ReceiptHandle: m.ReceiptHandle }],
    );
    if (entries.length > 0) {
      await sqsClient.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    }
  } while (received.length < count && Date.now() < deadline);
  return received;
}

/** A non-raw delivery: the body is SNS's JSON envelope. */
function fromEnvelope(sqsMessage: SqsMessage): ReceivedNotification {
  const envelope = JSON.parse(sqsMessage.Body ?? '') as Record<string, unknown>;
  if (envelope.Type !== 'Notification') throw new Error(`Expected an SNS envelope, got: ${sqsMessage.Body}`);
  return {
    messageId: String(envelope.MessageId),
    subject: typeof envelope.Subject === 'string' ? envelope.Subject : null,
    message: String(envelope.Message),
    messageAttributes: (envelope.MessageAttributes ?? {}) as Record<string, { Type: string; Value: string }>,
    envelope,
  };
}

/** A raw delivery: the body is the message; attributes arrive as SQS message attributes. */
function fromRawDelivery(sqsMessage: SqsMessage): ReceivedNotification {
  const messageAttributes: Record<string, { Type: string; Value: string }> = {};
  for (const [name, value] of Object.entries(sqsMessage.MessageAttributes ?? {})) {
    messageAttributes[name] = { Type: value.DataType ?? '', Value: value.StringValue ?? '' };
  }
  return {
    messageId: sqsMessage.MessageId ?? '',
    subject: null,
    message: sqsMessage.Body ?? '',
    messageAttributes,
    envelope: undefined,
  };
}

/**
 * Starts fauxqs before the tests of the enclosing file or describe block and stops it after them.
 * @returns a getter, valid inside tests and hooks.
 */
export function useSnsTestServer(): () => SnsTestServer {
  let sns: SnsTestServer | undefined;
  beforeAll(async () => {
    sns = await startSnsTestServer();
  });
  afterAll(async () => {
    await sns?.stop();
  });
  return () => {
    if (!sns) throw new Error('fauxqs is not running yet (use it inside a test or hook)');
    return sns;
  };
}

/** A budget alert at 80% of a monthly limit, as the notifier tests publish it. */
export function budgetMessage(overrides: Partial<Message> = {}): Message {
  return {
    subject: 'Studio: monthly-total at 80% — $400.12 of $500.00',
    text: 'Studio production spent $400.12 of its $500.00 monthly budget (80%).\nPeriod: 2026-11 (UTC).',
    json: {
      kind: 'budget',
      rule: 'monthly-total',
      period: '2026-11',
      level: '80',
      spentUsd: 400.12,
      limitUsd: 500,
    },
    attributes: { kind: 'budget', severity: 'warning', org: 'studio', rule: 'monthly-total' },
    ...overrides,
  };
}
