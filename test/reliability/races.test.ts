/**
 * Races: the schedule delivers at least once, so two (or five) cycles for one organization can run at the same
 * moment. Each cycle has its own DynamoStore and client on one dynalite table (as two Lambda containers would)
 * and reads Runway through the real SDK from the simulator. Whatever the interleaving, each alert is published
 * exactly once, and the ledger ends with every key `sent`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addDays, dateRange } from '../../functions/domain/dates.ts';
import { runOrgCycle } from '../../functions/guard/cycle.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import { type RunwaySimulator, startRunwaySimulator } from '../../functions/simulator/server.ts';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo.ts';
import { CountingNotifier, MemoryNotifier } from '../helpers/faults.ts';
import { uniqueApiKey } from '../helpers/runway.ts';
import { countFromEnv, deliveryFigures, recordScenario } from './report.ts';
import { readLedger, reliabilityConfig, runwayTarget, storeAt } from './world.ts';

const ROUNDS = countFromEnv('RELIABILITY_RACE_ROUNDS', 2);
const TODAY = '2026-05-28';

let dynamo: TestDynamo;
let simulator: RunwaySimulator;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startTestDynamo(), startRunwaySimulator()]);
});

afterAll(async () => {
  await simulator?.close();
  await dynamo?.close();
});

async function raceRound(concurrency: number, round: number) {
  const config = reliabilityConfig();
  const apiKey = uniqueApiKey(`race${concurrency}`);
  const usage: Record<string, Record<string, number>> = {};
  for (const date of dateRange(addDays(TODAY, -35), TODAY)) usage[date] = { 'veo3.1': 1500, 'gen4.5': 900 };
  simulator.addOrganization(
    createSimulatedOrganization({
      apiKey,
      creditBalance: 30_000 + round * 7,
      maxMonthlyCreditSpend: 80_000,
      tierModels: { 'gen4.5': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000 } },
      dailyGenerations: { 'gen4.5': 850 },
      usage,
    }),
  );
  const target = runwayTarget(config, { apiKey, baseURL: simulator.url });
  const tableName = await dynamo.newTable();
  const notifiers = Array.from({ length: concurrency }, () => new CountingNotifier(new MemoryNotifier()));
  const stores = notifiers.map(() => storeAt(dynamo.endpoint, tableName));
  let cycles = 0;
  let slowest = 0;

  const raceAt = async (hour: number) => {
    const now = new Date(`${TODAY}T${String(hour).padStart(2, '0')}:05:00.000Z`);
    const results = await Promise.all(
      stores.map(async ({ store }, i) => {
        const started = performance.now();
        const result = await runOrgCycle(target, {
          config,
          store,
          notifier: notifiers[i] as CountingNotifier,
          now: () => now,
          wallClock: () => now,
        });
        slowest = Math.max(slowest, Math.round(performance.now() - started));
        return result;
      }),
    );
    cycles += results.length;
    for (const r of results) expect(r.ok, r.error?.message).toBe(true);
  };

  // Two hours: the second crosses new thresholds (a spend jump) while the first hour's alerts are already sent.
  await raceAt(9);
  simulator.restateUsage(apiKey, TODAY, 'veo3.1', 9_000);
  simulator.setDailyGenerations(apiKey, 'gen4.5', 1000);
  await raceAt(10);

  const published = new Map<string, number>();
  for (const n of notifiers) for (const [k, c] of n.published) published.set(k, (published.get(k) ?? 0) + c);
  const ledger = await readLedger(dynamo.client, tableName);
  const sentKeys = [...ledger.values()]
    .filter((e) => e.state === 'sent' && e.coveredBy === undefined)
    .map((e) => e.key);
  const duplicated = [...published].filter(([, c]) => c > 1).map(([k]) => k);
  const lost = sentKeys.filter((k) => !published.has(k));
  expect([...ledger.values()].filter((e) => e.state !== 'sent')).toEqual([]);
  expect(sentKeys.length).toBeGreaterThan(3);
  expect({ duplicated, lost }).toEqual({ duplicated: [], lost: [] });
  for (const s of stores) s.client.destroy();
  simulator.removeOrganization(apiKey);
  return { cycles, expected: sentKeys.length, delivered: published.size, duplicated, lost, slowest };
}

describe('races', () => {
  for (const concurrency of [2, 5]) {
    test(`${concurrency} cycles at once for one organization send each alert exactly once (${ROUNDS} rounds)`, async () => {
      const totals = { runs: 0, expected: 0, delivered: 0, lost: 0, duplicated: 0, slowest: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        const r = await raceRound(concurrency, round);
        totals.runs += r.cycles;
        totals.expected += r.expected;
        totals.delivered += r.delivered;
        totals.lost += r.lost.length;
        totals.duplicated += r.duplicated.length;
        totals.slowest = Math.max(totals.slowest, r.slowest);
      }
      recordScenario({
        suite: 'races',
        scenario: `${concurrency} concurrent cycles × ${ROUNDS} rounds × 2 hours`,
        runs: totals.runs,
        // The fault is the schedule's duplicate delivery: every cycle beyond the first in each batch.
        faultsInjected: ROUNDS * 2 * (concurrency - 1),
        ...deliveryFigures(totals),
      });
    });
  }
});
