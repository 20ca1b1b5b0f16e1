/**
 * The CLI's notifier when no `TOPIC_ARN` is set: prints each notification to the terminal and appends it, as
 * one JSON line, to a local outbox file (by default `.budget-guard/outbox.jsonl`).
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ChatCard, chatCardOf } from '../domain/alerts/chat.ts';
import type { Message, NotifierPort } from '../domain/types.ts';

export interface OutboxNotifierOptions {
  /** The JSON-lines file to append to; its directory is created when missing. */
  readonly outboxPath: string;
  /** Where the readable copy goes; defaults to standard output. */
  readonly write?: (text: string) => void;
  readonly clock?: () => Date;
  /** Makes the whole id; defaults to `outbox-<uuid>`. */
  readonly idFactory?: () => string;
}

/** One line of the outbox file. */
export interface OutboxEntry {
  readonly id: string;
  readonly publishedAt: string;
  readonly subject: string;
  readonly attributes: Message['attributes'];
  readonly text: string;
  readonly json: Message['json'];
  /** What a Slack or Teams channel would receive through AWS Chatbot. */
  readonly chat: ChatCard;
}

export class OutboxNotifier implements NotifierPort {
  readonly #outboxPath: string;
  readonly #write: (text: string) => void;
  readonly #clock: () => Date;
  readonly #idFactory: () => string;

  constructor(options: OutboxNotifierOptions) {
    this.#outboxPath = options.outboxPath;
    this.#write = options.write ?? ((text) => process.stdout.write(text));
    this.#clock = options.clock ?? (() => new Date());
    this.#idFactory = options.idFactory ?? (() => `outbox-${randomUUID()}`);
  }

  /**
   * Appends the message to the outbox (never truncating it), then prints it. Returns the entry's id.
   * @throws the file system's error when the outbox cannot be written; nothing is printed then.
   */
  async publish(message: Message): Promise<string> {
    const entry: OutboxEntry = {
      id: this.#idFactory(),
      publishedAt: this.#clock().toISOString(),
      subject: message.subject,
      attributes: message.attributes,
      text: message.text,
      json: message.json,
      chat: chatCardOf(message),
    };
    await mkdir(dirname(this.#outboxPath), { recursive: true });
    await appendFile(this.#outboxPath, `${JSON.stringify(entry)}\n`, 'utf8');
    this.#write(formatNotification(message));
    return entry.id;
  }
}

/**
 * Renders a notification for a terminal: a header line with severity, kind and subject, the plain-text body
 * behind a gutter, then a blank line.
 */
export function formatNotification(message: Message): string {
  const { severity, kind } = message.attributes;
  const header = `[${severity.toUpperCase()}] ${kind} · ${message.subject}`;
  const body = message.text
    .replace(/\r\n?/g, '\n')
    .trimEnd()
    .split('\n')
    .map((line) => `  │ ${line}`.trimEnd());
  return `${[header, ...body].join('\n')}\n\n`;
}
