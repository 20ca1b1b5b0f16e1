/**
 * What SNS counts of a published notification, shared by the renderer (which keeps every message under the
 * limit by construction) and the SNS notifier (which checks it before sending).
 */
import type { Message } from './types.ts';

/**
 * SNS's message size limit: 256 KiB = 262,144 bytes, the Message plus every attribute's name, data type and
 * value, in UTF-8 (docs.aws.amazon.com/sns/latest/api/API_Publish.html, "Message").
 */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

/** The `MessageStructure: 'json'` document: the text for email, the JSON body for every machine protocol. */
export function structuredMessage(message: Pick<Message, 'text' | 'json'>): string {
  const body = JSON.stringify(message.json);
  return JSON.stringify({
    default: message.text,
    email: message.text,
    'email-json': body,
    sqs: body,
    lambda: body,
    https: body,
    http: body,
    firehose: body,
  });
}

/** Bytes SNS counts for a Publish: the message body plus each attribute's name, `String` type and value. */
export function snsPublishBytes(body: string, attributes: Readonly<Record<string, string>>): number {
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength('String', 'utf8');
    bytes += Buffer.byteLength(value, 'utf8');
  }
  return bytes;
}

/** Bytes SNS counts for `message` on the alerts topic: the structured message and the attributes. */
export function publishedBytes(message: Pick<Message, 'text' | 'json' | 'attributes'>): number {
  return snsPublishBytes(structuredMessage(message), message.attributes);
}
