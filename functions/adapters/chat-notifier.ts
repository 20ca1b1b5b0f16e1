/**
 * Delivers one alert to the alerts topic and to every chat channel that asked for its kind and severity.
 *
 * Each chat channel has its own SNS topic, listed in its AWS Chatbot channel configuration. AWS Chatbot
 * creates the https subscription to that topic itself, and neither Chatbot nor CloudFormation offers a filter
 * policy on it, so the guard routes: it publishes the chat card only to the topics of the channels whose
 * `kinds`/`severities` match, by the same rule as an email subscription's filter policy. The chat topics carry
 * only chat cards and the alerts topic never carries one, so no format leaks into another subscriber.
 *
 * A chat card is published as the plain SNS Message (AWS Chatbot reads the custom notification from it), with
 * the same `kind`/`severity`/`org`/`rule` message attributes as the alert.
 *
 * Partial success: destinations are published in order (alerts topic first, then channels). When some fail,
 * `publish` throws `PartialDeliveryError` naming those that succeeded; the delivery step records them on the
 * pending ledger item, and the retry passes them in `skip`.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import type { ChatChannel } from '../config.ts';
import { chatCardOf } from '../domain/alerts/chat.ts';
import {
  type Message,
  type NotifierPort,
  PartialDeliveryError,
  type PublishOptions,
} from '../domain/types.ts';
import { errorSummary } from '../observability.ts';
import { publishToTopic, toMessageAttributes } from './sns-notifier.ts';

/** The destination name of the alerts topic (email and machine subscribers). */
export const ALERTS_DESTINATION = 'alerts';

/** The destination name of the chat channel at `index` in the config's `chat` list: `chat-1`, `chat-2`, … */
export function chatDestination(index: number): string {
  return `chat-${index + 1}`;
}

/** The filters a chat channel (or an email subscription) sets; absent means every value. */
export interface DeliveryFilter {
  readonly kinds?: readonly string[] | undefined;
  readonly severities?: readonly string[] | undefined;
}

/** True when a message with these attributes passes the filter: the same rule as the SNS filter policies. */
export function matchesFilter(filter: DeliveryFilter, attributes: Message['attributes']): boolean {
  if (filter.kinds && !filter.kinds.includes(attributes.kind)) return false;
  if (filter.severities && !filter.severities.includes(attributes.severity)) return false;
  return true;
}

/** One chat channel as the guard publishes to it. */
export interface ChatTarget {
  readonly destination: string;
  readonly topicArn: string;
  readonly filter: DeliveryFilter;
  /** "Slack C0456EFGH", for messages. */
  readonly label: string;
}

/** Publishes chat cards to one chat topic. */
export interface ChatPublisher {
  publishChat(topicArn: string, message: Message): Promise<string>;
}

/** Publishes the chat card of `message` to an SNS topic that AWS Chatbot subscribes to. */
export class SnsChatPublisher implements ChatPublisher {
  readonly #client: SNSClient;

  constructor(client: SNSClient) {
    this.#client = client;
  }

  /** @throws SnsMessageTooLargeError, SnsPublishError (`permanent` when SNS rejects the card itself) */
  publishChat(topicArn: string, message: Message): Promise<string> {
    return publishToTopic(
      this.#client,
      {
        TopicArn: topicArn,
        Message: JSON.stringify(chatCardOf(message)),
        MessageAttributes: toMessageAttributes(message),
      },
      message.subject,
      `the chat card of "${message.subject}"`,
    );
  }
}

/**
 * Reads the chat topics from `CHAT_TOPIC_ARNS`: comma-separated, one per entry of the config's `chat` list, in
 * that order (the stack sets it). Pairs each with its channel's filters.
 * @throws Error when the count does not match the config.
 */
export function chatTargetsFrom(value: string | undefined, channels: readonly ChatChannel[]): ChatTarget[] {
  const arns = (value ?? '')
    .split(',')
    .map((arn) => arn.trim())
    .filter((arn) => arn !== '');
  if (arns.length === 0) return [];
  if (arns.length !== channels.length) {
    throw new Error(
      `CHAT_TOPIC_ARNS names ${arns.length} topic(s) but the config lists ${channels.length} chat channel(s); ` +
        'give one topic per entry of "chat", in order (the stack output ChatTopicArns has the value)',
    );
  }
  return channels.map((channel, index) => ({
    destination: chatDestination(index),
    topicArn: arns[index] as string,
    filter: { kinds: channel.kinds, severities: channel.severities },
    label: channel.slack ? `Slack ${channel.slack.channelId}` : `Teams ${channel.teams?.channelId ?? ''}`,
  }));
}

/**
 * `main` (the alerts topic), fanned out to the chat channels' topics listed in `chatTopicArns`
 * (CHAT_TOPIC_ARNS) when it lists any; the targets say which.
 * @throws Error when the list does not match the config's chat channels.
 */
export function withChatChannels(
  main: NotifierPort,
  client: SNSClient,
  chatTopicArns: string | undefined,
  channels: readonly ChatChannel[],
): { readonly notifier: NotifierPort; readonly targets: readonly ChatTarget[] } {
  const targets = chatTargetsFrom(chatTopicArns, channels);
  if (targets.length === 0) return { notifier: main, targets };
  return { notifier: new FanoutNotifier({ main, chat: new SnsChatPublisher(client), targets }), targets };
}

export interface FanoutNotifierOptions {
  /** The alerts topic (or the outbox): email and machine subscribers. */
  readonly main: NotifierPort;
  readonly chat: ChatPublisher;
  readonly targets: readonly ChatTarget[];
}

/** The alerts topic plus the matching chat channels, as one `NotifierPort`. */
export class FanoutNotifier implements NotifierPort {
  readonly #main: NotifierPort;
  readonly #chat: ChatPublisher;
  readonly #targets: readonly ChatTarget[];

  constructor(options: FanoutNotifierOptions) {
    this.#main = options.main;
    this.#chat = options.chat;
    this.#targets = options.targets;
  }

  /** The chat channels `message` goes to. */
  targetsOf(message: Message): ChatTarget[] {
    return this.#targets.filter((t) => matchesFilter(t.filter, message.attributes));
  }

  /**
   * Publishes to the alerts topic, then to each matching chat channel, skipping `options.skip`. Returns the
   * alerts topic's message id (or the first chat id when the alerts topic was skipped).
   * @throws PartialDeliveryError when some destination failed (naming those that succeeded); the single
   *   publisher's own error when the only destination tried failed.
   */
  async publish(message: Message, options: PublishOptions = {}): Promise<string> {
    const skip = new Set(options.skip ?? []);
    const delivered = new Map<string, string>();
    const failures = new Map<string, unknown>();
    const attempts: { destination: string; send: () => Promise<string> }[] = [];
    if (!skip.has(ALERTS_DESTINATION)) {
      attempts.push({ destination: ALERTS_DESTINATION, send: () => this.#main.publish(message) });
    }
    for (const target of this.targetsOf(message)) {
      if (skip.has(target.destination)) continue;
      attempts.push({
        destination: target.destination,
        send: () => this.#chat.publishChat(target.topicArn, message),
      });
    }
    for (const attempt of attempts) {
      try {
        delivered.set(attempt.destination, await attempt.send());
      } catch (error) {
        failures.set(attempt.destination, error);
      }
    }
    if (failures.size > 0) {
      const [first] = failures.values();
      if (delivered.size === 0 && failures.size === 1 && skip.size === 0) throw first;
      const failed = [...failures].map(([d, e]) => `${d}: ${errorSummary(e)}`).join('; ');
      throw new PartialDeliveryError(
        delivered,
        failures,
        `"${message.subject}" reached ${[...delivered.keys(), ...skip].join(', ') || 'no destination'} but failed at ${failed}`,
      );
    }
    return delivered.get(ALERTS_DESTINATION) ?? [...delivered.values()][0] ?? 'already-delivered';
  }
}
