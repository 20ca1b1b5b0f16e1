import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnsClient, SnsNotifier } from '../../functions/adapters/sns-notifier.ts';
import { parseConfig } from '../../functions/config.ts';
import { DYNAMODB_ITEM_MAX_BYTES, itemSize } from '../../functions/domain/item-size.ts';
import { publishedBytes, SNS_MAX_MESSAGE_BYTES } from '../../functions/domain/message-size.ts';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo.ts';
import { MemoryNotifier } from '../helpers/faults.ts';
import {
  expectEveryNameKept,
  NAMES_NOW as NOW,
  setUpModelNames,
  NAMES_TODAY as TODAY,
} from '../helpers/model-names.ts';
import { useRunwaySimulator } from '../helpers/runway.ts';
import { type SnsTestServer, startSnsTestServer } from '../helpers/sns.ts';

/** Every kind of name that broke a plain object, a ledger key or a scope. */
const HOSTILE = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'a#b',
  'a_b',
  'total',
  '%23',
  `long-${'x'.repeat(295)}`,
  'gen 🎬 👩‍👩‍👧 café',
] as const;

const simulator = useRunwaySimulator({ now: () => NOW });
let dynamo: TestDynamo;
let sns: SnsTestServer;

beforeAll(async () => {
  [dynamo, sns] = await Promise.all([startTestDynamo(), startSnsTestServer()]);
});
afterAll(async () => {
  await Promise.all([dynamo?.close(), sns?.stop()]);
});

function config(hourUtc = 23) {
  return parseConfig(
    {
      organizations: [
        {
          id: 'acme',
          name: 'Acme Films',
          apiKeySecretName: 'runway/acme',
          budgets: [{ id: 'monthly', period: 'month', limit: { credits: 1_000 }, thresholds: [80, 100] }],
        },
      ],
      digest: { hourUtc },
    },
    'test',
  );
}

/** `names` in use (see `setUpModelNames`) with `generations` of 100 used today, checked with the budget config. */
function setUp(names: readonly string[], hourUtc = 23, generations = 95) {
  return setUpModelNames({
    simulator: simulator(),
    dynamo,
    names,
    config: config(hourUtc),
    generations,
    keyLabel: 'names',
  });
}

describe('any string Runway sends as a model name works end to end', () => {
  it('each hostile name gets its own alert, stored usage and snapshot entry; a re-run sends nothing', async () => {
    const h = await setUp(HOSTILE);
    const notifier = new MemoryNotifier();
    await expectEveryNameKept(h, await h.run(notifier), HOSTILE);

    const again = await h.run(notifier);
    expect(again.ok).toBe(true);
    expect(again.notifications.filter((n) => n.outcome === 'sent')).toEqual([]);
  });

  it('SNS (fauxqs) accepts every message, subjects and attributes included', async () => {
    const h = await setUp(HOSTILE);
    const topicArn = await sns.createTopic();
    const queue = await sns.subscribeQueue({ topicArn });
    const client = createSnsClient({
      endpoint: sns.endpoint,
      region: sns.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const result = await h.run(new SnsNotifier({ client, topicArn }));
      expect(result.error).toBeUndefined();
      const sent = result.notifications.filter((n) => n.outcome === 'sent');
      const received = await queue.receive({ count: sent.length, timeoutMs: 10_000 });
      expect(received.map((r) => r.messageId).sort()).toEqual(sent.map((n) => n.messageId).sort());
    } finally {
      client.destroy();
    }
  });
});

describe('a tier of 3,000 models with 200-character names', () => {
  const names = Array.from({ length: 3_000 }, (_, i) => `${String(i).padStart(4, '0')}-${'m'.repeat(195)}`);

  it('stores and alerts: every message fits SNS, every item fits DynamoDB', {
    timeout: 120_000,
  }, async () => {
    // The digest hour, a budget past 100% with 3,000 models, then a tier change of every model the next day.
    const h = await setUp(names, 10, 10);
    const topicArn = await sns.createTopic();
    const queue = await sns.subscribeQueue({
      topicArn,
      filterPolicy: { kind: ['digest', 'budget', 'tier-change'] },
    });
    const client = createSnsClient({
      endpoint: sns.endpoint,
      region: sns.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const notifier = new SnsNotifier({ client, topicArn });
      const first = await h.run(notifier);
      expect(first.error).toBeUndefined();
      const kinds = first.notifications.filter((n) => n.outcome === 'sent').map((n) => n.kind);
      expect(kinds).toEqual(expect.arrayContaining(['digest', 'budget']));

      for (const name of names)
        simulator().setModelLimits(h.apiKey, name, { maxConcurrentGenerations: 3, maxDailyGenerations: 200 });
      const second = await h.run(notifier, new Date(NOW.getTime() + 3_600_000));
      expect(second.error).toBeUndefined();
      expect(
        second.notifications.filter((n) => n.kind === 'tier-change' && n.outcome === 'sent'),
      ).toHaveLength(1);

      for (const n of [...first.notifications, ...second.notifications]) {
        expect(publishedBytes(n.message), n.key).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
      }
      const received = await queue.receive({ count: 3, timeoutMs: 10_000 });
      expect(received.length).toBeGreaterThanOrEqual(3);
      const digest = first.notifications.find((n) => n.kind === 'digest');
      expect(digest?.message.text).toMatch(/and \d[\d,]* more/);

      const items = await h.items();
      for (const item of items)
        expect(itemSize(item), String(item.sk)).toBeLessThanOrEqual(DYNAMODB_ITEM_MAX_BYTES);
      const snapshot = await h.store.getLatestSnapshot('acme', TODAY);
      expect(snapshot?.modelsOmitted).toBeGreaterThan(0);
      expect(Object.keys(snapshot?.models ?? {}).length + (snapshot?.modelsOmitted ?? 0)).toBe(3_000);
      const [usage] = await h.store.getUsage('acme', TODAY, TODAY);
      expect(usage?.totalCredits).toBe(30_000);
    } finally {
      client.destroy();
    }
  });
});
