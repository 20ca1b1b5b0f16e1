/**
 * Publishes rendered notifications to the guard's SNS topic.
 *
 * One Publish per message, `MessageStructure: 'json'`: email subscribers get the plain text, machine
 * subscribers (sqs, lambda, http/https, firehose, email-json) get the JSON body. The four message attributes
 * `kind`, `severity`, `org` and `rule` drive the subscriptions' filter policies.
 */
import {
  type MessageAttributeValue,
  PublishCommand,
  SNSClient,
  type SNSClientConfig,
} from '@aws-sdk/client-sns';
import { SNS_MAX_MESSAGE_BYTES, snsPublishBytes, structuredMessage } from '../domain/message-size.ts';
import type { Message, NotifierPort } from '../domain/types.ts';
import { errorSummary } from '../observability.ts';
import { createAwsRequestHandler } from './aws-http.ts';

/** SNS accepts subjects up to 100 characters (AWS enforces ≤ 100 even though its docs say "less than"). */
export const SNS_SUBJECT_MAX_CHARS = 100;

export { SNS_MAX_MESSAGE_BYTES };

const ELLIPSIS = '…';

/** Line and paragraph breaks, tabs and other whitespace runs: collapsed to one space. */
const WHITESPACE_RUN = /[\s\u2028\u2029]+/gu;
/** Control characters (C0, DEL, C1) and lone surrogates, which are not valid UTF-8. */
const FORBIDDEN = /[\p{Cc}\p{Cs}]/gu;
/** A subject must begin with a letter, a number or punctuation (ASCII punctuation includes `$`, `+`, `<` …). */
const VALID_FIRST = /^[\p{L}\p{N}\p{P}\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E]/u;

/**
 * Makes `subject` acceptable to SNS: UTF-8 text on one line, without control characters, beginning with a
 * letter, number or punctuation mark, at most {@link SNS_SUBJECT_MAX_CHARS} characters. A longer subject is cut
 * on a code-point boundary and ends with "…". Returns `''` when nothing printable is left.
 */
export function sanitizeSubject(subject: string): string {
  let clean = subject.replace(WHITESPACE_RUN, ' ').replace(FORBIDDEN, '').trim();
  while (clean.length > 0 && !VALID_FIRST.test(clean)) {
    clean = clean.slice(String.fromCodePoint(clean.codePointAt(0) ?? 0).length).trimStart();
  }
  // `length` counts UTF-16 units, which is never fewer than characters: the cap holds however SNS counts.
  if (clean.length <= SNS_SUBJECT_MAX_CHARS) return clean;
  let cut = '';
  for (const char of clean) {
    if (cut.length + char.length + ELLIPSIS.length > SNS_SUBJECT_MAX_CHARS) break;
    cut += char;
  }
  return `${cut.trimEnd()}${ELLIPSIS}`;
}

/**
 * SNS Publish errors that reject the message itself: sending the same message again fails the same way
 * (docs.aws.amazon.com/sns/latest/api/API_Publish.html, "Errors": InvalidParameter, InvalidParameterValue
 * — `ParameterValueInvalid` in some SDKs — and ValidationException, all HTTP 400). Throttling, server errors,
 * authorization, a missing topic and KMS errors are not: they are fixed outside the message, and the alert
 * is retried until they are.
 */
export const PERMANENT_SNS_ERRORS: ReadonlySet<string> = new Set([
  'InvalidParameter',
  'InvalidParameterException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'ParameterValueInvalid',
  'ValidationException',
  'ValidationError',
]);

/** The SDK error's code (`name`, or `Code`/`code` of a raw answer). */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { name?: unknown; Code?: unknown; code?: unknown };
  for (const v of [e.name, e.Code, e.code]) if (typeof v === 'string' && v !== 'Error') return v;
  return undefined;
}

/**
 * The SNS Publish failed, or answered without a MessageId. `permanent` when SNS rejected the message itself
 * ({@link PERMANENT_SNS_ERRORS}): the ledger retries it a bounded number of runs, then gives up on it.
 * Otherwise the alert stays pending and the next run retries.
 */
export class SnsPublishError extends Error {
  override name = 'SnsPublishError';
  readonly permanent: boolean;
  constructor(
    readonly topicArn: string,
    readonly subject: string,
    message: string,
    options?: { cause?: unknown; permanent?: boolean },
  ) {
    super(message, options);
    this.permanent = options?.permanent ?? false;
  }
}

/** The message exceeds SNS's 256 KiB limit; SNS would reject it. Retrying will not help. */
export class SnsMessageTooLargeError extends Error {
  override name = 'SnsMessageTooLargeError';
  readonly permanent = true;
  constructor(
    readonly topicArn: string,
    readonly subject: string,
    readonly bytes: number,
  ) {
    super(
      `Notification "${subject}" for ${topicArn} is ${bytes} bytes; SNS accepts at most ${SNS_MAX_MESSAGE_BYTES} ` +
        '(message plus attributes). Shorten its text or JSON body.',
    );
  }
}

export interface SnsNotifierOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
}

/** Builds an SNS client; region, credentials and `AWS_ENDPOINT_URL_SNS` come from the SDK's usual chain. */
export function createSnsClient(config: SNSClientConfig = {}): SNSClient {
  return new SNSClient({ requestHandler: createAwsRequestHandler(), ...config });
}

export class SnsNotifier implements NotifierPort {
  readonly #client: SNSClient;
  readonly #topicArn: string;

  constructor(options: SnsNotifierOptions) {
    if (options.topicArn.trim() === '') throw new TypeError('SnsNotifier needs a topic ARN');
    this.#client = options.client;
    this.#topicArn = options.topicArn;
  }

  /**
   * Publishes `message` and returns SNS's MessageId.
   * @throws SnsMessageTooLargeError before sending when the message would exceed SNS's size limit.
   * @throws SnsPublishError when SNS rejects the publish (the SDK error is its `cause`) or returns no MessageId.
   */
  async publish(message: Message): Promise<string> {
    const subject = sanitizeSubject(message.subject) || fallbackSubject(message);
    return publishToTopic(
      this.#client,
      {
        TopicArn: this.#topicArn,
        Subject: subject,
        MessageStructure: 'json',
        Message: structuredMessage(message),
        MessageAttributes: toMessageAttributes(message),
      },
      subject,
    );
  }
}

/**
 * One Publish, as the alerts topic and the chat topics take it: refused before sending when SNS would reject its
 * size, its failure classified (`permanent` for {@link PERMANENT_SNS_ERRORS}), its MessageId required.
 * @throws SnsMessageTooLargeError, SnsPublishError
 */
export async function publishToTopic(
  client: SNSClient,
  input: {
    readonly TopicArn: string;
    readonly Message: string;
    readonly MessageAttributes: Record<string, MessageAttributeValue>;
    readonly Subject?: string;
    readonly MessageStructure?: 'json';
  },
  /** The alert's subject, for errors. */
  subject: string,
  /** How error texts name what was published. */
  label = `"${subject}"`,
): Promise<string> {
  const topicArn = input.TopicArn;
  const bytes = snsPublishBytes(
    input.Message,
    Object.fromEntries(Object.entries(input.MessageAttributes).map(([k, v]) => [k, v.StringValue ?? ''])),
  );
  if (bytes > SNS_MAX_MESSAGE_BYTES) throw new SnsMessageTooLargeError(topicArn, subject, bytes);
  let messageId: string | undefined;
  try {
    messageId = (await client.send(new PublishCommand(input))).MessageId;
  } catch (error) {
    throw new SnsPublishError(
      topicArn,
      subject,
      `SNS Publish to ${topicArn} failed for ${label}: ${errorSummary(error)}`,
      { cause: error, permanent: PERMANENT_SNS_ERRORS.has(errorCode(error) ?? '') },
    );
  }
  if (messageId === undefined || messageId === '') {
    throw new SnsPublishError(
      topicArn,
      subject,
      `SNS Publish to ${topicArn} returned no MessageId for ${label}; delivery is unconfirmed`,
    );
  }
  return messageId;
}

/** Used only when the rendered subject has nothing printable left; SNS needs a non-empty subject. */
function fallbackSubject(message: Message): string {
  return sanitizeSubject(
    `Runway Budget Guard: ${message.attributes.kind} alert for ${message.attributes.org}`,
  );
}

/** The message's four attributes as SNS message attributes (`kind`, `severity`, `org`, `rule`). */
export function toMessageAttributes(message: Message): Record<string, MessageAttributeValue> {
  const attributes: Record<string, string> = { ...message.attributes };
  const result: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    // SNS rejects empty attribute values; an empty org or rule is a rendering bug, so say so here.
    if (value === '')
      throw new TypeError(`Notification "${message.subject}" has an empty "${name}" attribute`);
    result[name] = { DataType: 'String', StringValue: value };
  }
  return result;
}
