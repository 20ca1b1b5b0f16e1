/**
 * DynamoStore against real dynalite through the real SDK clients, plus two mocked-client cases for responses
 * dynalite never gives (unprocessed batch items, the old item returned with a failed condition).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { recordFrom } from '../../functions/domain/records.ts';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AlertNotClaimedError,
  createDocumentClient,
  DynamoStore,
  ensureTable,
  UnprocessedWritesError,
} from '../../functions/adapters/dynamo-store.ts';
import { EmbeddedDynamoError, startEmbeddedDynamo } from '../../functions/adapters/embedded-dynamo.ts';
import { addDays } from '../../functions/domain/dates.ts';
import type { Message, OrgStatus, Snapshot, UsageDay } from '../../functions/domain/types.ts';
import { localClientConfig, useTestDynamo } from '../helpers/dynamo.ts';

const ORG = 'studio';
const NOW = new Date('2026-11-22T08:15:00.000Z');
const LEASE_MS = 60_000;
const EXPIRES_AT = new Date('2027-02-20T00:00:00.000Z');

/** Model records have no prototype (model names are data), as the store reads them back. */
function usageDay(date: string, credits: Record<string, number>): UsageDay {
  return {
    date,
    credits: recordFrom(Object.entries(credits)),
    totalCredits: Object.values(credits).reduce((sum, n) => sum + n, 0),
  };
}

function snapshot(date: string, overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    orgId: ORG,
    date,
    fetchedAt: `${date}T08:15:00.000Z`,
    creditBalance: 12_345.5,
    maxMonthlyCreditSpend: 100_000,
    models: recordFrom([
      ['veo3.1', { maxConcurrentGenerations: 2, maxDailyGenerations: 50, dailyGenerations: 12 }],
      ['gen4_turbo', { maxConcurrentGenerations: null, maxDailyGenerations: null, dailyGenerations: 0 }],
    ]),
    monthToDateCredits: 4_200.25,
    rolling30dCredits: 9_000,
    forecastMonthCredits: 7_800.75,
    ...overrides,
  };
}

/** A status of the run at NOW, `ok` with no reasons unless overridden. */
function orgStatus(overrides: Partial<OrgStatus> = {}): OrgStatus {
  return {
    orgId: ORG,
    state: 'ok',
    reasons: [],
    updatedAt: NOW.toISOString(),
    lastSuccessAt: NOW.toISOString(),
    ...overrides,
  };
}

function message(subject: string): Message {
  return {
    subject,
    text: `${subject}\n\nSpend so far: $400.12 of $500.00.`,
    json: {
      kind: 'budget',
      rule: 'monthly-total',
      period: '2026-11',
      level: '80',
      spentCredits: 40_012.5,
      refunds: [-12.5, -0.25],
      nested: { limitUsd: 500, note: null },
    },
    attributes: { kind: 'budget', severity: 'warning', org: ORG, rule: 'monthly-total' },
  };
}

const dynamo = useTestDynamo();
let tableName: string;
let store: DynamoStore;

beforeEach(async () => {
  ({ tableName, store } = await dynamo().newStore());
});

async function rawItem(sk: string, orgId = ORG): Promise<Record<string, unknown> | undefined> {
  const { Item } = await dynamo().client.send(
    new GetCommand({ TableName: tableName, Key: { pk: `ORG#${orgId}`, sk }, ConsistentRead: true }),
  );
  return Item;
}

describe('item round trips', () => {
  it('stores usage, snapshot and status under the documented keys and reads them back exactly', async () => {
    // Prepare
    const day = usageDay('2026-11-21', { 'veo3.1': 1_200, gen4_turbo: 35.5 });
    const snap = snapshot('2026-11-22');
    const status = orgStatus({
      state: 'warn',
      reasons: ['monthly-total at 80%'],
      backfilledAt: '2026-11-01T00:00:00.000Z',
      balanceEpisode: { since: '2026-11-20T07' },
    });

    // Act
    const result = await store.saveCycle({ orgId: ORG, usage: [day], snapshot: snap, status });

    // Assess
    expect(result).toEqual({ writeRequests: 1 });
    expect(await rawItem('USAGE#2026-11-21')).toStrictEqual({
      pk: 'ORG#studio',
      sk: 'USAGE#2026-11-21',
      type: 'usage',
      orgId: ORG,
      date: '2026-11-21',
      // Lists of entries, not maps keyed by model name.
      credits: [
        { model: 'veo3.1', credits: 1_200 },
        { model: 'gen4_turbo', credits: 35.5 },
      ],
      totalCredits: 1_235.5,
      fetchedAt: snap.fetchedAt,
    });
    expect(await rawItem('SNAPSHOT#2026-11-22')).toStrictEqual({
      pk: 'ORG#studio',
      sk: 'SNAPSHOT#2026-11-22',
      type: 'snapshot',
      ...snap,
      models: Object.entries(snap.models).map(([name, state]) => ({ name, ...state })),
    });
    expect(await rawItem('STATUS')).toStrictEqual({
      pk: 'ORG#studio',
      sk: 'STATUS',
      type: 'status',
      ...status,
    });

    expect(await store.getUsage(ORG, '2026-11-21', '2026-11-21')).toStrictEqual([day]);
    expect(await store.getSnapshots(ORG, '2026-11-22', '2026-11-22')).toStrictEqual([snap]);
    expect(await store.getLatestSnapshot(ORG, '2026-11-22')).toStrictEqual(snap);
    expect(await store.getStatus(ORG)).toStrictEqual(status);
  });

  it('stores the announced tier and a pending tier change, model names as data', async () => {
    const tier = (cap: number) => ({
      date: '2026-11-21',
      maxMonthlyCreditSpend: cap,
      models: {
        'veo3.1': { maxConcurrentGenerations: 2, maxDailyGenerations: null },
        constructor: { maxConcurrentGenerations: 1, maxDailyGenerations: 5 },
      },
    });
    const status = orgStatus({
      announcedTier: tier(200_000),
      tierChangePending: { key: 'tier-change#tier#2026-11-21#abc', tier: tier(2_000_000) },
    });

    await store.saveCycle({ orgId: ORG, usage: [], status });
    const read = await store.getStatus(ORG);

    expect(read).toEqual(status);
    expect(Object.getPrototypeOf(read?.announcedTier?.models)).toBeNull();
  });

  it('leaves optional status fields absent and reads an unknown organization as undefined', async () => {
    const status = orgStatus();

    await store.saveCycle({ orgId: ORG, usage: [], status });

    expect(await store.getStatus(ORG)).toStrictEqual(status);
    expect(await rawItem('STATUS')).not.toHaveProperty('backfilledAt');
    expect(await store.getStatus('nobody')).toBeUndefined();
    expect(await store.getLatestSnapshot('nobody', '2026-11-22')).toBeUndefined();
  });

  it('takes the usage fetchedAt from the input when given', async () => {
    await store.saveCycle({
      orgId: ORG,
      usage: [usageDay('2026-10-01', { a: 1 })],
      fetchedAt: '2026-11-22T09:00:00.000Z',
    });

    expect(await rawItem('USAGE#2026-10-01')).toMatchObject({ fetchedAt: '2026-11-22T09:00:00.000Z' });
  });

  it('round-trips negative and fractional credits exactly', async () => {
    // Prepare: refunds, binary fractions that are not exact in decimal, tiny and large amounts
    const day = usageDay('2026-11-03', {
      refund: -12.345,
      sum: 0.1 + 0.2,
      tiny: 1e-7,
      negativeTiny: -3.3e-9,
      large: 123_456_789.123_456_7,
      zero: 0,
    });
    const snap = snapshot('2026-11-03', {
      creditBalance: -3.75,
      monthToDateCredits: -0.1,
      rolling30dCredits: 2 / 3,
      forecastMonthCredits: null,
    });

    // Act
    await store.saveCycle({ orgId: ORG, usage: [day], snapshot: snap });

    // Assess
    const [stored] = await store.getUsage(ORG, '2026-11-03', '2026-11-03');
    expect(stored).toStrictEqual(day);
    expect(Object.is(stored?.credits.sum, 0.1 + 0.2)).toBe(true);
    expect(await store.getLatestSnapshot(ORG, '2026-11-03')).toStrictEqual(snap);
  });

  it('rejects a snapshot of another organization', async () => {
    await expect(
      store.saveCycle({ orgId: ORG, usage: [], snapshot: snapshot('2026-11-22', { orgId: 'other' }) }),
    ).rejects.toThrow(/organization other/);
  });
});

describe('reads', () => {
  it('includes both BETWEEN bounds and nothing of other kinds or organizations', async () => {
    // Prepare
    const dates = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05'];
    await store.saveCycle({ orgId: ORG, usage: dates.map((d) => usageDay(d, { a: 1 })) });
    for (const d of dates) await store.saveCycle({ orgId: ORG, usage: [], snapshot: snapshot(d) });
    await store.saveCycle({
      orgId: 'studio-2',
      usage: [usageDay('2026-11-03', { a: 9 })],
      snapshot: snapshot('2026-11-03', { orgId: 'studio-2' }),
    });

    // Act
    const usage = await store.getUsage(ORG, '2026-11-02', '2026-11-04');
    const snapshots = await store.getSnapshots(ORG, '2026-11-02', '2026-11-04');

    // Assess
    expect(usage.map((u) => u.date)).toEqual(['2026-11-02', '2026-11-03', '2026-11-04']);
    expect(usage.every((u) => u.credits.a === 1)).toBe(true);
    expect(snapshots.map((s) => s.date)).toEqual(['2026-11-02', '2026-11-03', '2026-11-04']);
    expect(snapshots.every((s) => s.orgId === ORG)).toBe(true);
    expect(await store.getUsage(ORG, '2026-11-05', '2026-11-01')).toEqual([]);
  });

  it('getLatestSnapshot picks the newest snapshot on or before the date', async () => {
    for (const d of ['2026-03-01', '2026-03-05', '2026-03-10']) {
      await store.saveCycle({
        orgId: ORG,
        usage: [usageDay(addDays(d, 1), { a: 1 })],
        snapshot: snapshot(d),
      });
    }

    expect((await store.getLatestSnapshot(ORG, '2026-03-07'))?.date).toBe('2026-03-05');
    expect((await store.getLatestSnapshot(ORG, '2026-03-05'))?.date).toBe('2026-03-05');
    expect((await store.getLatestSnapshot(ORG, '2026-12-31'))?.date).toBe('2026-03-10');
    expect(await store.getLatestSnapshot(ORG, '2026-02-28')).toBeUndefined();
  });

  it('pages through more than 1 MB of usage and returns every day', async () => {
    // Prepare: years of days × 60 models with long names. dynalite sizes a page by values (map keys count one
    // byte each, unlike DynamoDB), so the amounts carry 17 significant digits to make it page as well.
    const models = Array.from(
      { length: 60 },
      (_, i) => `runway-generative-model-with-a-deliberately-long-name-${String(i).padStart(2, '0')}`,
    );
    const start = '2022-01-01';
    const dayCount = 1_600;
    const days = Array.from({ length: dayCount }, (_, i) =>
      usageDay(
        addDays(start, i),
        Object.fromEntries(models.map((m, j) => [m, -(i * 1_000 + j) - 0.123_456_789_012_345])),
      ),
    );
    const saved = await store.saveCycle({ orgId: ORG, usage: days, fetchedAt: NOW.toISOString() });
    expect(saved.writeRequests).toBe(dayCount / 25);

    const counted = createDocumentClient(localClientConfig(dynamo().endpoint));
    let queryRequests = 0;
    counted.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers?.['x-amz-target'] === 'DynamoDB_20120810.Query') queryRequests++;
        return next(args);
      },
      { step: 'finalizeRequest', name: 'countQueries' },
    );
    const countedStore = new DynamoStore({ client: counted, tableName });

    // Act
    const read = await countedStore.getUsage(ORG, start, addDays(start, dayCount - 1));
    counted.destroy();

    // Assess
    expect(Buffer.byteLength(JSON.stringify(read))).toBeGreaterThan(1024 * 1024);
    expect(queryRequests).toBeGreaterThanOrEqual(2);
    expect(read).toHaveLength(dayCount);
    expect(read).toStrictEqual(days);
  });
});

describe('saveCycle batching', () => {
  it('writes 60 items in 3 BatchWriteItem requests', async () => {
    const usage = Array.from({ length: 58 }, (_, i) => usageDay(addDays('2026-09-01', i), { a: i }));
    const status = orgStatus();

    const result = await store.saveCycle({ orgId: ORG, usage, snapshot: snapshot('2026-11-22'), status });

    expect(result).toEqual({ writeRequests: 3 });
    expect(await store.getUsage(ORG, '2026-09-01', '2026-12-31')).toHaveLength(58);
    expect(await store.getStatus(ORG)).toStrictEqual(status);
  });

  it('sends nothing for an empty cycle', async () => {
    expect(await store.saveCycle({ orgId: ORG, usage: [] })).toEqual({ writeRequests: 0 });
  });

  it('writes a restated day once, the last one given winning', async () => {
    await store.saveCycle({
      orgId: ORG,
      usage: [usageDay('2026-11-20', { a: 5 }), usageDay('2026-11-20', { a: -2 })],
    });

    expect(await store.getUsage(ORG, '2026-11-20', '2026-11-20')).toStrictEqual([
      usageDay('2026-11-20', { a: -2 }),
    ]);
  });
});

describe('saveCycle with a mocked client', () => {
  it('resends unprocessed items until DynamoDB takes them', async () => {
    // Prepare
    const docClient = createDocumentClient(localClientConfig('http://127.0.0.1:9'));
    const mock = mockClient(docClient);
    const day = usageDay('2026-11-21', { a: 1 });
    const snap = snapshot('2026-11-22');
    mock
      .on(BatchWriteCommand)
      .resolvesOnce({
        UnprocessedItems: {
          tbl: [{ PutRequest: { Item: { pk: 'ORG#studio', sk: 'SNAPSHOT#2026-11-22' } } }],
        },
      })
      .resolvesOnce({});
    const mocked = new DynamoStore({ client: docClient, tableName: 'tbl', retryBaseDelayMs: 1 });

    // Act
    const result = await mocked.saveCycle({ orgId: ORG, usage: [day], snapshot: snap });

    // Assess
    expect(result).toEqual({ writeRequests: 2 });
    expect(mock).toHaveReceivedCommandTimes(BatchWriteCommand, 2);
    const [first, second] = mock.commandCalls(BatchWriteCommand).map((call) => call.args[0].input);
    expect(first?.RequestItems?.tbl?.map((r) => r.PutRequest?.Item?.sk)).toEqual([
      'USAGE#2026-11-21',
      'SNAPSHOT#2026-11-22',
    ]);
    expect(second?.RequestItems?.tbl).toEqual([
      { PutRequest: { Item: { pk: 'ORG#studio', sk: 'SNAPSHOT#2026-11-22' } } },
    ]);
    mock.restore();
    docClient.destroy();
  });

  it('throws UnprocessedWritesError after maxBatchAttempts', async () => {
    const docClient = createDocumentClient(localClientConfig('http://127.0.0.1:9'));
    const mock = mockClient(docClient);
    mock.on(BatchWriteCommand).resolves({
      UnprocessedItems: { tbl: [{ PutRequest: { Item: { pk: 'ORG#studio', sk: 'USAGE#2026-11-21' } } }] },
    });
    const mocked = new DynamoStore({
      client: docClient,
      tableName: 'tbl',
      maxBatchAttempts: 3,
      retryBaseDelayMs: 1,
    });

    const saving = mocked.saveCycle({ orgId: ORG, usage: [usageDay('2026-11-21', { a: 1 })] });

    await expect(saving).rejects.toBeInstanceOf(UnprocessedWritesError);
    await expect(saving).rejects.toThrow(/USAGE#2026-11-21/);
    expect(mock).toHaveReceivedCommandTimes(BatchWriteCommand, 3);
    mock.restore();
    docClient.destroy();
  });

  it('reads sent from the old item DynamoDB returns with a failed claim, without a second read', async () => {
    const docClient = createDocumentClient(localClientConfig('http://127.0.0.1:9'));
    const mock = mockClient(docClient);
    mock.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { state: { S: 'sent' } },
      }),
    );
    const mocked = new DynamoStore({ client: docClient, tableName: 'tbl' });

    const result = await mocked.claimAlert({
      orgId: ORG,
      key: 'budget#monthly-total#2026-11#80',
      message: message('Studio: monthly-total at 80%'),
      now: NOW,
      leaseMs: LEASE_MS,
      expiresAt: EXPIRES_AT,
    });

    expect(result).toBe('sent');
    expect(mock).toHaveReceivedCommandWith(UpdateCommand, { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    expect(mock).not.toHaveReceivedCommand(GetCommand);
    mock.restore();
    docClient.destroy();
  });
});

describe('alert ledger', () => {
  const KEY = 'budget#monthly-total#2026-11#80';

  function claim(key: string, now: Date, subject = 'Studio: monthly-total at 80%') {
    return store.claimAlert({
      orgId: ORG,
      key,
      message: message(subject),
      now,
      leaseMs: LEASE_MS,
      expiresAt: EXPIRES_AT,
    });
  }

  /** A ledger item as stored: its keys, type, organization and expiry, and `fields`. */
  function alertItem(key: string, fields: Record<string, unknown>): Record<string, unknown> {
    return {
      pk: 'ORG#studio',
      sk: `ALERT#${key}`,
      type: 'alert',
      orgId: ORG,
      ...fields,
      expiresAt: Math.floor(EXPIRES_AT.getTime() / 1000),
    };
  }

  it("reads one item's state: absent, pending, sent", async () => {
    const key = 'tier-change#tier#2026-11-21#abc';
    expect(await store.getAlertState(ORG, key)).toBeUndefined();
    await claim(key, NOW);
    expect(await store.getAlertState(ORG, key)).toBe('pending');
    await store.markAlertSent({ orgId: ORG, key, messageId: 'm-1', sentAt: NOW });
    expect(await store.getAlertState(ORG, key)).toBe('sent');
  });

  it("reads an undeliverable item's state as stored", async () => {
    const key = 'tier-change#tier#2026-11-21#def';
    await claim(key, NOW);
    await store.markAlertUndeliverable({ orgId: ORG, key, error: 'InvalidParameter (test)', at: NOW });
    expect(await store.getAlertState(ORG, key)).toBe('undeliverable');
  });

  it('claims an absent item, refuses a live lease, reclaims an expired one and reports sent', async () => {
    // Absent → claimed, stored pending with lease and message
    expect(await claim(KEY, NOW)).toBe('claimed');
    expect(await rawItem(`ALERT#${KEY}`)).toStrictEqual(
      alertItem(KEY, {
        state: 'pending',
        leaseUntil: NOW.getTime() + LEASE_MS,
        createdAt: NOW.toISOString(),
        subject: 'Studio: monthly-total at 80%',
        // One JSON string: names in the body are data, not map keys.
        message: JSON.stringify(message('Studio: monthly-total at 80%')),
      }),
    );

    // Live lease → leased
    expect(await claim(KEY, new Date(NOW.getTime() + LEASE_MS - 1))).toBe('leased');

    // Lease expired → claimed again
    const later = new Date(NOW.getTime() + LEASE_MS + 1);
    expect(await claim(KEY, later)).toBe('claimed');

    // Sent → sent, with lease and message dropped
    const sentAt = new Date(later.getTime() + 500);
    await store.markAlertSent({ orgId: ORG, key: KEY, messageId: 'sns-message-1', sentAt });
    expect(await rawItem(`ALERT#${KEY}`)).toStrictEqual(
      alertItem(KEY, {
        state: 'sent',
        messageId: 'sns-message-1',
        sentAt: sentAt.toISOString(),
        // A re-claim keeps when the alert was first claimed (and its count of rejected publishes).
        createdAt: NOW.toISOString(),
        subject: 'Studio: monthly-total at 80%',
      }),
    );
    expect(await claim(KEY, new Date(NOW.getTime() + 10 * LEASE_MS))).toBe('sent');
  });

  it('gives exactly one of 10 concurrent claims', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => claim(KEY, NOW)));

    expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r === 'leased')).toHaveLength(9);
  });

  it('refuses to mark an alert that was never claimed', async () => {
    await expect(
      store.markAlertSent({ orgId: ORG, key: KEY, messageId: 'm', sentAt: NOW }),
    ).rejects.toBeInstanceOf(AlertNotClaimedError);
    expect(await rawItem(`ALERT#${KEY}`)).toBeUndefined();
  });

  it('records covered levels without overwriting pending or sent items', async () => {
    // Prepare
    const pendingKey = 'budget#monthly-total#2026-11#50';
    const sentKey = 'budget#monthly-total#2026-11#80';
    const freshKey = 'budget#monthly-total#2026-11#90';
    expect(await claim(pendingKey, NOW, 'pending one')).toBe('claimed');
    expect(await claim(sentKey, NOW, 'sent one')).toBe('claimed');
    await store.markAlertSent({ orgId: ORG, key: sentKey, messageId: 'sns-2', sentAt: NOW });
    const pendingBefore = await rawItem(`ALERT#${pendingKey}`);
    const sentBefore = await rawItem(`ALERT#${sentKey}`);

    // Act
    await store.recordCovered({
      orgId: ORG,
      keys: [pendingKey, sentKey, freshKey],
      coveredBy: 'budget#monthly-total#2026-11#100',
      expiresAt: EXPIRES_AT,
    });

    // Assess
    expect(await rawItem(`ALERT#${pendingKey}`)).toStrictEqual(pendingBefore);
    expect(await rawItem(`ALERT#${sentKey}`)).toStrictEqual(sentBefore);
    expect(await rawItem(`ALERT#${freshKey}`)).toStrictEqual(
      alertItem(freshKey, { state: 'sent', coveredBy: 'budget#monthly-total#2026-11#100' }),
    );
    expect(await claim(freshKey, NOW)).toBe('sent');
  });

  it('lists only pending alerts whose lease expired, with their message intact', async () => {
    // Prepare
    const crashed = 'budget#monthly-total#2026-11#80';
    const live = 'tier-cap#tier#2026-11#95';
    const sent = 'digest#digest#2026-11-21#info';
    const earlier = new Date(NOW.getTime() - 2 * LEASE_MS);
    await claim(crashed, earlier, 'Studio: monthly-total at 80%');
    await claim(live, NOW, 'Studio: tier cap at 95%');
    await claim(sent, earlier, 'Studio: daily digest');
    await store.markAlertSent({ orgId: ORG, key: sent, messageId: 'sns-3', sentAt: earlier });
    await store.recordCovered({
      orgId: ORG,
      keys: ['budget#monthly-total#2026-11#50'],
      coveredBy: crashed,
      expiresAt: EXPIRES_AT,
    });
    await store.claimAlert({
      orgId: 'studio-2',
      key: crashed,
      message: message('other org'),
      now: earlier,
      leaseMs: LEASE_MS,
      expiresAt: EXPIRES_AT,
    });
    await store.saveCycle({
      orgId: ORG,
      usage: [usageDay('2026-11-21', { a: 1 })],
      snapshot: snapshot('2026-11-22'),
    });

    // Act
    const pending = await store.listPendingAlerts(ORG, NOW);

    // Assess
    expect(pending).toStrictEqual([{ key: crashed, message: message('Studio: monthly-total at 80%') }]);
    expect(await store.listPendingAlerts(ORG, new Date(NOW.getTime() + LEASE_MS + 1))).toHaveLength(2);
  });
});

describe('tables', () => {
  it('ensureTable is idempotent on an existing table', async () => {
    await ensureTable(dynamo().client, tableName);
    await ensureTable(dynamo().client, tableName);

    await store.saveCycle({ orgId: ORG, usage: [usageDay('2026-11-01', { a: 1 })] });
    expect(await store.getUsage(ORG, '2026-11-01', '2026-11-01')).toHaveLength(1);
  });
});

describe('embedded store', () => {
  it('keeps its data across a restart and admits one process at a time', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'budget-guard-store-'));
    const day = usageDay('2026-11-21', { 'veo3.1': -4.5, gen4_turbo: 0.125 });
    const snap = snapshot('2026-11-22');
    try {
      const first = await startEmbeddedDynamo({ dataDir });
      const firstClient = createDocumentClient(localClientConfig(first.endpoint));
      await ensureTable(firstClient, 'budget-guard');
      await new DynamoStore({ client: firstClient, tableName: 'budget-guard' }).saveCycle({
        orgId: ORG,
        usage: [day],
        snapshot: snap,
      });
      await expect(startEmbeddedDynamo({ dataDir })).rejects.toBeInstanceOf(EmbeddedDynamoError);
      firstClient.destroy();
      await first.close();

      // Act
      const second = await startEmbeddedDynamo({ dataDir });
      const secondClient = createDocumentClient(localClientConfig(second.endpoint));
      await ensureTable(secondClient, 'budget-guard');
      const reopened = new DynamoStore({ client: secondClient, tableName: 'budget-guard' });
      const usage = await reopened.getUsage(ORG, '2026-11-01', '2026-11-30');
      const latest = await reopened.getLatestSnapshot(ORG, '2026-11-30');
      const raw = await secondClient.send(
        new QueryCommand({
          TableName: 'budget-guard',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'ORG#studio' },
        }),
      );
      secondClient.destroy();
      await second.close();

      // Assess
      expect(usage).toStrictEqual([day]);
      expect(latest).toStrictEqual(snap);
      expect(raw.Items?.map((i) => i.sk)).toEqual(['SNAPSHOT#2026-11-22', 'USAGE#2026-11-21']);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('embedded store lock', () => {
  it('takes over a lock left by a killed process (an old lock directory), whatever PID it had', async () => {
    // Prepare: a lock directory as proper-lockfile leaves it when its holder is killed, last refreshed a minute ago.
    const dataDir = await mkdtemp(join(tmpdir(), 'budget-guard-stale-'));
    try {
      await mkdir(`${dataDir}.lock`, { recursive: true });
      const old = new Date(Date.now() - 60_000);
      await utimes(`${dataDir}.lock`, old, old);

      // Act
      const store = await startEmbeddedDynamo({ dataDir });
      const client = createDocumentClient(localClientConfig(store.endpoint));
      await ensureTable(client, 'budget-guard');
      await new DynamoStore({ client, tableName: 'budget-guard' }).saveCycle({
        orgId: ORG,
        usage: [usageDay('2026-11-21', { a: 1 })],
      });
      client.destroy();
      await store.close();

      // Assess: the lock was released on close.
      await expect(stat(`${dataDir}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await rm(`${dataDir}.lock`, { recursive: true, force: true });
    }
  });

  it('refuses a store whose lock another live process holds, saying so', async () => {
    // Prepare: another process takes the lock with the same library and keeps it refreshed.
    const dataDir = await mkdtemp(join(tmpdir(), 'budget-guard-live-'));
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `require('proper-lockfile').lock(${JSON.stringify(dataDir)}, { lockfilePath: ${JSON.stringify(`${dataDir}.lock`)}, realpath: false, stale: 10000, update: 5000 }).then(() => console.log('locked'));
         setInterval(() => {}, 1000);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.setEncoding('utf8').on('data', (text: string) => {
          if (text.includes('locked')) resolve();
        });
        holder.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
      });

      // Act
      const attempt = startEmbeddedDynamo({ dataDir });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(EmbeddedDynamoError);
      await expect(attempt).rejects.toThrow(/in use by another budget-guard process/);
    } finally {
      holder.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
      await rm(`${dataDir}.lock`, { recursive: true, force: true });
    }
  });
});
