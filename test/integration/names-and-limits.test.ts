import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnsClient, SnsNotifier } from '../../functions/adapters/sns-notifier.ts';
import { parseConfig } from '../../functions/config.ts';
import { addDays, utcDate } from '../../functions/domain/dates.ts';
import { DYNAMODB_ITEM_MAX_BYTES, itemSize } from '../../functions/domain/item-size.ts';
import { publishedBytes, SNS_MAX_MESSAGE_BYTES } from '../../functions/domain/message-size.ts';
import type { Message, NotifierPort } from '../../functions/domain/types.ts';
import { type OrgCycleResult, runOrgCycle } from '../../functions/guard/cycle.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo.ts';
import { simulatorTarget, uniqueApiKey, useRunwaySimulator } from '../helpers/runway.ts';
import { type SnsTestServer, startSnsTestServer } from '../helpers/sns.ts';

const NOW = new Date('2026-11-20T10:00:00Z');
const TODAY = utcDate(NOW);

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

class RecordingNotifier implements NotifierPort {
  readonly messages: Message[] = [];
  async publish(message: Message): Promise<string> {
    this.messages.push(message);
    return `msg-${this.messages.length}`;
  }
}

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

/** `names` in the tier at `generations` of 100 generations today, each spending 10 credits a day for 40 days. */
function addOrganization(names: readonly string[], generations: number): string {
  const apiKey = uniqueApiKey('names');
  const usage: Record<string, Record<string, number>> = Object.create(null);
  for (let back = 39; back >= 0; back--) {
    usage[addDays(TODAY, -back)] = Object.fromEntries(names.map((n) => [n, 10]));
  }
  simulator().addOrganization(
    createSimulatedOrganization({
      apiKey,
      creditBalance: 10_000_000,
      maxMonthlyCreditSpend: 100_000_000,
      tierModels: Object.fromEntries(
        names.map((n) => [n, { maxConcurrentGenerations: 2, maxDailyGenerations: 100 }]),
      ),
      dailyGenerations: Object.fromEntries(names.map((n) => [n, generations])),
      usage,
    }),
  );
  return apiKey;
}

async function setUp(names: readonly string[], hourUtc = 23, generations = 95) {
  const apiKey = addOrganization(names, generations);
  const { tableName, store } = await dynamo.newStore();
  const cfg = config(hourUtc);
  const org = cfg.organizations[0];
  if (!org) throw new Error('no organization');
  const target = simulatorTarget(org, apiKey, simulator().url);
  const run = (notifier: NotifierPort, now = NOW): Promise<OrgCycleResult> =>
    runOrgCycle(target, { config: cfg, store, notifier, now: () => now });
  const items = () => dynamo.orgItems(tableName, 'acme');
  return { apiKey, store, run, items };
}

describe('any string Runway sends as a model name works end to end', () => {
  it('each hostile name gets its own alert, stored usage and snapshot entry; a re-run sends nothing', async () => {
    const h = await setUp(HOSTILE);
    const notifier = new RecordingNotifier();
    const first = await h.run(notifier);
    expect(first.error).toBeUndefined();
    expect(first.ok).toBe(true);

    const quota = first.notifications.filter((n) => n.kind === 'daily-quota' && n.outcome === 'sent');
    expect(quota.map((n) => n.message.json.model).sort()).toEqual([...HOSTILE].sort());
    expect(new Set(quota.map((n) => n.key)).size).toBe(HOSTILE.length);

    const snapshot = await h.store.getLatestSnapshot('acme', TODAY);
    const [usage] = await h.store.getUsage('acme', TODAY, TODAY);
    for (const name of HOSTILE) {
      expect(Object.hasOwn(snapshot?.models ?? {}, name), name).toBe(true);
      expect(snapshot?.models[name]?.dailyGenerations, name).toBe(95);
      expect(Object.hasOwn(usage?.credits ?? {}, name), name).toBe(true);
      expect(usage?.credits[name], name).toBe(10);
    }
    expect(usage?.totalCredits).toBe(10 * HOSTILE.length);

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
