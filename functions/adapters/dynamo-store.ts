/**
 * The guard's one DynamoDB table (docs/architecture.md, "The table"). Every item of an organization shares
 * `pk = ORG#<orgId>`; the sort key tells the kind:
 *
 * - `SNAPSHOT#<YYYY-MM-DD>`: the day's snapshot (the latest run of the day overwrites it).
 * - `USAGE#<YYYY-MM-DD>`: net credits of one UTC day, rewritten when Runway restates it.
 * - `ALERT#<kind>#<rule>#<period>#<level>`: the alert ledger that makes delivery exactly-once-per-period.
 * - `STATUS`: the organization's current state.
 *
 * Each item also carries `type` (`snapshot`, `usage`, `alert`, `status`) for analysts. Items are mapped back to
 * the domain types field by field, so no key or bookkeeping attribute leaks into what the guard sees.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { DYNAMODB_ITEM_MAX_BYTES } from '../domain/item-size.ts';
import { emptyRecord } from '../domain/records.ts';
import type {
  AnnouncedTier,
  ClaimResult,
  LedgerEntry,
  Message,
  ModelState,
  OrgStatus,
  PendingAlert,
  Snapshot,
  StorePort,
  TierLimits,
  UsageDay,
} from '../domain/types.ts';
import { createAwsRequestHandler } from './aws-http.ts';
import { sleep } from './sleep.ts';

/** BatchWriteItem accepts at most 25 requests. */
const BATCH_SIZE = 25;
const DEFAULT_MAX_BATCH_ATTEMPTS = 5;
const DEFAULT_RETRY_BASE_DELAY_MS = 25;

const SK = {
  snapshot: (date: string) => `SNAPSHOT#${date}`,
  usage: (date: string) => `USAGE#${date}`,
  alert: (key: string) => `ALERT#${key}`,
  status: 'STATUS',
} as const;
const ALERT_PREFIX = 'ALERT#';
/** Sorts before every real date, so `BETWEEN` from here reaches the oldest snapshot. */
const FIRST_SNAPSHOT_SK = SK.snapshot('0000-00-00');

export type ItemType = 'snapshot' | 'usage' | 'alert' | 'status';

/** Some writes of a `saveCycle` stayed unprocessed after every attempt; the cycle must fail. */
export class UnprocessedWritesError extends Error {
  override name = 'UnprocessedWritesError';
  constructor(
    readonly tableName: string,
    /** Sort keys of the items that were not written. */
    readonly unwrittenKeys: readonly string[],
    readonly attempts: number,
  ) {
    super(
      `DynamoDB left ${unwrittenKeys.length} write(s) to ${tableName} unprocessed after ${attempts} attempts: ${unwrittenKeys
        .slice(0, 5)
        .join(', ')}${unwrittenKeys.length > 5 ? ', …' : ''}`,
    );
  }
}

/** `markAlertSent` found no ledger item to mark: it was never claimed (or expired). */
export class AlertNotClaimedError extends Error {
  override name = 'AlertNotClaimedError';
  constructor(
    readonly orgId: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`No ledger item ${SK.alert(key)} for organization ${orgId} to mark sent`, options);
  }
}

/** A snapshot or status handed to `saveCycle` belongs to another organization than the one being saved. */
export class OrgMismatchError extends Error {
  override name = 'OrgMismatchError';
  constructor(expected: string, found: string, what: string) {
    super(`saveCycle for organization ${expected} was given a ${what} of organization ${found}`);
  }
}

export interface DynamoStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Attempts per BatchWriteItem chunk, the first included, before `saveCycle` throws. Default 5. */
  readonly maxBatchAttempts?: number;
  /** First backoff before resending unprocessed items; doubles each attempt. Default 25 ms. */
  readonly retryBaseDelayMs?: number;
}

/** `StorePort.saveCycle`'s input, plus when the usage was fetched (stored on every usage item). */
export interface SaveCycleInput {
  readonly orgId: string;
  readonly usage: readonly UsageDay[];
  readonly snapshot?: Snapshot | undefined;
  readonly status?: OrgStatus | undefined;
  /** Stored as the usage items' `fetchedAt`; defaults to the snapshot's `fetchedAt`, then the status's `updatedAt`. */
  readonly fetchedAt?: string | undefined;
}

type Item = Record<string, unknown>;

/** A DynamoDB-backed `StorePort`. The client is injected; nothing is read from the environment. */
export class DynamoStore implements StorePort {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly maxBatchAttempts: number;
  private readonly retryBaseDelayMs: number;
  /**
   * Per organization, the ledger keys the last `listPendingAlerts` found, and which of them were `sent`.
   * `sent` is final and a ledger item is only ever removed by its TTL, so `claimAlert` and `recordCovered`
   * answer from here without a write: a run where nothing changed writes only its snapshot and status.
   */
  private readonly ledgerSeen = new Map<
    string,
    { readonly keys: Set<string>; readonly sent: Set<string>; readonly undeliverable: Set<string> }
  >();

  constructor(options: DynamoStoreOptions) {
    if (!options.tableName) throw new TypeError('DynamoStore needs a table name');
    const maxBatchAttempts = options.maxBatchAttempts ?? DEFAULT_MAX_BATCH_ATTEMPTS;
    if (!Number.isInteger(maxBatchAttempts) || maxBatchAttempts < 1) {
      throw new TypeError(`maxBatchAttempts must be a whole number ≥ 1, got ${maxBatchAttempts}`);
    }
    this.client = options.client;
    this.tableName = options.tableName;
    this.maxBatchAttempts = maxBatchAttempts;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
  }

  async getUsage(orgId: string, from: string, to: string): Promise<UsageDay[]> {
    if (from > to) return [];
    return (await this.queryBetween(orgId, SK.usage(from), SK.usage(to))).map(toUsageDay);
  }

  async getSnapshots(orgId: string, from: string, to: string): Promise<Snapshot[]> {
    if (from > to) return [];
    return (await this.queryBetween(orgId, SK.snapshot(from), SK.snapshot(to))).map(toSnapshot);
  }

  async getLatestSnapshot(orgId: string, onOrBefore: string): Promise<Snapshot | undefined> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': pkOf(orgId),
          ':from': FIRST_SNAPSHOT_SK,
          ':to': SK.snapshot(onOrBefore),
        },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = result.Items?.[0];
    return item ? toSnapshot(item) : undefined;
  }

  async getStatus(orgId: string): Promise<OrgStatus | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: pkOf(orgId), sk: SK.status },
        ConsistentRead: true,
      }),
    );
    return result.Item ? toStatus(result.Item) : undefined;
  }

  /**
   * Puts usage days, the snapshot and the status in chunks of 25 (sent in parallel), resending unprocessed
   * items with exponential backoff. Returns how many BatchWriteItem requests were sent, resends included.
   * Throws `UnprocessedWritesError` when items stay unprocessed after `maxBatchAttempts`, `OrgMismatchError`
   * when the snapshot or status names another organization, and any SDK error as is.
   */
  async saveCycle(input: SaveCycleInput): Promise<{ writeRequests: number }> {
    const { orgId } = input;
    if (input.snapshot && input.snapshot.orgId !== orgId) {
      throw new OrgMismatchError(orgId, input.snapshot.orgId, 'snapshot');
    }
    if (input.status && input.status.orgId !== orgId) {
      throw new OrgMismatchError(orgId, input.status.orgId, 'status');
    }
    const fetchedAt = input.fetchedAt ?? input.snapshot?.fetchedAt ?? input.status?.updatedAt;

    // One batch may not put the same key twice; the last day given for a date wins.
    const usageByDate = new Map<string, UsageDay>();
    for (const day of input.usage) usageByDate.set(day.date, day);

    const items: Item[] = [...usageByDate.values()].map((day) => usageItem(orgId, day, fetchedAt));
    if (input.snapshot) items.push(snapshotItem(input.snapshot));
    if (input.status) items.push(statusItem(input.status));

    const chunks: Item[][] = [];
    for (let i = 0; i < items.length; i += BATCH_SIZE) chunks.push(items.slice(i, i + BATCH_SIZE));
    const sent = await Promise.all(chunks.map((chunk) => this.writeChunk(chunk)));
    return { writeRequests: sent.reduce((sum, n) => sum + n, 0) };
  }

  /**
   * Creates the ledger item `pending` with a lease when it is absent or `pending` with an expired lease.
   * On a failed condition, tells `sent` from `leased` by the existing item (returned with the failure by
   * DynamoDB, or read consistently when the server does not return it).
   */
  async claimAlert(input: Parameters<StorePort['claimAlert']>[0]): Promise<ClaimResult> {
    const seen = this.ledgerSeen.get(input.orgId);
    if (seen?.sent.has(input.key)) return 'sent';
    if (seen?.undeliverable.has(input.key)) return 'undeliverable';
    const nowMs = input.now.getTime();
    // An update, not a put: a re-claim keeps the item's count of rejected publishes.
    const values: Item = {
      ':type': 'alert' satisfies ItemType,
      ':orgId': input.orgId,
      ':pending': 'pending',
      ':lease': nowMs + input.leaseMs,
      ':createdAt': input.now.toISOString(),
      ':subject': input.message.subject,
      ':message': storedMessage(input.message),
      ':expiresAt': epochSeconds(input.expiresAt),
      ':now': nowMs,
    };
    // The item can vanish between a failed condition and the read (TTL); then the claim is tried again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.updateAlert(input.orgId, input.key, {
          UpdateExpression:
            'SET #type = :type, orgId = :orgId, #state = :pending, leaseUntil = :lease, ' +
            'createdAt = if_not_exists(createdAt, :createdAt), subject = :subject, message = :message, ' +
            'expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :pending AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state', '#type': 'type' },
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        });
        return 'claimed';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // The SDK leaves the returned old item in AttributeValue form.
        const returnedState = error.Item?.state?.S;
        const state = returnedState ?? (await this.readAlertState(input.orgId, input.key));
        if (state === 'sent') return 'sent';
        if (state === 'undeliverable') return 'undeliverable';
        if (state !== undefined || attempt >= 3) return 'leased';
      }
    }
  }

  /** The ledger item's state (one consistent GetItem), or undefined when there is no item. */
  getAlertState(orgId: string, key: string): Promise<string | undefined> {
    return this.readAlertState(orgId, key);
  }

  /** Drops the lease of a pending alert (and counts a rejection); the alert stays pending. */
  async releaseAlert(input: {
    readonly orgId: string;
    readonly key: string;
    readonly error: string;
    readonly rejected: boolean;
  }): Promise<{ readonly rejections: number }> {
    try {
      const result = await this.updateAlert(input.orgId, input.key, {
        UpdateExpression: `SET leaseUntil = :released, lastError = :error ADD rejections :count`,
        ConditionExpression: '#state = :pending',
        ExpressionAttributeValues: {
          ':released': 0,
          ':error': cutUtf8(input.error, LAST_ERROR_MAX_BYTES),
          ':count': input.rejected ? 1 : 0,
          ':pending': 'pending',
        },
        ReturnValues: 'UPDATED_NEW',
      });
      const rejections = result.Attributes?.rejections;
      return { rejections: typeof rejections === 'number' ? rejections : 0 };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { rejections: 0 };
      throw error;
    }
  }

  /** Marks a pending alert `undeliverable`: final, like `sent`; the message is dropped, the subject kept. */
  async markAlertUndeliverable(input: {
    readonly orgId: string;
    readonly key: string;
    readonly error: string;
    readonly at: Date;
  }): Promise<void> {
    await this.updateAlert(input.orgId, input.key, {
      UpdateExpression:
        'SET #state = :undeliverable, lastError = :error, undeliverableAt = :at REMOVE leaseUntil, message',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: {
        ':undeliverable': 'undeliverable',
        ':error': cutUtf8(input.error, LAST_ERROR_MAX_BYTES),
        ':at': input.at.toISOString(),
      },
    });
    this.ledgerSeen.get(input.orgId)?.undeliverable.add(input.key);
  }

  /** Marks a claimed alert `sent`, drops its lease and stored message. Throws `AlertNotClaimedError` if absent. */
  async markAlertSent(input: Parameters<StorePort['markAlertSent']>[0]): Promise<void> {
    try {
      await this.updateAlert(input.orgId, input.key, {
        UpdateExpression:
          'SET #state = :sent, messageId = :messageId, sentAt = :sentAt REMOVE leaseUntil, message, delivered',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: {
          ':sent': 'sent',
          ':messageId': input.messageId,
          ':sentAt': input.sentAt.toISOString(),
        },
      });
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new AlertNotClaimedError(input.orgId, input.key, { cause: error });
      }
      throw error;
    }
  }

  /**
   * Adds `destinations` to a pending alert's `delivered` string set, so its retry skips them. Does nothing when
   * the item is no longer pending (another run finished it).
   */
  async recordDelivered(input: {
    readonly orgId: string;
    readonly key: string;
    readonly destinations: readonly string[];
  }): Promise<void> {
    if (input.destinations.length === 0) return;
    try {
      await this.updateAlert(input.orgId, input.key, {
        UpdateExpression: 'ADD delivered :destinations',
        ConditionExpression: '#state = :pending',
        ExpressionAttributeValues: { ':destinations': new Set(input.destinations), ':pending': 'pending' },
      });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Puts each key `sent` with `coveredBy`, only where no ledger item exists yet (in parallel). */
  async recordCovered(input: Parameters<StorePort['recordCovered']>[0]): Promise<void> {
    const expiresAt = epochSeconds(input.expiresAt);
    const seen = this.ledgerSeen.get(input.orgId)?.keys;
    await Promise.all(
      [...new Set(input.keys)].map(async (key) => {
        // Already in the ledger: the conditional put below would fail.
        if (seen?.has(key)) return;
        try {
          await this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: {
                pk: pkOf(input.orgId),
                sk: SK.alert(key),
                type: 'alert' satisfies ItemType,
                orgId: input.orgId,
                state: 'sent',
                coveredBy: input.coveredBy,
                expiresAt,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
        } catch (error) {
          // Already pending or sent: that item is the truth, covering must not overwrite it.
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }),
    );
  }

  /**
   * Pending alerts whose lease expired. Reads the organization's whole ledger (a filter would not read less)
   * and remembers which keys exist and which are `sent`, for this run's claims.
   */
  async listPendingAlerts(orgId: string, now: Date): Promise<PendingAlert[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pkOf(orgId), ':prefix': ALERT_PREFIX },
    });
    const keys = new Set<string>();
    const sent = new Set<string>();
    const undeliverable = new Set<string>();
    const pending: PendingAlert[] = [];
    for (const item of items) {
      const key = str(item, 'sk').slice(ALERT_PREFIX.length);
      keys.add(key);
      if (item.state === 'sent') sent.add(key);
      else if (item.state === 'undeliverable') undeliverable.add(key);
      else if (
        item.state === 'pending' &&
        typeof item.leaseUntil === 'number' &&
        item.leaseUntil < now.getTime()
      ) {
        const delivered = item.delivered instanceof Set ? [...(item.delivered as Set<string>)] : [];
        pending.push({
          key,
          message: readMessage(item.message),
          ...(delivered.length > 0 ? { delivered } : {}),
          ...(typeof item.rejections === 'number' && item.rejections > 0
            ? { rejections: item.rejections }
            : {}),
        });
      }
    }
    this.ledgerSeen.set(orgId, { keys, sent, undeliverable });
    return pending;
  }

  /**
   * Ledger items whose state is not `sent` (pending, undeliverable, …), in key order, without their stored
   * messages. For `budget-guard status`; the guard itself reads the ledger with `listPendingAlerts`.
   */
  async listLedger(orgId: string): Promise<LedgerEntry[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#state <> :sent',
      ProjectionExpression: 'sk, #state, #subject, createdAt, sentAt, leaseUntil',
      ExpressionAttributeNames: { '#state': 'state', '#subject': 'subject' },
      ExpressionAttributeValues: { ':pk': pkOf(orgId), ':prefix': ALERT_PREFIX, ':sent': 'sent' },
    });
    return items.map((item) => {
      const entry: { -readonly [K in keyof LedgerEntry]: LedgerEntry[K] } = {
        key: str(item, 'sk').slice(ALERT_PREFIX.length),
        state: typeof item.state === 'string' ? item.state : 'unknown',
      };
      if (typeof item.subject === 'string') entry.subject = item.subject;
      if (typeof item.createdAt === 'string') entry.createdAt = item.createdAt;
      if (typeof item.sentAt === 'string') entry.sentAt = item.sentAt;
      if (typeof item.leaseUntil === 'number') entry.leaseUntil = new Date(item.leaseUntil).toISOString();
      return entry;
    });
  }

  // -------------------------------------------------------------------------------------------------------

  /** An UpdateItem of one ledger item; `#state` names its state attribute unless `update` names others. */
  private updateAlert(
    orgId: string,
    key: string,
    update: Omit<UpdateCommandInput, 'TableName' | 'Key'>,
  ): Promise<UpdateCommandOutput> {
    return this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: pkOf(orgId), sk: SK.alert(key) },
        ExpressionAttributeNames: { '#state': 'state' },
        ...update,
      }),
    );
  }

  /** Every item of an organization whose sort key is from `fromSk` to `toSk`, inclusive (`queryAll`). */
  private queryBetween(orgId: string, fromSk: string, toSk: string): Promise<Item[]> {
    return this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pkOf(orgId), ':from': fromSk, ':to': toSk },
    });
  }

  /** Every item of a query, following `LastEvaluatedKey` past the 1 MB page limit. */
  private async queryAll(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'ConsistentRead'>,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          ...input,
          TableName: this.tableName,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** Sends one chunk, resending unprocessed puts with backoff. Returns the number of requests sent. */
  private async writeChunk(chunk: readonly Item[]): Promise<number> {
    type Requests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];
    let requests: Requests = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; ; attempt++) {
      const result = await this.client.send(
        new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
      );
      const unprocessed = result.UnprocessedItems?.[this.tableName] ?? [];
      if (unprocessed.length === 0) return attempt;
      if (attempt >= this.maxBatchAttempts) {
        const keys = unprocessed.map((r) => String(r.PutRequest?.Item?.sk ?? r.DeleteRequest?.Key?.sk));
        throw new UnprocessedWritesError(this.tableName, keys, attempt);
      }
      requests = unprocessed;
      const delay = this.retryBaseDelayMs * 2 ** (attempt - 1);
      // Full jitter keeps parallel chunks from resending in lockstep.
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }

  /** The ledger item's stored state, whatever it is (one consistent GetItem); undefined when there is none. */
  private async readAlertState(orgId: string, key: string): Promise<string | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: pkOf(orgId), sk: SK.alert(key) },
        ProjectionExpression: '#state',
        ExpressionAttributeNames: { '#state': 'state' },
        ConsistentRead: true,
      }),
    );
    const state = result.Item?.state;
    return typeof state === 'string' ? state : undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Items

/** The ledger keeps this much of the last publish error. */
const LAST_ERROR_MAX_BYTES = 2_000;
/**
 * The stored message stays this far under DynamoDB's item limit (the rest of a ledger item, its key of at most
 * 1 KB included, takes well under 4 KB).
 */
const STORED_MESSAGE_MAX_BYTES = DYNAMODB_ITEM_MAX_BYTES - 8_192;

/** `text` cut to at most `max` UTF-8 bytes, on a character boundary. */
function cutUtf8(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > max - 3) break;
    out += char;
    bytes += size;
  }
  return `${out}…`;
}

/**
 * The message as the ledger stores it: one JSON string (names in the JSON body are data, and a map key such as
 * `__proto__` would not survive the SDK's marshalling). A message SNS accepts is far smaller than an item;
 * a larger one is kept as its subject, attributes and a cut text, so the ledger write itself never fails.
 */
function storedMessage(message: Message): string {
  const full = JSON.stringify(message);
  if (Buffer.byteLength(full, 'utf8') <= STORED_MESSAGE_MAX_BYTES) return full;
  return JSON.stringify({
    subject: message.subject,
    attributes: message.attributes,
    text: cutUtf8(message.text, STORED_MESSAGE_MAX_BYTES / 4),
    json: { schema: message.json.schema, subject: message.subject, truncated: true },
  });
}

/** A stored message: a JSON string, or a map (items written before strings). */
function readMessage(value: unknown): Message {
  return (typeof value === 'string' ? JSON.parse(value) : value) as Message;
}

function pkOf(orgId: string): string {
  return `ORG#${orgId}`;
}

function epochSeconds(instant: Date): number {
  return Math.floor(instant.getTime() / 1000);
}

function usageItem(orgId: string, day: UsageDay, fetchedAt: string | undefined): Item {
  return {
    pk: pkOf(orgId),
    sk: SK.usage(day.date),
    type: 'usage' satisfies ItemType,
    orgId,
    date: day.date,
    // A list, not a map: model names are data, and a map key `__proto__` or `constructor` does not survive
    // the SDK's marshalling.
    credits: Object.entries(day.credits).map(([model, credits]) => ({ model, credits })),
    totalCredits: day.totalCredits,
    modelsOmitted: day.modelsOmitted,
    fetchedAt,
  };
}

function snapshotItem(snapshot: Snapshot): Item {
  return {
    pk: pkOf(snapshot.orgId),
    sk: SK.snapshot(snapshot.date),
    type: 'snapshot' satisfies ItemType,
    orgId: snapshot.orgId,
    date: snapshot.date,
    fetchedAt: snapshot.fetchedAt,
    creditBalance: snapshot.creditBalance,
    maxMonthlyCreditSpend: snapshot.maxMonthlyCreditSpend,
    // A list of entries, not a map keyed by name (see `usageItem`).
    models: Object.entries(snapshot.models).map(([name, state]) => ({
      ...limitsEntry(name, state),
      dailyGenerations: state.dailyGenerations,
      ...(state.inTier === false ? { inTier: false } : {}),
    })),
    modelsOmitted: snapshot.modelsOmitted,
    monthToDateCredits: snapshot.monthToDateCredits,
    rolling30dCredits: snapshot.rolling30dCredits,
    forecastMonthCredits: snapshot.forecastMonthCredits,
    ...(snapshot.purchasedCredits === undefined ? {} : { purchasedCredits: snapshot.purchasedCredits }),
  };
}

function statusItem(status: OrgStatus): Item {
  return {
    pk: pkOf(status.orgId),
    sk: SK.status,
    type: 'status' satisfies ItemType,
    orgId: status.orgId,
    state: status.state,
    reasons: [...status.reasons],
    updatedAt: status.updatedAt,
    lastSuccessAt: status.lastSuccessAt,
    backfilledAt: status.backfilledAt,
    historyStart: status.historyStart,
    watchStart: status.watchStart,
    balanceEpisode: status.balanceEpisode ? { since: status.balanceEpisode.since } : undefined,
    stopBudget: status.stopBudget,
    stateParameter: status.stateParameter
      ? {
          state: status.stateParameter.state,
          budget: status.stateParameter.budget,
          since: status.stateParameter.since,
          writtenAt: status.stateParameter.writtenAt,
        }
      : undefined,
    announcedTier: status.announcedTier ? tierItem(status.announcedTier) : undefined,
    tierChangePending: status.tierChangePending
      ? { key: status.tierChangePending.key, tier: tierItem(status.tierChangePending.tier) }
      : undefined,
  };
}

function toUsageDay(item: Item): UsageDay {
  return {
    date: str(item, 'date'),
    credits: numberMap(item.credits),
    totalCredits: num(item, 'totalCredits'),
    ...omittedOf(item),
  };
}

/** `[name, entry]` pairs of a stored list of entries, or of a map keyed by name (items written before lists). */
function namedEntries(value: unknown, nameAttribute: string): [string, Item][] {
  if (Array.isArray(value)) {
    return (value as Item[]).map((entry) => [str(entry, nameAttribute), entry] as [string, Item]);
  }
  return Object.entries((value ?? {}) as Record<string, Item>);
}

function toSnapshot(item: Item): Snapshot {
  const models = emptyRecord<ModelState>();
  for (const [model, value] of namedEntries(item.models, 'name')) {
    models[model] = {
      ...toLimits(value),
      dailyGenerations: num(value, 'dailyGenerations'),
      // Stored only for models outside the tier; absent means in the tier.
      ...(value.inTier === false ? { inTier: false } : {}),
    };
  }
  return {
    orgId: str(item, 'orgId'),
    date: str(item, 'date'),
    fetchedAt: str(item, 'fetchedAt'),
    creditBalance: num(item, 'creditBalance'),
    maxMonthlyCreditSpend: num(item, 'maxMonthlyCreditSpend'),
    models,
    ...omittedOf(item),
    monthToDateCredits: num(item, 'monthToDateCredits'),
    rolling30dCredits: num(item, 'rolling30dCredits'),
    forecastMonthCredits: numOrNull(item, 'forecastMonthCredits'),
    // Optional: absent rather than undefined, so the snapshot equals what was saved.
    ...(typeof item.purchasedCredits === 'number' ? { purchasedCredits: item.purchasedCredits } : {}),
  };
}

/** A tier as stored: its models as a list of `{name, …limits}`, as snapshots store theirs (names are data). */
function tierItem(tier: AnnouncedTier): Item {
  return {
    date: tier.date,
    maxMonthlyCreditSpend: tier.maxMonthlyCreditSpend,
    models: Object.entries(tier.models).map(([name, limits]) => limitsEntry(name, limits)),
    modelsOmitted: tier.modelsOmitted,
  };
}

/** A stored tier; its models in a prototype-less record (model names are data). */
function toTier(item: Item): AnnouncedTier {
  const models: Record<string, TierLimits> = Object.create(null);
  for (const entry of Array.isArray(item.models) ? (item.models as Item[]) : []) {
    models[str(entry, 'name')] = toLimits(entry);
  }
  return {
    date: str(item, 'date'),
    maxMonthlyCreditSpend: num(item, 'maxMonthlyCreditSpend'),
    models,
    ...omittedOf(item),
  };
}

/** A model's tier limits as a stored list entry, named (model names are data, never map keys). */
function limitsEntry(name: string, limits: TierLimits): Item {
  return {
    name,
    maxConcurrentGenerations: limits.maxConcurrentGenerations,
    maxDailyGenerations: limits.maxDailyGenerations,
  };
}

/** The tier limits of a stored model entry. */
function toLimits(entry: Item): TierLimits {
  return {
    maxConcurrentGenerations: numOrNull(entry, 'maxConcurrentGenerations'),
    maxDailyGenerations: numOrNull(entry, 'maxDailyGenerations'),
  };
}

/** `modelsOmitted` of a stored item when some were; absent otherwise, so the object equals what was saved. */
function omittedOf(item: Item): { modelsOmitted?: number } {
  const omitted = item.modelsOmitted;
  return typeof omitted === 'number' && omitted > 0 ? { modelsOmitted: omitted } : {};
}

function toStatus(item: Item): OrgStatus {
  const episode = item.balanceEpisode as Item | undefined;
  const status: {
    -readonly [K in keyof OrgStatus]: OrgStatus[K];
  } = {
    orgId: str(item, 'orgId'),
    state: str(item, 'state') as OrgStatus['state'],
    reasons: ((item.reasons ?? []) as unknown[]).map(String),
    updatedAt: str(item, 'updatedAt'),
    lastSuccessAt: str(item, 'lastSuccessAt'),
  };
  // Optional fields stay absent rather than `undefined`, so the object equals what was saved.
  if (typeof item.backfilledAt === 'string') status.backfilledAt = item.backfilledAt;
  if (typeof item.historyStart === 'string') status.historyStart = item.historyStart;
  if (typeof item.watchStart === 'string') status.watchStart = item.watchStart;
  if (episode) status.balanceEpisode = { since: str(episode, 'since') };
  if (typeof item.stopBudget === 'string') status.stopBudget = item.stopBudget;
  const parameter = item.stateParameter as Item | undefined;
  if (parameter) {
    status.stateParameter = {
      state: str(parameter, 'state') as OrgStatus['state'],
      ...(typeof parameter.budget === 'string' ? { budget: parameter.budget } : {}),
      since: str(parameter, 'since'),
      writtenAt: str(parameter, 'writtenAt'),
    };
  }
  if (item.announcedTier) status.announcedTier = toTier(item.announcedTier as Item);
  const pending = item.tierChangePending as Item | undefined;
  if (pending) status.tierChangePending = { key: str(pending, 'key'), tier: toTier(pending.tier as Item) };
  return status;
}

function str(item: Item, name: string): string {
  const value = item[name];
  if (typeof value !== 'string') throw new TypeError(`Stored item lacks string attribute ${name}`);
  return value;
}

function num(item: Item, name: string): number {
  const value = item[name];
  if (typeof value !== 'number') throw new TypeError(`Stored item lacks number attribute ${name}`);
  return value;
}

function numOrNull(item: Item, name: string): number | null {
  return item[name] === null || item[name] === undefined ? null : num(item, name);
}

function numberMap(value: unknown): Record<string, number> {
  const out = emptyRecord<number>();
  if (Array.isArray(value)) {
    for (const entry of value as Item[]) out[str(entry, 'model')] = num(entry, 'credits');
    return out;
  }
  for (const [key, amount] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    out[key] = Number(amount);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Client and table

/**
 * A document client with the guard's request limits (`./aws-http.ts`) that drops `undefined` attributes
 * (optional fields of the domain types).
 */
export function createDocumentClient(options: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ requestHandler: createAwsRequestHandler(), ...options }),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
}

/** How long `createTable`/`ensureTable` wait for the table to become ACTIVE before throwing. */
const TABLE_ACTIVE_TIMEOUT_MS = 120_000;

/** Creates the table (`pk`, `sk` strings, on demand) and waits until it is ACTIVE. Throws if it exists. */
export async function createTable(client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilActive(client, tableName);
}

/** Creates the table unless it exists (a concurrent creation included), then waits until it is ACTIVE. */
export async function ensureTable(client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await createTable(client, tableName);
      return;
    } catch (createError) {
      if (!(createError instanceof ResourceInUseException)) throw createError;
    }
  }
  await waitUntilActive(client, tableName);
}

async function waitUntilActive(client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
  for (let delay = 50; ; delay = Math.min(delay * 2, 2_000)) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new Error(
        `Table ${tableName} is still ${Table?.TableStatus} after ${TABLE_ACTIVE_TIMEOUT_MS} ms`,
      );
    }
    await sleep(delay);
  }
}
