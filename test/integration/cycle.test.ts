/**
 * The guard cycle end to end with real components: the real Runway SDK client over HTTP against the
 * simulator, DynamoStore on dynalite, and a notifier that records what it publishes (plus one run through
 * SnsNotifier into fauxqs). Each test gets its own organization key and its own table.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, DynamoStore } from '../../functions/adapters/dynamo-store.ts';
import { createSnsClient, SnsNotifier } from '../../functions/adapters/sns-notifier.ts';
import { type ConfigInput, parseConfig } from '../../functions/config.ts';
import { addDays, utcDate } from '../../functions/domain/dates.ts';
import type { Message, NotifierPort } from '../../functions/domain/types.ts';
import {
  type GuardDeps,
  type OrgCycleResult,
  type OrgTarget,
  runGuard,
  runOrgCycle,
} from '../../functions/guard/cycle.ts';
import { MAX_REJECTIONS } from '../../functions/guard/delivery.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import { localClientConfig, useTestDynamo } from '../helpers/dynamo.ts';
import { simulatorTarget, uniqueApiKey, useRunwaySimulator } from '../helpers/runway.ts';
import { startSnsTestServer } from '../helpers/sns.ts';

const NOW = new Date('2026-11-20T10:00:00Z');
const TODAY = utcDate(NOW);
const at = (hour: number) => new Date(`${TODAY}T${String(hour).padStart(2, '0')}:00:00Z`);

const simulator = useRunwaySimulator({ now: () => NOW });
const dynamo = useTestDynamo();

/**
 * A real NotifierPort that keeps what it publishes; `failing` makes every publish throw, `rejects` makes SNS
 * reject the messages it picks as invalid (a permanent error, as SNS's 400s are).
 */
class RecordingNotifier implements NotifierPort {
  readonly messages: Message[] = [];
  failing = false;
  rejects: ((message: Message) => boolean) | undefined;
  async publish(message: Message): Promise<string> {
    if (this.failing) throw new Error('SNS is unreachable (test)');
    if (this.rejects?.(message))
      throw Object.assign(new Error('InvalidParameter: rejected (test)'), { permanent: true });
    this.messages.push(message);
    return `msg-${this.messages.length}`;
  }
  kinds(): string[] {
    return this.messages.map((m) => `${m.attributes.kind}:${m.attributes.rule}`);
  }
}

/**
 * An organization with 100 days of usage (1 000 credits a day of gen4.5, 500 of veo3.1; today 60% done), a
 * month budget past 80% and a tier cap and balance comfortably clear.
 */
function addOrganization(): string {
  const apiKey = uniqueApiKey('cycle');
  const usage: Record<string, Record<string, number>> = {};
  for (let back = 99; back >= 1; back--) usage[addDays(TODAY, -back)] = { 'gen4.5': 1000, 'veo3.1': 500 };
  usage[TODAY] = { 'gen4.5': 600, 'veo3.1': 300 };
  simulator().addOrganization(
    createSimulatedOrganization({
      apiKey,
      creditBalance: 200_000,
      maxMonthlyCreditSpend: 1_000_000,
      tierModels: {
        'gen4.5': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000 },
        'veo3.1': { maxConcurrentGenerations: 2, maxDailyGenerations: null },
      },
      dailyGenerations: { 'gen4.5': 400, 'veo3.1': 50 },
      usage,
    }),
  );
  return apiKey;
}

function configFor(over: Partial<ConfigInput['organizations'][number]> = {}) {
  return parseConfig(
    {
      organizations: [
        {
          id: 'acme',
          name: 'Acme Films',
          apiKeySecretName: 'runway/acme',
          // Nov 1–19 at 1 500 + 900 today = 29 400 of 35 000: 84%.
          budgets: [
            { id: 'monthly', period: 'month', limit: { credits: 35_000 }, thresholds: [50, 80, 100] },
          ],
          ...over,
        },
      ],
      // No digest in these runs (they are before 23:00), so each alert is a rule's.
      digest: { hourUtc: 23 },
    },
    'test',
  );
}

interface Harness {
  readonly apiKey: string;
  readonly tableName: string;
  readonly store: DynamoStore;
  readonly notifier: RecordingNotifier;
  readonly target: OrgTarget;
  run(options?: {
    now?: Date;
    wallClock?: () => Date;
    notifier?: NotifierPort;
    store?: DynamoStore;
    target?: OrgTarget;
  }): Promise<OrgCycleResult>;
  /** Every item of the organization in the table, keyed by sort key. */
  items(): Promise<Map<string, Record<string, unknown>>>;
}

async function harness(config = configFor()): Promise<Harness> {
  const apiKey = addOrganization();
  const { tableName, store } = await dynamo().newStore();
  const notifier = new RecordingNotifier();
  const org = config.organizations[0];
  if (!org) throw new Error('no organization');
  const target = simulatorTarget(org, apiKey, simulator().url);
  return {
    apiKey,
    tableName,
    store,
    notifier,
    target,
    run: (options = {}) =>
      runOrgCycle(options.target ?? target, {
        config,
        store: options.store ?? store,
        notifier: options.notifier ?? notifier,
        now: () => options.now ?? NOW,
        ...(options.wallClock ? { wallClock: options.wallClock } : {}),
      } satisfies GuardDeps),
    async items() {
      const items = await dynamo().orgItems(tableName, 'acme');
      return new Map(items.map((item) => [String(item.sk), item]));
    },
  };
}

/** Items other than the alert ledger: what Runway data may change. */
async function dataItems(h: Harness) {
  return [...(await h.items())].filter(([sk]) => !sk.startsWith('ALERT#'));
}

const sentKeys = (r: OrgCycleResult) => r.notifications.filter((n) => n.outcome === 'sent').map((n) => n.key);

describe('a first run, then the same hour again', () => {
  let h: Harness;
  let first: OrgCycleResult;
  beforeAll(async () => {
    h = await harness();
    first = await h.run();
  });

  it('backfills 90 days with one extra usage request and stores the documented items', async () => {
    expect(first.ok).toBe(true);
    expect(first.backfilled).toBe(true);
    expect(simulator().requests(h.apiKey)).toEqual({ organization: 1, usage: 2 });
    // The 90 days ending today, all with usage: 90 USAGE items, nothing older.
    const historyStart = addDays(TODAY, -89);
    expect(first.usageDaysWritten).toBe(90);
    const items = await h.items();
    const usageKeys = [...items.keys()].filter((sk) => sk.startsWith('USAGE#')).sort();
    expect(usageKeys).toHaveLength(90);
    expect(usageKeys[0]).toBe(`USAGE#${historyStart}`);
    expect(usageKeys.at(-1)).toBe(`USAGE#${TODAY}`);
    expect(items.get(`USAGE#${TODAY}`)).toMatchObject({
      date: TODAY,
      // Lists of entries: model names are data, not map keys.
      credits: [
        { model: 'gen4.5', credits: 600 },
        { model: 'veo3.1', credits: 300 },
      ],
      totalCredits: 900,
      fetchedAt: NOW.toISOString(),
    });
    expect(items.get(`SNAPSHOT#${TODAY}`)).toMatchObject({
      orgId: 'acme',
      date: TODAY,
      fetchedAt: NOW.toISOString(),
      creditBalance: 200_000,
      maxMonthlyCreditSpend: 1_000_000,
      models: [
        { name: 'gen4.5', maxConcurrentGenerations: 5, maxDailyGenerations: 1000, dailyGenerations: 400 },
        { name: 'veo3.1', maxConcurrentGenerations: 2, maxDailyGenerations: null, dailyGenerations: 50 },
      ],
      monthToDateCredits: 29_400,
      rolling30dCredits: 29 * 1500 + 900,
    });
    expect(items.get('STATUS')).toMatchObject({
      state: 'warn',
      historyStart,
      lastSuccessAt: NOW.toISOString(),
    });
    expect((await h.store.getStatus('acme'))?.historyStart).toBe(historyStart);
  });

  it('sends the budget alert once, for the highest threshold, and records the lower one as covered', async () => {
    expect(first.notifications.map((n) => [n.key, n.outcome, n.redelivery])).toEqual([
      ['budget#monthly#2026-11#80', 'sent', false],
    ]);
    expect(h.notifier.kinds()).toEqual(['budget:monthly']);
    const items = await h.items();
    expect(items.get('ALERT#budget#monthly#2026-11#80')).toMatchObject({ state: 'sent', messageId: 'msg-1' });
    expect(items.get('ALERT#budget#monthly#2026-11#50')).toMatchObject({
      state: 'sent',
      coveredBy: 'budget#monthly#2026-11#80',
    });
  });

  it('a second run in the same hour sends nothing and writes only the snapshot and status', async () => {
    const second = await h.run({ now: new Date(NOW.getTime() + 20 * 60_000) });
    expect(second.ok).toBe(true);
    expect(second.backfilled).toBe(false);
    expect(simulator().requests(h.apiKey)).toEqual({ organization: 2, usage: 3 });
    expect(second.usageDaysWritten).toBe(0);
    expect(second.writeRequests).toBe(1);
    expect(second.notifications.map((n) => n.outcome)).toEqual(['duplicate']);
    expect(h.notifier.messages).toHaveLength(1);
  });
});

describe('usage restatements', () => {
  it('a restated day is rewritten, and only that day', async () => {
    const h = await harness();
    await h.run();
    const before = await h.items();
    const restated = addDays(TODAY, -3);
    simulator().restateUsage(h.apiKey, restated, 'veo3.1', 650);
    const result = await h.run({ now: at(11) });
    expect(result.usageDaysWritten).toBe(1);
    const after = await h.items();
    expect(after.get(`USAGE#${restated}`)).toMatchObject({
      credits: [
        { model: 'gen4.5', credits: 1000 },
        { model: 'veo3.1', credits: 650 },
      ],
      totalCredits: 1650,
      fetchedAt: at(11).toISOString(),
    });
    for (const [sk, item] of before) {
      if (sk.startsWith('USAGE#') && sk !== `USAGE#${restated}`) expect(after.get(sk), sk).toEqual(item);
    }
  });

  it('a model Runway drops from a day it still lists is a restatement, and is stored', async () => {
    const h = await harness();
    await h.run();
    const restated = addDays(TODAY, -2);
    simulator().restateUsage(h.apiKey, restated, 'gen4.5', 0);
    const result = await h.run({ now: at(11) });
    expect(result.ok).toBe(true);
    expect(result.usageDaysWritten).toBe(1);
    expect((await h.items()).get(`USAGE#${restated}`)).toMatchObject({
      credits: [{ model: 'veo3.1', credits: 500 }],
      totalCredits: 500,
    });
  });
});

describe('answers that contradict stored history are not trusted', () => {
  /** Runs at 11:00 with the answer `fault` gives, and returns the result and what it changed. */
  async function runWith(h: Harness, fault: Parameters<ReturnType<typeof simulator>['setFault']>[0]) {
    const before = await dataItems(h);
    simulator().setFault(fault);
    try {
      const result = await h.run({ now: at(11) });
      return { result, before, after: await dataItems(h) };
    } finally {
      simulator().setFault(undefined);
    }
  }

  it('a day with stored spend missing from an otherwise full answer: guard-error, nothing stored', async () => {
    const h = await harness();
    await h.run();
    const dropped = addDays(TODAY, -2);
    simulator().restateUsage(h.apiKey, dropped, 'gen4.5', 0);
    simulator().restateUsage(h.apiKey, dropped, 'veo3.1', 0);
    const before = await dataItems(h);
    const result = await h.run({ now: at(11) });
    expect(result.ok).toBe(false);
    expect(result.error?.name).toBe('RunwayUntrustedAnswerError');
    expect(result.error?.message).toContain(dropped);
    expect(result.notifications.map((n) => [n.kind, n.outcome])).toEqual([['guard-error', 'sent']]);
    expect(h.notifier.messages.at(-1)?.attributes.rule).toBe('runway-data');
    expect(await dataItems(h)).toEqual(before);
  });

  it('an empty list where history has spend: no restatement to zero, no $0 digest, the episode stays open', async () => {
    const h = await harness(configFor({ budgets: [], lowBalance: { credits: 250_000 } }));
    const first = await h.run({ now: at(9) });
    expect(first.notifications.map((n) => n.kind)).toEqual(['balance']);
    const { result, before, after } = await runWith(h, {
      kind: 'body',
      apiKey: h.apiKey,
      endpoint: 'usage',
      body: { results: [] },
    });
    expect(result.ok).toBe(false);
    expect(result.error?.message).toMatch(/listed no usage at all/);
    expect(result.notifications.map((n) => `${n.kind}:${n.outcome}`)).toEqual(['guard-error:sent']);
    expect(after).toEqual(before);
    expect((await h.store.getStatus('acme'))?.balanceEpisode).toEqual({ since: `${TODAY}T09:00:00.000Z` });
    // The next healthy run finds the episode open: the balance alert is not announced again.
    const next = await h.run({ now: at(12) });
    expect(next.ok).toBe(true);
    expect(next.notifications.filter((n) => n.kind === 'balance').map((n) => n.outcome)).toEqual([
      'duplicate',
    ]);
  });

  it('a date listed twice: guard-error, the day is not doubled', async () => {
    const h = await harness();
    await h.run();
    const day = addDays(TODAY, -1);
    const { result, before, after } = await runWith(h, {
      kind: 'body',
      apiKey: h.apiKey,
      endpoint: 'usage',
      body: {
        results: [
          { date: day, usedCredits: [{ model: 'gen4.5', amount: 1000 }] },
          { date: day, usedCredits: [{ model: 'gen4.5', amount: 1000 }] },
        ],
      },
    });
    expect(result.ok).toBe(false);
    expect(result.error?.message).toMatch(/listed more than once/);
    expect(result.notifications.map((n) => n.kind)).toEqual(['guard-error']);
    expect(after).toEqual(before);
  });

  it('a number beyond 2^53: fails validation once (one guard-error a day), nothing stored', async () => {
    const h = await harness();
    await h.run();
    const huge = {
      creditBalance: 2 ** 53 + 2,
      tier: { maxMonthlyCreditSpend: 1_000_000, models: {} },
      usage: { models: {} },
    };
    const { result, before, after } = await runWith(h, {
      kind: 'body',
      apiKey: h.apiKey,
      endpoint: 'organization',
      body: huge,
    });
    expect(result.error?.name).toBe('RunwayInvalidResponseError');
    expect(result.error?.message).toContain('$.creditBalance');
    expect(result.notifications.map((n) => `${n.kind}:${n.outcome}`)).toEqual(['guard-error:sent']);
    expect(after).toEqual(before);
  });
});

describe('a clock earlier than the stored state is a read-only evaluation', () => {
  for (const [label, earlier] of [
    ['an hour earlier', at(9)],
    ['days earlier', new Date(NOW.getTime() - 3 * 86_400_000)],
  ] as const) {
    it(`${label}: writes nothing, publishes nothing (not even pending alerts), says so, ok`, async () => {
      const h = await harness();
      await h.run();
      // Something to publish if the run were allowed to: a tier change and a lower balance.
      simulator().setTierCap(h.apiKey, 2_000_000);
      simulator().setCreditBalance(h.apiKey, 1);
      const before = await h.items();
      const published = h.notifier.messages.length;
      const result = await h.run({ now: earlier });
      expect(result.ok).toBe(true);
      expect(result.readOnly?.reason).toMatch(/earlier than the last successful run/);
      expect(result.notifications).toEqual([]);
      expect(result.writeRequests).toBe(0);
      expect(result.overview?.creditBalance).toBe(1);
      expect(await h.items()).toEqual(before);
      expect(h.notifier.messages).toHaveLength(published);
      // The clock back at the stored time: the run writes and announces as usual.
      const later = await h.run({ now: at(11) });
      expect(later.readOnly).toBeUndefined();
      expect(later.notifications.some((n) => n.kind === 'tier-change' && n.outcome === 'sent')).toBe(true);
    });
  }

  it('a back-dated run never publishes a guard-error either', async () => {
    const h = await harness();
    await h.run();
    const published = h.notifier.messages.length;
    simulator().setFault({ kind: 'status', status: 401, apiKey: h.apiKey });
    try {
      const result = await h.run({ now: at(9) });
      expect(result.ok).toBe(false);
    } finally {
      simulator().setFault(undefined);
    }
    expect(h.notifier.messages).toHaveLength(published);
  });
});

describe('failures store nothing from Runway', () => {
  it('401: one guard-error notification, not ok, previous snapshot and usage intact', async () => {
    const h = await harness();
    await h.run();
    const before = await dataItems(h);
    const wrongKey = uniqueApiKey('revoked');
    const result = await h.run({
      now: at(11),
      target: simulatorTarget(h.target.org, wrongKey, simulator().url),
    });
    expect(result.ok).toBe(false);
    expect(result.error?.name).toBe('RunwayAuthError');
    expect(result.notifications.map((n) => [n.kind, n.outcome])).toEqual([['guard-error', 'sent']]);
    const message = h.notifier.messages.at(-1);
    expect(message?.attributes).toEqual({
      kind: 'guard-error',
      severity: 'critical',
      org: 'acme',
      rule: 'runway-auth',
    });
    expect(message?.text).not.toContain(wrongKey);
    expect(await dataItems(h)).toEqual(before);
    // Once per day: a second failing run does not repeat it.
    const again = await h.run({
      now: at(12),
      target: simulatorTarget(h.target.org, wrongKey, simulator().url),
    });
    expect(again.notifications.map((n) => n.outcome)).toEqual(['duplicate']);
  });

  it('schema-invalid organization body: guard-error runway-data, nothing stored', async () => {
    const h = await harness();
    simulator().setFault({
      kind: 'body',
      endpoint: 'organization',
      apiKey: h.apiKey,
      body: { creditBalance: 'plenty', tier: { maxMonthlyCreditSpend: 1 } },
    });
    const result = await h.run();
    expect(result.ok).toBe(false);
    expect(result.error?.name).toBe('RunwayInvalidResponseError');
    expect(result.error?.message).toMatch(/\$\.creditBalance/);
    expect(h.notifier.messages.map((m) => [m.attributes.kind, m.attributes.rule])).toEqual([
      ['guard-error', 'runway-data'],
    ]);
    expect(await dataItems(h)).toEqual([]);
  });

  it('503: no alert, not ok, the previous snapshot stays', async () => {
    const h = await harness();
    await h.run();
    const before = await dataItems(h);
    const sent = h.notifier.messages.length;
    simulator().setFault({
      kind: 'status',
      status: 503,
      apiKey: h.apiKey,
      headers: { 'retry-after-ms': '5' },
    });
    const result = await h.run({ now: at(11) });
    expect(result.ok).toBe(false);
    expect(result.error?.name).toBe('RunwayUnavailableError');
    expect(result.notifications).toEqual([]);
    expect(h.notifier.messages).toHaveLength(sent);
    expect(await dataItems(h)).toEqual(before);
    // The one quick retry happened.
    expect(simulator().requests(h.apiKey).organization).toBe(3);
  });
});

describe('delivery', () => {
  it('a failed publish stays pending; the next run redelivers it exactly once; the third sends nothing', async () => {
    const h = await harness();
    h.notifier.failing = true;
    const first = await h.run();
    expect(first.ok).toBe(false);
    expect(first.error?.name).toBe('NotificationDeliveryError');
    expect(first.notifications.map((n) => [n.key, n.outcome])).toEqual([
      ['budget#monthly#2026-11#80', 'failed'],
    ]);
    // The rest of the cycle was saved.
    expect((await h.items()).get(`SNAPSHOT#${TODAY}`)).toBeDefined();
    expect((await h.items()).get('ALERT#budget#monthly#2026-11#80')).toMatchObject({ state: 'pending' });

    h.notifier.failing = false;
    // The next scheduled run, after the failed run's lease ran out.
    const later = () => new Date(Date.now() + 10 * 60_000);
    const second = await h.run({ now: at(11), wallClock: later });
    expect(second.ok).toBe(true);
    expect(second.notifications.map((n) => [n.key, n.outcome, n.redelivery])).toEqual([
      ['budget#monthly#2026-11#80', 'sent', true],
    ]);
    expect(h.notifier.kinds()).toEqual(['budget:monthly']);
    expect((await h.items()).get('ALERT#budget#monthly#2026-11#80')).toMatchObject({
      state: 'sent',
      messageId: 'msg-1',
    });

    const third = await h.run({ now: at(12), wallClock: later });
    expect(sentKeys(third)).toEqual([]);
    expect(h.notifier.messages).toHaveLength(1);
  });

  it('two cycles at once for the same organization publish each alert exactly once in total', async () => {
    const config = configFor({ lowBalance: { credits: 500_000 } });
    const h = await harness(config);
    const otherClient = createDocumentClient(localClientConfig(dynamo().endpoint));
    try {
      const otherStore = new DynamoStore({ client: otherClient, tableName: h.tableName });
      const [a, b] = await Promise.all([h.run(), h.run({ store: otherStore })]);
      const published = h.notifier.kinds().sort();
      expect(published).toEqual(['balance:low-balance', 'budget:monthly']);
      // Each alert: sent by one run, and seen as in flight or already sent by the other.
      for (const key of new Set([...a.notifications, ...b.notifications].map((n) => n.key))) {
        const outcomes = [...a.notifications, ...b.notifications]
          .filter((n) => n.key === key)
          .map((n) => n.outcome);
        expect(
          outcomes.filter((o) => o === 'sent'),
          key,
        ).toHaveLength(1);
        expect(outcomes.every((o) => o === 'sent' || o === 'in-flight' || o === 'duplicate')).toBe(true);
      }
      expect(a.ok && b.ok).toBe(true);
    } finally {
      otherClient.destroy();
    }
  });

  it('SnsNotifier: the alert arrives at a subscribed queue with its Subject and four attributes', async () => {
    const sns = await startSnsTestServer();
    try {
      const topicArn = await sns.createTopic();
      const queue = await sns.subscribeQueue({ topicArn });
      const h = await harness();
      const client = createSnsClient({
        endpoint: sns.endpoint,
        region: sns.region,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      try {
        const result = await h.run({ notifier: new SnsNotifier({ client, topicArn }) });
        expect(result.ok).toBe(true);
        const [notification] = result.notifications;
        const received = await queue.receive({ count: 1 });
        expect(received).toHaveLength(1);
        expect(received[0]?.messageId).toBe(notification?.messageId);
        expect(received[0]?.subject).toBe(notification?.subject);
        expect(received[0]?.subject).toMatch(/^Acme Films: monthly at 84% — \$294\.00 of \$350\.00$/);
        expect(received[0]?.messageAttributes).toEqual({
          kind: { Type: 'String', Value: 'budget' },
          severity: { Type: 'String', Value: 'warning' },
          org: { Type: 'String', Value: 'acme' },
          rule: { Type: 'String', Value: 'monthly' },
        });
        // Run again: the ledger says sent, nothing new reaches the queue.
        await h.run({ notifier: new SnsNotifier({ client, topicArn }) });
        expect(await queue.receive({ count: 0 })).toEqual([]);
      } finally {
        client.destroy();
      }
    } finally {
      await sns.stop();
    }
  });
});

describe('changes between runs', () => {
  /** The tier-change notifications of a run. */
  const tierChanges = (r: OrgCycleResult) => r.notifications.filter((n) => n.kind === 'tier-change');

  /** A harness whose first run stored the tier, after which Runway raised the tier cap to 2 000 000. */
  async function afterTierRaise() {
    const h = await harness();
    await h.run();
    simulator().setTierCap(h.apiKey, 2_000_000);
    return h;
  }

  it('a tier change between runs sends one tier-change alert', async () => {
    const h = await harness();
    const first = await h.run();
    // A first run has nothing to compare with: no tier-change.
    expect(tierChanges(first)).toEqual([]);
    simulator().setTierCap(h.apiKey, 2_000_000);
    const second = await h.run({ now: at(11) });
    const changes = tierChanges(second);
    expect(changes.map((n) => [n.outcome, n.severity])).toEqual([['sent', 'info']]);
    expect(changes[0]?.subject).toMatch(/tier cap/);
    const third = await h.run({ now: at(12) });
    expect(tierChanges(third)).toEqual([]);
  });

  it('a tier change whose ledger write failed is announced by the next run', async () => {
    const h = await afterTierRaise();
    simulator().setModelLimits(h.apiKey, 'gen4.5', { maxConcurrentGenerations: 5, maxDailyGenerations: 500 });
    // The snapshot with the new tier is saved; the ledger write for the tier-change fails right after.
    const failing = new (class extends DynamoStore {
      override claimAlert(input: Parameters<DynamoStore['claimAlert']>[0]) {
        if (input.key.startsWith('tier-change#'))
          return Promise.reject(new Error('ProvisionedThroughputExceeded (test)'));
        return super.claimAlert(input);
      }
    })({ client: dynamo().client, tableName: h.tableName });
    const failed = await h.run({ now: at(11), store: failing });
    expect(failed.ok).toBe(false);
    expect((await h.items()).get(`SNAPSHOT#${TODAY}`)).toMatchObject({ maxMonthlyCreditSpend: 2_000_000 });
    const next = await h.run({ now: at(12) });
    const changes = tierChanges(next);
    expect(changes.map((n) => [n.outcome, n.severity])).toEqual([['sent', 'warning']]);
    expect(h.notifier.messages.filter((m) => m.attributes.kind === 'tier-change')).toHaveLength(1);
    const after = await h.run({ now: at(13) });
    expect(tierChanges(after)).toEqual([]);
  });

  it('a tier change whose publish failed goes out later, and a change back before that is announced too', async () => {
    const h = await afterTierRaise();
    h.notifier.failing = true;
    const failed = await h.run({ now: at(11) });
    expect(tierChanges(failed).map((n) => n.outcome)).toEqual(['failed']);
    h.notifier.failing = false;
    simulator().setTierCap(h.apiKey, 1_000_000);
    // The next scheduled run, after the failed run's lease ran out.
    const later = await h.run({ now: at(12), wallClock: () => new Date(Date.now() + 10 * 60_000) });
    expect(tierChanges(later).map((n) => [n.outcome, n.severity, n.redelivery])).toEqual([
      ['sent', 'info', true],
      ['sent', 'warning', false],
    ]);
  });

  it('a tier change SNS rejects for good is settled once undeliverable, not found again every run', async () => {
    const h = await afterTierRaise();
    h.notifier.rejects = (m) => m.attributes.kind === 'tier-change';
    const outcomes: string[] = [];
    for (let run = 0; run < MAX_REJECTIONS; run++) {
      outcomes.push(...tierChanges(await h.run({ now: at(11 + run) })).map((n) => n.outcome));
    }
    expect(outcomes).toEqual([...Array(MAX_REJECTIONS - 1).fill('failed'), 'undeliverable']);
    // The next run counts the change as announced (its alert was given up on and reported): nothing is found
    // again, and the status no longer waits on it.
    const after = await h.run({ now: at(11 + MAX_REJECTIONS) });
    expect(tierChanges(after)).toEqual([]);
    const status = await h.store.getStatus('acme');
    expect(status?.tierChangePending).toBeUndefined();
    expect(status?.announcedTier?.maxMonthlyCreditSpend).toBe(2_000_000);
  });

  it('a change back to the old tier is announced too', async () => {
    const h = await afterTierRaise();
    const raised = await h.run({ now: at(11) });
    simulator().setTierCap(h.apiKey, 1_000_000);
    const back = await h.run({ now: at(12) });
    const outcomes = (r: OrgCycleResult) => tierChanges(r).map((n) => [n.outcome, n.severity]);
    expect(outcomes(raised)).toEqual([['sent', 'info']]);
    expect(outcomes(back)).toEqual([['sent', 'warning']]);
    // The next run finds the alert in the ledger: the old tier is the announced one again, nothing is repeated.
    const settled = await h.run({ now: at(13) });
    expect(outcomes(settled)).toEqual([]);
    const status = await h.store.getStatus('acme');
    expect(status?.announcedTier?.maxMonthlyCreditSpend).toBe(1_000_000);
    expect(status?.tierChangePending).toBeUndefined();
  });

  it('balance: fires once, stays quiet while low, re-arms after recovery and fires again', async () => {
    const h = await harness(configFor({ budgets: [], lowBalance: { credits: 50_000 } }));
    const balanceSent = (r: OrgCycleResult) =>
      r.notifications.filter((n) => n.kind === 'balance' && n.outcome === 'sent').length;

    expect(balanceSent(await h.run({ now: at(8) }))).toBe(0);
    simulator().setCreditBalance(h.apiKey, 30_000);
    const low = await h.run({ now: at(9) });
    expect(balanceSent(low)).toBe(1);
    expect(low.status?.balanceEpisode).toEqual({ since: `${TODAY}T09:00:00.000Z` });
    const stillLow = await h.run({ now: at(10) });
    expect(balanceSent(stillLow)).toBe(0);
    expect(stillLow.notifications.map((n) => n.outcome)).toEqual(['duplicate']);
    simulator().setCreditBalance(h.apiKey, 90_000);
    const recovered = await h.run({ now: at(11) });
    expect(recovered.notifications).toEqual([]);
    expect((await h.store.getStatus('acme'))?.balanceEpisode).toBeUndefined();
    simulator().setCreditBalance(h.apiKey, 10_000);
    const again = await h.run({ now: at(12) });
    expect(balanceSent(again)).toBe(1);
    expect(h.notifier.kinds().filter((k) => k.startsWith('balance'))).toHaveLength(2);
  });
});

describe('runGuard', () => {
  it('one organization failing does not stop the others; the run is not ok', async () => {
    const h = await harness();
    const config = parseConfig(
      {
        organizations: [
          { id: 'acme', name: 'Acme Films', apiKeySecretName: 'runway/acme' },
          { id: 'revoked', name: 'Revoked Co', apiKeySecretName: 'runway/revoked' },
        ],
        digest: { hourUtc: 23 },
      },
      'test',
    );
    const [acme, revoked] = config.organizations;
    if (!acme || !revoked) throw new Error('config');
    const url = simulator().url;
    const run = await runGuard(
      [
        simulatorTarget(revoked, uniqueApiKey('gone'), url, 'test'),
        simulatorTarget(acme, h.apiKey, url, 'test'),
      ],
      { config, store: h.store, notifier: h.notifier, now: () => NOW },
    );
    expect(run.ok).toBe(false);
    expect(run.results.map((r) => [r.orgId, r.ok])).toEqual([
      ['revoked', false],
      ['acme', true],
    ]);
    expect(h.notifier.messages.map((m) => [m.attributes.org, m.attributes.kind])).toEqual([
      ['revoked', 'guard-error'],
    ]);
    expect((await h.items()).get(`SNAPSHOT#${TODAY}`)).toBeDefined();
  });
});

describe('purchases inferred from the balance', () => {
  // The guard first reads the balance 31 days before NOW: from NOW on it has watched a whole 30-day window.
  const FIRST = new Date(NOW.getTime() - 31 * 86_400_000);
  // Used between the first read (Oct 20, a full day) and NOW: Oct 21 – Nov 19 at 1 500 + 900 today.
  const USED_BETWEEN = 30 * 1500 + 900;

  it('records a top-up on the day it is seen, adds later ones of the same day, and ignores noise', async () => {
    const h = await harness();
    expect((await h.run({ now: FIRST })).ok).toBe(true);
    expect((await h.items()).get(`SNAPSHOT#${utcDate(FIRST)}`)?.purchasedCredits).toBeUndefined();
    expect((await h.store.getStatus('acme'))?.watchStart).toBe(utcDate(FIRST));

    // A 900 000-credit purchase between the reads; the balance also paid for the usage in between.
    simulator().setCreditBalance(h.apiKey, 200_000 - USED_BETWEEN + 900_000);
    const second = await h.run();
    expect(second.ok).toBe(true);
    expect((await h.items()).get(`SNAPSHOT#${TODAY}`)).toMatchObject({ purchasedCredits: 900_000 });

    // The tier cap now counts purchases (90% of 1 000 000), not the 45 900 credits used (under 5%).
    expect(second.overview?.tierCap).toMatchObject({ basis: 'purchases', counted: 900_000, room: 100_000 });
    const tierCap = h.notifier.messages.find((m) => m.attributes.kind === 'tier-cap');
    expect(tierCap?.json).toMatchObject({ basis: 'purchases', bought30dCredits: 900_000, threshold: 80 });
    expect(tierCap?.text).toContain('inferred from balance changes');

    // A later run of the same day: 300 more credits used, a 5 000-credit top-up; the day's total grows.
    simulator().addUsage(h.apiKey, TODAY, 'gen4.5', 300);
    simulator().setCreditBalance(h.apiKey, 200_000 - USED_BETWEEN + 900_000 - 300 + 5000);
    expect((await h.run({ now: at(11) })).ok).toBe(true);
    expect((await h.items()).get(`SNAPSHOT#${TODAY}`)).toMatchObject({ purchasedCredits: 905_000 });

    // A rise under Runway's 1 000-credit minimum purchase is usage timing, not a top-up.
    simulator().setCreditBalance(h.apiKey, 200_000 - USED_BETWEEN + 905_000 - 300 + 500);
    expect((await h.run({ now: at(12) })).ok).toBe(true);
    expect((await h.items()).get(`SNAPSHOT#${TODAY}`)).toMatchObject({ purchasedCredits: 905_000 });
    const snapshot = await h.store.getLatestSnapshot('acme', TODAY);
    expect(snapshot?.purchasedCredits).toBe(905_000);
  });

  it('measures the tier cap on usage, and says so, until 30 days are watched', async () => {
    const h = await harness();
    const first = await h.run();
    expect(first.overview?.tierCap).toMatchObject({ basis: 'usage', watchStart: TODAY });
    expect(first.overview?.tierCap.counted).toBe(first.overview?.used30d);
  });
});

describe('week and quarter budgets, recurring steps, and advice that holds across one run', () => {
  // NOW is Fri 20 Nov 2026 10:00 (ISO week 47; Q4). 1 500 credits a day (gen4.5 1 000, veo3.1 500), 900 today.
  const config = () =>
    configFor({
      budgets: [
        // Mon 16 – Fri 20: 4 × 1 500 + 900 = 6 900 of 8 000 (86%); the week projects to 134%.
        { id: 'weekly', period: 'week', limit: { credits: 8000 }, thresholds: [50, 80, 100], forecast: true },
        // 1 Oct – 20 Nov: 50 × 1 500 + 900 = 75 900 of 30 000 (253%): steps 150, 200, 250 past the limit.
        {
          id: 'quarterly',
          period: 'quarter',
          limit: { credits: 30_000 },
          thresholds: [100],
          every: { percent: 50 },
        },
        // veo3.1 today: 300 of 350 (85%) by 10:00, on pace for about 720 (205%).
        { id: 'veo-daily', period: 'day', model: 'veo3.1', limit: { credits: 350 }, thresholds: [80] },
        // The month: 19 × 1 500 + 900 = 29 400 of 60 000 (49%), projecting to about 45 000 (75%).
        { id: 'monthly', period: 'month', limit: { credits: 60_000 }, thresholds: [40], forecast: true },
      ],
    });

  it('fires once per budget, period key and line; each step past the limit once', async () => {
    const h = await harness(config());
    const first = await h.run();
    expect(first.ok).toBe(true);
    expect(sentKeys(first).sort()).toEqual(
      [
        'budget#monthly#2026-11#40',
        'budget#quarterly#2026-Q4#250',
        'budget#veo-daily#2026-11-20#80',
        'budget#weekly#2026-W47#80',
        'forecast#weekly#2026-W47#projected',
      ].sort(),
    );
    const ledger = [...(await h.items()).keys()].filter((sk) => sk.startsWith('ALERT#budget#quarterly#'));
    // The lower steps of the same run are recorded as covered, so they never go out later.
    expect(ledger.sort()).toEqual(
      ['100', '150', '200', '250'].map((l) => `ALERT#budget#quarterly#2026-Q4#${l}`).sort(),
    );

    // The same hour again: nothing.
    expect(sentKeys(await h.run())).toEqual([]);

    // 15 000 more credits today: 90 900 of 30 000 = 303%, the 300% step, once.
    simulator().addUsage(h.apiKey, TODAY, 'gen4.5', 1000 + 15_000);
    const later = await h.run({ now: at(11) });
    expect(sentKeys(later)).toContain('budget#quarterly#2026-Q4#300');
    expect(sentKeys(await h.run({ now: at(12) }))).not.toContain('budget#quarterly#2026-Q4#300');
  });

  it('never says "nothing is needed" about a budget the same run projects past its limit', async () => {
    const h = await harness(config());
    await h.run();
    const messages = h.notifier.messages;
    // What the run projects for each budget, from every message's JSON body.
    const projected = new Map<string, number>();
    for (const m of messages) {
      const json = m.json as Record<string, unknown> & { budget?: { id: string } };
      if (json.budget && typeof json.projectedPercent === 'number')
        projected.set(json.budget.id, Math.max(projected.get(json.budget.id) ?? 0, json.projectedPercent));
    }
    expect(projected.get('weekly')).toBeGreaterThanOrEqual(100);
    expect(projected.get('veo-daily')).toBeGreaterThanOrEqual(100);
    expect(projected.get('monthly')).toBeLessThan(100);
    for (const m of messages) {
      const json = m.json as { budget?: { id: string } };
      const text = m.text.replace(/\s+/g, ' ');
      if (!json.budget) continue;
      if ((projected.get(json.budget.id) ?? 0) >= 100) {
        expect(text, m.subject).not.toContain('nothing is needed');
        if (m.attributes.kind === 'budget')
          expect(text, m.subject).toMatch(/will run out unless spend slows|reaches about/);
      }
    }
    // The in-budget month may say so, with its projection.
    const monthly = messages.find((m) => m.attributes.rule === 'monthly');
    expect(monthly?.text.replace(/\s+/g, ' ')).toContain(
      'within the budget, so if that pace is expected, nothing is needed now',
    );
  });
});
