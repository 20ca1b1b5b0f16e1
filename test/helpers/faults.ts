/**
 * Fault injection for the reliability suite. Everything here wraps a real component rather than replacing it:
 *
 * - {@link startDynamoFaultProxy}: an HTTP proxy in front of dynalite. The real DynamoDB SDK talks to it; a
 *   fault rule may answer an operation with DynamoDB's own error documents (throttling, 500) or drop the
 *   connection, so the SDK's deserializers and retry strategy see what they would see from AWS.
 * - {@link closedPortEndpoint}: an endpoint nothing listens on (connection refused).
 * - {@link CountingNotifier}: wraps a real notifier, counts successful publishes per ledger key, and can be
 *   told to fail (throttling, an outage) or to "crash" (throw before publishing, after the ledger claim).
 * - {@link snsThrottlingMiddleware}: makes an `SNSClient` answer Publish with a throttling error.
 */

import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { ledgerKey } from '../../functions/domain/ledger-key.ts';
import type { Message, NotifierPort } from '../../functions/domain/types.ts';

// ---------------------------------------------------------------------------------------------------------
// DynamoDB

/** A DynamoDB operation as the `X-Amz-Target` header names it (`PutItem`, `BatchWriteItem`, `Query`…). */
export type DynamoOperation = string;

export type DynamoFault =
  /** 400 `ProvisionedThroughputExceededException` (retryable throttling). */
  | 'throughput'
  /** 400 `ThrottlingException`. */
  | 'throttling'
  /** 500 `InternalServerError`. */
  | 'internal'
  /** Destroys the socket without answering. */
  | 'drop';

/** Decides, per request, whether to inject a fault. `body` is the request's JSON document. */
export type DynamoFaultRule = (
  operation: DynamoOperation,
  body: Record<string, unknown>,
) => DynamoFault | undefined;

export interface DynamoFaultProxy {
  /** `http://127.0.0.1:<port>`; point a DynamoDB client here. */
  readonly endpoint: string;
  /** Replaces the fault rule; `undefined` lets every request through. */
  setRule(rule: DynamoFaultRule | undefined): void;
  /** Requests answered with a fault so far, per operation. */
  readonly injected: Map<DynamoOperation, number>;
  /** Requests forwarded so far, per operation. */
  readonly forwarded: Map<DynamoOperation, number>;
  close(): Promise<void>;
}

const DYNAMO_ERRORS: Record<
  Exclude<DynamoFault, 'drop'>,
  { status: number; type: string; message: string }
> = {
  throughput: {
    status: 400,
    type: 'ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  },
  throttling: {
    status: 400,
    type: 'ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
  },
  internal: { status: 500, type: 'InternalServerError', message: 'Internal server error' },
};

/** Starts a proxy on 127.0.0.1 that forwards to `target` (dynalite) unless the rule injects a fault. */
export async function startDynamoFaultProxy(target: string): Promise<DynamoFaultProxy> {
  const upstream = new URL(target);
  let rule: DynamoFaultRule | undefined;
  const injected = new Map<string, number>();
  const forwarded = new Map<string, number>();
  const bump = (map: Map<string, number>, op: string) => map.set(op, (map.get(op) ?? 0) + 1);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        // Not JSON: forward as is.
      }
      const fault = rule?.(operation, body);
      if (fault) {
        bump(injected, operation);
        if (fault === 'drop') {
          req.socket.destroy();
          return;
        }
        const error = DYNAMO_ERRORS[fault];
        const text = JSON.stringify({
          __type: `com.amazonaws.dynamodb.v20120810#${error.type}`,
          message: error.message,
        });
        res.writeHead(error.status, {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': Buffer.byteLength(text),
          'x-amzn-requestid': 'fault-injected',
        });
        res.end(text);
        return;
      }
      bump(forwarded, operation);
      const proxied = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      proxied.on('error', () => req.socket.destroy());
      proxied.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setRule: (next) => {
      rule = next;
    },
    injected,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An endpoint on 127.0.0.1 where nothing listens: connections are refused. */
export async function closedPortEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** The write operations the store uses for one cycle's save, the ledger claim and the ledger update. */
export const DYNAMO_WRITES = new Set(['BatchWriteItem', 'PutItem', 'UpdateItem']);

/** True when a PutItem/UpdateItem targets an alert ledger item (`sk` begins with `ALERT#`). */
export function isLedgerWrite(operation: string, body: Record<string, unknown>): boolean {
  if (operation !== 'PutItem' && operation !== 'UpdateItem') return false;
  const item = (body.Item ?? body.Key) as Record<string, { S?: string }> | undefined;
  return item?.sk?.S?.startsWith('ALERT#') === true;
}

/** True when an UpdateItem marks a ledger item `sent` (the store's `markAlertSent`). */
export function isMarkSent(operation: string, body: Record<string, unknown>): boolean {
  // Claims and lease releases are ledger updates too; only the mark sets the state to `sent`.
  const values = body.ExpressionAttributeValues as Record<string, { S?: string }> | undefined;
  return operation === 'UpdateItem' && isLedgerWrite(operation, body) && values?.[':sent']?.S === 'sent';
}

// ---------------------------------------------------------------------------------------------------------
// Notifications

/** The ledger key a rendered message belongs to (`kind#rule#period#level`, as `alertKey` builds it). */
export function ledgerKeyOf(message: Message): string {
  const { kind, rule, period, level } = message.json as Record<string, unknown>;
  return ledgerKey({ kind: String(kind), rule: String(rule), period: String(period), level: String(level) });
}

export type NotifierFault =
  /** Throws an SNS-style throttling error; nothing is published. */
  | 'throttle'
  /** Throws an outage error; nothing is published. */
  | 'fail'
  /**
   * Emulates a crash after the ledger claim and before the publish: throws without publishing. The cycle
   * sees a failed publish; the ledger item stays `pending` with its lease, as a crashed run would leave it.
   */
  | 'crash';

/** Thrown by {@link CountingNotifier} when a fault is set. */
export class InjectedPublishError extends Error {
  override name = 'InjectedPublishError';
  /** Like an SNS 400 (InvalidParameter): the message itself is rejected, every time. */
  permanent = false;
}

/**
 * Wraps a real notifier. Counts, per ledger key, the messages the inner notifier accepted, and fails on demand.
 * `fault` applies to every publish while set; `failNext` to the next n publishes only.
 */
export class CountingNotifier implements NotifierPort {
  readonly published = new Map<string, number>();
  readonly messages: Message[] = [];
  fault: NotifierFault | undefined;
  /** Publishes refused by an injected fault. */
  refused = 0;
  #failNext = 0;
  #failNextKind: NotifierFault = 'fail';
  /** Ledger keys SNS rejects for good (a poison message), every time they are published. */
  readonly poisoned = new Set<string>();
  #poisonNext = false;

  /** The next message published becomes a poison message: rejected as invalid now and on every later run. */
  poisonNext(on = true): void {
    this.#poisonNext = on;
  }

  constructor(private readonly inner: NotifierPort) {}

  failNext(count: number, kind: NotifierFault = 'fail'): void {
    this.#failNext = count;
    this.#failNextKind = kind;
  }

  async publish(message: Message): Promise<string> {
    const poisonKey = ledgerKeyOf(message);
    if (this.#poisonNext) {
      this.#poisonNext = false;
      this.poisoned.add(poisonKey);
    }
    if (this.poisoned.has(poisonKey)) {
      this.refused += 1;
      const error = new InjectedPublishError('InvalidParameter: Invalid parameter: Message (injected)');
      error.permanent = true;
      throw error;
    }
    let fault = this.fault;
    if (!fault && this.#failNext > 0) {
      this.#failNext -= 1;
      fault = this.#failNextKind;
    }
    if (fault) {
      this.refused += 1;
      throw new InjectedPublishError(
        fault === 'throttle'
          ? 'Throttling: Rate exceeded'
          : fault === 'crash'
            ? 'the run stopped after claiming the alert and before publishing it'
            : 'the notification service is unavailable',
      );
    }
    const id = await this.inner.publish(message);
    const key = ledgerKeyOf(message);
    this.published.set(key, (this.published.get(key) ?? 0) + 1);
    this.messages.push(message);
    return id;
  }

  /** Keys published more than once. */
  duplicates(): string[] {
    return [...this.published].filter(([, n]) => n > 1).map(([key]) => key);
  }

  total(): number {
    return [...this.published.values()].reduce((a, b) => a + b, 0);
  }
}

/** A notifier that records messages in memory and returns sequential ids; the innermost layer in simulations. */
export class MemoryNotifier implements NotifierPort {
  readonly messages: Message[] = [];
  async publish(message: Message): Promise<string> {
    this.messages.push(message);
    return `memory-${this.messages.length}`;
  }
}

/**
 * Makes every SNS Publish sent through `client` fail with `Throttling` (SNS's throttling error) while
 * `isOn()` is true. The request never leaves the process; the SDK error reaches the notifier as it would from AWS.
 */
export function snsThrottlingMiddleware(client: SNSClient, isOn: () => boolean): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (isOn() && context.commandName === 'PublishCommand') {
        throw new SNSServiceException({
          name: 'Throttling',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectSnsThrottling' },
  );
}
