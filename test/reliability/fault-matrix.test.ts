/**
 * The fault matrix: one scenario per failure the design promises to survive, against real components over HTTP
 * (the Runway SDK against the simulator, DynamoStore against dynalite behind a fault proxy, SnsNotifier against
 * fauxqs with an SQS subscriber counting what was really delivered).
 *
 * Every scenario runs the same three cycles in two worlds, a faulty one and a fault-free reference:
 * 1. 09:17 healthy (history, first alerts); then today's spend jumps so new thresholds are crossed.
 * 2. 10:17 with the fault, in the faulty world only.
 * 3. 11:17 healthy; leases of the faulty cycle have expired by then.
 * Promises checked: the faulty cycle ends (its duration is reported, not asserted) and fails with a clear
 * error; when it stored nothing, the status, snapshot and usage read back equal to before; after the healthy
 * cycle, the subscriber received every alert the reference delivered (plus the scenario's own guard-error),
 * each exactly once, and nothing stays pending.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DynamoStore } from '../../functions/adapters/dynamo-store.ts';
import { SnsNotifier } from '../../functions/adapters/sns-notifier.ts';
import type { Config } from '../../functions/config.ts';
import { addDays, dateRange } from '../../functions/domain/dates.ts';
import { type OrgCycleResult, type OrgTarget, runOrgCycle } from '../../functions/guard/cycle.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import {
  type RunwaySimulator,
  type SimulatorFault,
  startRunwaySimulator,
} from '../../functions/simulator/server.ts';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo.ts';
import {
  CountingNotifier,
  closedPortEndpoint,
  type DynamoFaultProxy,
  type DynamoFaultRule,
  isLedgerWrite,
  isMarkSent,
  ledgerKeyOf,
  MemoryNotifier,
  snsThrottlingMiddleware,
  startDynamoFaultProxy,
} from '../helpers/faults.ts';
import { uniqueApiKey } from '../helpers/runway.ts';
import { protocolMessage, type SnsTestServer, startSnsTestServer } from '../helpers/sns.ts';
import { recordScenario } from './report.ts';
import { ORG_ID, readLedger, reliabilityConfig, runwayTarget, storeAt } from './world.ts';

const TODAY = '2026-03-20';
const at = (hour: number) => new Date(`${TODAY}T${String(hour).padStart(2, '0')}:17:00.000Z`);

let dynamo: TestDynamo;
let proxy: DynamoFaultProxy;
let simulator: RunwaySimulator;
let sns: SnsTestServer;

beforeAll(async () => {
  [dynamo, simulator, sns] = await Promise.all([
    startTestDynamo(),
    startRunwaySimulator(),
    startSnsTestServer(),
  ]);
  proxy = await startDynamoFaultProxy(dynamo.endpoint);
});

afterAll(async () => {
  await Promise.all([simulator?.close(), proxy?.close(), sns?.stop()]);
  await dynamo?.close();
});

interface Scenario {
  readonly name: string;
  /** A Runway fault for the faulty cycle (its apiKey is filled in). */
  readonly runway?: SimulatorFault;
  /** A DynamoDB fault rule for the faulty cycle. */
  readonly dynamo?: DynamoFaultRule;
  /** The faulty cycle's store talks to a closed port. */
  readonly dynamoDown?: boolean;
  readonly notifier?: 'throttle' | 'fail' | 'crash' | 'sns-throttling';
  /** Another run holds live leases on every alert the faulty cycle would claim. */
  readonly leaseHeld?: boolean;
  /** The faulty cycle may succeed (valid data, or a fault the run absorbs). */
  readonly mayPass?: boolean;
  /** A guard-error alert the fault itself must raise (the reference world has none). */
  readonly guardError?: 'runway-auth' | 'runway-data';
  /** The Runway request timeout for every cycle; small so a hang ends quickly. */
  readonly timeoutMs?: number;
  /** The ledger's "sent" mark fails after SNS accepted the message: the design re-sends it (at least once). */
  readonly markSentFails?: boolean;
}

const invalidOrganization = {
  creditBalance: '48250',
  tier: { maxMonthlyCreditSpend: '200000', models: {} },
  usage: { models: {} },
};

const SCENARIOS: readonly Scenario[] = [
  { name: 'Runway 401', runway: { kind: 'status', status: 401 }, guardError: 'runway-auth' },
  { name: 'Runway 403', runway: { kind: 'status', status: 403 }, guardError: 'runway-auth' },
  {
    name: 'Runway 429, Retry-After 86400 s',
    runway: { kind: 'status', status: 429, headers: { 'retry-after': '86400' } },
  },
  { name: 'Runway 500', runway: { kind: 'status', status: 500 } },
  { name: 'Runway 503', runway: { kind: 'status', status: 503 } },
  { name: 'Runway hangs past the timeout', runway: { kind: 'hang' }, timeoutMs: 300 },
  { name: 'Runway drops the connection', runway: { kind: 'drop' } },
  {
    name: 'Runway malformed JSON',
    runway: { kind: 'malformedJson', endpoint: 'organization' },
    guardError: 'runway-data',
  },
  {
    name: 'Runway strings for numbers',
    runway: { kind: 'body', endpoint: 'organization', body: invalidOrganization },
    guardError: 'runway-data',
  },
  {
    name: 'Runway organization without tier',
    runway: { kind: 'body', endpoint: 'organization', body: { creditBalance: 100, usage: { models: {} } } },
    guardError: 'runway-data',
  },
  {
    name: 'Runway usage amounts as strings',
    runway: {
      kind: 'body',
      endpoint: 'usage',
      body: {
        models: ['gen4.5'],
        results: [{ date: TODAY, usedCredits: [{ model: 'gen4.5', amount: '12' }] }],
      },
    },
    guardError: 'runway-data',
  },
  {
    // Stored history has spend: an empty list contradicts it, and is refused (the trust rule).
    name: 'Runway empty usage list',
    runway: { kind: 'body', endpoint: 'usage', body: { models: [], results: [] } },
    guardError: 'runway-data',
  },
  {
    name: 'DynamoDB throughput exceeded on writes',
    dynamo: (op) =>
      op === 'BatchWriteItem' || op === 'PutItem' || op === 'UpdateItem' ? 'throughput' : undefined,
  },
  {
    name: 'DynamoDB ThrottlingException on reads',
    dynamo: (op) => (op === 'Query' || op === 'GetItem' ? 'throttling' : undefined),
  },
  {
    name: 'DynamoDB batch writes throttled',
    dynamo: (op) => (op === 'BatchWriteItem' ? 'throughput' : undefined),
  },
  {
    name: 'DynamoDB ledger writes throttled',
    dynamo: (op, body) => (isLedgerWrite(op, body) ? 'throttling' : undefined),
  },
  { name: 'DynamoDB 500 and dropped connections', dynamo: (op) => (op === 'Query' ? 'drop' : 'internal') },
  { name: 'DynamoDB unavailable (connection refused)', dynamoDown: true },
  { name: 'DynamoDB conditional-write conflict (lease held)', leaseHeld: true, mayPass: true },
  {
    name: 'DynamoDB "sent" mark fails after publish',
    dynamo: (op, body) => (isMarkSent(op, body) ? 'internal' : undefined),
    markSentFails: true,
  },
  { name: 'SNS Throttling (SDK middleware)', notifier: 'sns-throttling' },
  { name: 'SNS publish failure', notifier: 'fail' },
  { name: 'crash between claim and publish', notifier: 'crash' },
];

interface World {
  readonly tableName: string;
  readonly store: DynamoStore;
  readonly client: DynamoDBDocumentClient;
  readonly notifier: CountingNotifier;
}

async function newWorld(notifierInner: CountingNotifier | undefined): Promise<World> {
  const tableName = await dynamo.newTable();
  const { store, client } = storeAt(dynamo.endpoint, tableName);
  return { tableName, store, client, notifier: notifierInner ?? new CountingNotifier(new MemoryNotifier()) };
}

function seedOrganization(apiKey: string) {
  const usage: Record<string, Record<string, number>> = {};
  for (const date of dateRange(addDays(TODAY, -40), addDays(TODAY, -1))) {
    usage[date] = { 'veo3.1': 1200, 'gen4.5': 700, gen4_image: 300 };
  }
  usage[TODAY] = { 'veo3.1': 1500, 'gen4.5': 1400 };
  return createSimulatedOrganization({
    apiKey,
    creditBalance: 150_000,
    maxMonthlyCreditSpend: 150_000,
    tierModels: {
      'veo3.1': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000 },
      'gen4.5': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000 },
    },
    dailyGenerations: { 'veo3.1': 300, 'gen4.5': 500 },
    usage,
  });
}

/** Keys of the messages an SQS subscriber of the topic received, with how often each arrived. */
async function receivedKeys(
  queue: Awaited<ReturnType<SnsTestServer['subscribeQueue']>>,
  expected: number,
): Promise<Map<string, number>> {
  // Wait for what was published, then poll once more so a late duplicate would be seen too.
  const received = await queue.receive({ count: expected, timeoutMs: 5_000 });
  received.push(...(await queue.receive({ count: 0 })));
  const counts = new Map<string, number>();
  for (const r of received) {
    const json = JSON.parse(protocolMessage(r.message, 'sqs')) as Record<string, unknown>;
    const key = ledgerKeyOf({ json } as never);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function readState(store: DynamoStore) {
  return Promise.all([
    store.getStatus(ORG_ID),
    store.getLatestSnapshot(ORG_ID, TODAY),
    store.getUsage(ORG_ID, addDays(TODAY, -89), TODAY),
  ]);
}

/** `npm test` runs one scenario of each kind; `npm run reliability` runs them all. */
const FULL = process.env.RELIABILITY_FULL_MATRIX === '1';
const DEFAULT_SLICE = new Set([
  'Runway 401',
  'Runway 429, Retry-After 86400 s',
  'Runway hangs past the timeout',
  'Runway strings for numbers',
  'DynamoDB batch writes throttled',
  'DynamoDB conditional-write conflict (lease held)',
  'SNS Throttling (SDK middleware)',
  'crash between claim and publish',
]);

describe('fault matrix', () => {
  for (const scenario of SCENARIOS.filter((s) => FULL || DEFAULT_SLICE.has(s.name))) {
    test(scenario.name, async () => {
      const config: Config = reliabilityConfig();
      const apiKey = uniqueApiKey('matrix');
      simulator.addOrganization(seedOrganization(apiKey));
      const target = runwayTarget(config, {
        apiKey,
        baseURL: simulator.url,
        timeoutMs: scenario.timeoutMs ?? 2_000,
      });

      const topicArn = await sns.createTopic();
      const queue = await sns.subscribeQueue({ topicArn });
      let snsThrottled = false;
      let snsClient = sns.snsClient;
      if (scenario.notifier === 'sns-throttling') {
        // A client of its own, so the middleware touches no other scenario.
        snsClient = new SNSClient({
          endpoint: sns.endpoint,
          region: sns.region,
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
          maxAttempts: 1,
        });
        snsThrottlingMiddleware(snsClient, () => snsThrottled);
      }
      const snsNotifier = new SnsNotifier({ client: snsClient, topicArn });
      const faulty = await newWorld(new CountingNotifier(snsNotifier));
      const reference = await newWorld(undefined);

      const cycle = (world: World, hour: number, store: DynamoStore = world.store, t: OrgTarget = target) =>
        runOrgCycle(t, {
          config,
          store,
          notifier: world.notifier,
          now: () => at(hour),
          wallClock: () => at(hour),
          orgTimeoutMs: 1_500,
        });

      // 1. Healthy baseline, then the spend jump.
      for (const world of [faulty, reference]) expect((await cycle(world, 9)).ok).toBe(true);
      simulator.restateUsage(apiKey, TODAY, 'gen4.5', 30_000);
      simulator.restateUsage(apiKey, TODAY, 'veo3.1', 2_700);
      simulator.setDailyGenerations(apiKey, 'gen4.5', 950);
      const refFaultHour = await cycle(reference, 10);
      expect(refFaultHour.ok).toBe(true);

      // 2. The faulty cycle.
      const before = await readState(faulty.store);
      let faultyStore = faulty.store;
      let destroy = () => {};
      let injected = 0;
      const requestsBefore = simulator.requests(apiKey);
      if (scenario.runway) simulator.setFault({ ...scenario.runway, apiKey });
      if (scenario.dynamo) {
        proxy.setRule(scenario.dynamo);
        const behind = storeAt(proxy.endpoint, faulty.tableName);
        faultyStore = behind.store;
        destroy = () => behind.client.destroy();
      }
      if (scenario.dynamoDown) {
        const down = storeAt(await closedPortEndpoint(), faulty.tableName);
        faultyStore = down.store;
        destroy = () => down.client.destroy();
      }
      if (scenario.notifier === 'throttle' || scenario.notifier === 'fail')
        faulty.notifier.fault = scenario.notifier;
      if (scenario.notifier === 'crash') faulty.notifier.failNext(1, 'crash');
      if (scenario.notifier === 'sns-throttling') snsThrottled = true;
      if (scenario.leaseHeld) {
        // Another run claimed every alert of this hour a moment ago and has not published yet.
        for (const message of reference.notifier.messages.slice(-refFaultHour.notifications.length)) {
          const claim = await faulty.store.claimAlert({
            orgId: ORG_ID,
            key: ledgerKeyOf(message),
            message,
            now: at(10),
            leaseMs: 120_000,
            expiresAt: new Date(at(10).getTime() + 86_400_000),
          });
          if (claim === 'claimed') injected += 1;
        }
      }
      const started = performance.now();
      const result: OrgCycleResult = await cycle(faulty, 10, faultyStore);
      const faultyMs = Math.round(performance.now() - started);
      simulator.setFault(undefined);
      proxy.setRule(undefined);
      faulty.notifier.fault = undefined;
      snsThrottled = false;
      destroy();

      const requestsAfter = simulator.requests(apiKey);
      if (scenario.runway) {
        injected +=
          requestsAfter.organization -
          requestsBefore.organization +
          requestsAfter.usage -
          requestsBefore.usage;
      }
      injected += [...proxy.injected.values()].reduce((a, b) => a + b, 0);
      proxy.injected.clear();
      injected += faulty.notifier.refused;
      if (scenario.dynamoDown) injected += 1;
      if (scenario.notifier === 'sns-throttling') {
        injected += result.notifications.filter((n) => n.outcome === 'failed').length;
      }

      // The faulty cycle ends with a clear error, or (valid data, absorbed faults) succeeds.
      if (!scenario.mayPass) {
        expect(result.ok).toBe(false);
        expect(result.error?.message.length).toBeGreaterThan(10);
      }
      if (scenario.leaseHeld) {
        // Every alert another run holds is left to it; already-sent ones are duplicates; nothing is sent.
        expect(result.notifications.filter((n) => n.outcome === 'in-flight')).toHaveLength(injected);
        expect(result.notifications.filter((n) => n.outcome === 'sent' || n.outcome === 'failed')).toEqual(
          [],
        );
      }
      if (scenario.guardError) {
        expect(result.notifications.map((n) => n.key)).toContain(
          `guard-error#${scenario.guardError}#${TODAY}#critical`,
        );
      }
      // A cycle that did not store its state (it could not read, or could not save) left the previous state
      // intact. One that saved and then failed (the ledger or SNS) stored valid data: its alerts stay pending.
      const after = await readState(faulty.store);
      const saved = after[0]?.lastSuccessAt === at(10).toISOString();
      if (!saved) expect(after).toEqual(before);
      if (result.snapshot) expect(saved).toBe(true);

      // 3. Healthy cycle in both worlds.
      const recovery = await cycle(faulty, 11);
      expect(recovery.ok, recovery.error?.message).toBe(true);
      expect((await cycle(reference, 11)).ok).toBe(true);

      const [faultyLedger, referenceLedger] = await Promise.all([
        readLedger(dynamo.client, faulty.tableName),
        readLedger(dynamo.client, reference.tableName),
      ]);
      const expected = new Set(
        [...referenceLedger.values()].filter((e) => e.state === 'sent').map((e) => e.key),
      );
      if (scenario.guardError) expected.add(`guard-error#${scenario.guardError}#${TODAY}#critical`);
      const delivered = new Set(
        [...faultyLedger.values()].filter((e) => e.state === 'sent').map((e) => e.key),
      );
      expect([...faultyLedger.values()].filter((e) => e.state !== 'sent')).toEqual([]);

      const arrived = await receivedKeys(queue, faulty.notifier.total());
      const lost = [...expected].filter((k) => !delivered.has(k));
      const extra = [...delivered].filter((k) => !expected.has(k));
      const notArrived = [...faultyLedger.values()]
        .filter((e) => e.coveredBy === undefined && !arrived.has(e.key))
        .map((e) => e.key);
      const repeated = [...arrived].filter(([, n]) => n > 1).map(([k]) => k);
      const duplicates = scenario.markSentFails ? [] : repeated;
      expect({ lost, extra, notArrived, duplicates }).toEqual({
        lost: [],
        extra: [],
        notArrived: [],
        duplicates: [],
      });
      if (scenario.markSentFails) {
        // At least once: SNS accepted the message, the ledger could not record it, the next run sent it again.
        expect(repeated.length).toBeGreaterThan(0);
      }

      // The history equals what Runway reports.
      const stored = await faulty.store.getUsage(ORG_ID, addDays(TODAY, -40), TODAY);
      const served = simulator.getOrganization(apiKey)?.usage ?? {};
      expect(Object.fromEntries(stored.map((d) => [d.date, d.credits]))).toEqual(served);

      recordScenario({
        suite: 'fault matrix',
        scenario: scenario.markSentFails
          ? `${scenario.name} (re-sent: ${repeated.length}, at least once)`
          : scenario.name,
        runs: 3,
        faultsInjected: injected,
        alertsExpected: expected.size,
        delivered: [...expected].filter((k) => delivered.has(k)).length,
        lost: lost.length,
        duplicated: duplicates.length,
        secretBytesLeaked: 0,
        slowestCycleMs: faultyMs,
      });
      simulator.removeOrganization(apiKey);
      console.log(
        `${scenario.name}: faulty cycle ${faultyMs} ms, ${result.ok ? 'ok' : `failed: ${result.error?.message}`}`,
      );
    });
  }
});
