/**
 * What the ledger does with failed and rejected publishes and with low-balance episodes, end to end: the
 * real Runway SDK against the simulator, the cycle and DynamoStore on dynalite.
 */
import { describe, expect, it } from 'vitest';
import { DynamoStore } from '../../functions/adapters/dynamo-store.ts';
import { parseConfig } from '../../functions/config.ts';
import { addDays, utcDate } from '../../functions/domain/dates.ts';
import type { Message, NotifierPort } from '../../functions/domain/types.ts';
import { type OrgCycleResult, runOrgCycle } from '../../functions/guard/cycle.ts';
import { MAX_REJECTIONS } from '../../functions/guard/delivery.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import { useTestDynamo } from '../helpers/dynamo.ts';
import { simulatorTarget, uniqueApiKey, useRunwaySimulator } from '../helpers/runway.ts';

const NOW = new Date('2026-11-20T10:00:00Z');
const TODAY = utcDate(NOW);
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

const simulator = useRunwaySimulator({ now: () => NOW });
const dynamo = useTestDynamo();

/** Records what it publishes; `fail` decides, per message, to throw instead (`permanent` like SNS's 400s). */
class ScriptedNotifier implements NotifierPort {
  readonly messages: Message[] = [];
  fail: ((m: Message) => { permanent: boolean } | undefined) | undefined;
  async publish(message: Message): Promise<string> {
    const failure = this.fail?.(message);
    if (failure) {
      throw Object.assign(
        new Error(failure.permanent ? 'InvalidParameter: rejected (test)' : 'SNS down (test)'),
        {
          permanent: failure.permanent,
        },
      );
    }
    this.messages.push(message);
    return `msg-${this.messages.length}`;
  }
}

async function setUp() {
  const apiKey = uniqueApiKey('ledger');
  const usage: Record<string, Record<string, number>> = {};
  for (let back = 39; back >= 0; back--) usage[addDays(TODAY, -back)] = { 'gen4.5': 1000 };
  simulator().addOrganization(
    createSimulatedOrganization({
      apiKey,
      creditBalance: 100_000,
      maxMonthlyCreditSpend: 10_000_000,
      tierModels: { 'gen4.5': { maxConcurrentGenerations: 2, maxDailyGenerations: null } },
      dailyGenerations: { 'gen4.5': 1 },
      usage,
    }),
  );
  const config = parseConfig(
    {
      organizations: [
        {
          id: 'acme',
          name: 'Acme Films',
          apiKeySecretName: 'runway/acme',
          budgets: [{ id: 'monthly', period: 'month', limit: { credits: 20_000 }, thresholds: [100] }],
          lowBalance: { credits: 50_000 },
        },
      ],
      digest: { hourUtc: 23 },
    },
    'test',
  );
  const org = config.organizations[0];
  if (!org) throw new Error('no organization');
  const { tableName, store } = await dynamo().newStore();
  const target = simulatorTarget(org, apiKey, simulator().url);
  const notifier = new ScriptedNotifier();
  // A fresh store per run, like a new Lambda invocation or a new `check`; the wall clock is the run's.
  const run = (at: Date): Promise<OrgCycleResult> =>
    runOrgCycle(target, {
      config,
      store: new DynamoStore({ client: dynamo().client, tableName }),
      notifier,
      now: () => at,
      wallClock: () => at,
    });
  return { apiKey, store, notifier, run };
}

const sent = (r: OrgCycleResult, kind?: string) =>
  r.notifications.filter((n) => n.outcome === 'sent' && (kind === undefined || n.kind === kind));

describe('a failed publish', () => {
  it('gives its lease back: a run right after SNS is fixed delivers it', async () => {
    const h = await setUp();
    simulator().setCreditBalance(h.apiKey, 1_000_000);
    h.notifier.fail = () => ({ permanent: false });
    const failed = await h.run(NOW);
    expect(failed.ok).toBe(false);
    expect(failed.notifications.map((n) => n.outcome)).toContain('failed');

    h.notifier.fail = undefined;
    const retried = await h.run(minutes(0.5));
    expect(retried.ok).toBe(true);
    expect(retried.notifications.filter((n) => n.outcome === 'in-flight')).toEqual([]);
    expect(sent(retried, 'budget')).toHaveLength(1);
    expect(sent(retried, 'budget')[0]?.redelivery).toBe(true);
  });
});

describe('an alert SNS rejects for good', () => {
  it(`is retried ${MAX_REJECTIONS} runs, then marked undeliverable and reported once; later runs succeed`, async () => {
    const h = await setUp();
    simulator().setCreditBalance(h.apiKey, 1_000_000);
    h.notifier.fail = (m) => (m.attributes.kind === 'budget' ? { permanent: true } : undefined);
    const runs: OrgCycleResult[] = [];
    for (let i = 0; i < MAX_REJECTIONS; i++) runs.push(await h.run(minutes(i * 60)));
    for (const r of runs.slice(0, -1)) expect(r.ok).toBe(false);

    const last = runs.at(-1);
    const budget = last?.notifications.find((n) => n.kind === 'budget');
    expect(budget?.outcome).toBe('undeliverable');
    const reports = last?.notifications.filter((n) => n.kind === 'guard-error') ?? [];
    expect(reports).toHaveLength(1);
    expect(reports[0]?.outcome).toBe('sent');
    expect(reports[0]?.message.json.undelivered).toMatchObject({
      key: budget?.key,
      subject: budget?.subject,
    });
    expect(reports[0]?.message.text).toContain(`ALERT#${budget?.key}`);
    expect(last?.ok).toBe(true);

    const after = await h.run(minutes(MAX_REJECTIONS * 60));
    expect(after.ok).toBe(true);
    expect(after.notifications.filter((n) => n.outcome === 'sent' || n.outcome === 'failed')).toEqual([]);
    expect(await h.store.listPendingAlerts('acme', minutes(100 * 60))).toEqual([]);
    expect(h.notifier.messages.filter((m) => m.attributes.kind === 'guard-error')).toHaveLength(1);
  });

  it('a failure that is not a rejection (throttling, an outage) is never given up on', async () => {
    const h = await setUp();
    simulator().setCreditBalance(h.apiKey, 1_000_000);
    h.notifier.fail = (m) => (m.attributes.kind === 'budget' ? { permanent: false } : undefined);
    for (let i = 0; i < MAX_REJECTIONS + 2; i++) {
      const r = await h.run(minutes(i * 60));
      expect(r.notifications.find((n) => n.kind === 'budget')?.outcome).toBe('failed');
    }
    h.notifier.fail = undefined;
    expect(sent(await h.run(minutes(600)), 'budget')).toHaveLength(1);
  });
});

describe('low-balance episodes', () => {
  it('low, topped up and low again within the same hour: two alerts', async () => {
    const h = await setUp();
    simulator().setCreditBalance(h.apiKey, 10_000);
    expect(sent(await h.run(NOW), 'balance')).toHaveLength(1);
    simulator().setCreditBalance(h.apiKey, 500_000);
    expect(sent(await h.run(minutes(15)), 'balance')).toHaveLength(0);
    simulator().setCreditBalance(h.apiKey, 10_000);
    expect(sent(await h.run(minutes(30)), 'balance')).toHaveLength(1);
  });

  it('low across many runs: one alert', async () => {
    const h = await setUp();
    simulator().setCreditBalance(h.apiKey, 10_000);
    let alerts = 0;
    for (let i = 0; i < 8; i++) alerts += sent(await h.run(minutes(i * 50)), 'balance').length;
    expect(alerts).toBe(1);
  });
});
