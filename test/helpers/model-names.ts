/**
 * The set-up of the tests that feed the cycle unusual model names: an organization on the Runway simulator whose
 * tier lists the names, and a cycle of the config's first organization against it, storing to a new dynalite table.
 */
import { expect } from 'vitest';
import type { DynamoStore } from '../../functions/adapters/dynamo-store.ts';
import type { Config } from '../../functions/config.ts';
import { addDays, utcDate } from '../../functions/domain/dates.ts';
import type { NotifierPort } from '../../functions/domain/types.ts';
import { type OrgCycleResult, runOrgCycle } from '../../functions/guard/cycle.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import type { RunwaySimulator } from '../../functions/simulator/server.ts';
import type { TestDynamo } from './dynamo.ts';
import { simulatorTarget, uniqueApiKey } from './runway.ts';

/** The clock of the model-name tests: the simulator's, and a cycle's unless the run is given another. */
export const NAMES_NOW = new Date('2026-11-20T10:00:00Z');
/** The UTC day of {@link NAMES_NOW}. */
export const NAMES_TODAY = utcDate(NAMES_NOW);

/** Credits each name spends a day. */
const CREDITS_PER_DAY = 10;

export interface ModelNamesOptions {
  readonly simulator: RunwaySimulator;
  readonly dynamo: TestDynamo;
  /** The model names of the tier, each allowed 2 concurrent and 100 daily generations. */
  readonly names: readonly string[];
  /** The organization checked is the config's first. */
  readonly config: Config;
  /** Generations of each name used today. Default 95. */
  readonly generations?: number;
  /** Label of the API key (see `uniqueApiKey`). */
  readonly keyLabel?: string;
}

export interface ModelNamesCycle {
  readonly apiKey: string;
  readonly orgId: string;
  /** {@link NAMES_TODAY}. */
  readonly today: string;
  /** Generations of each name used today. */
  readonly generations: number;
  readonly store: DynamoStore;
  /** One cycle of the organization, publishing through `notifier`. */
  run(notifier: NotifierPort, now?: Date): Promise<OrgCycleResult>;
  /** Every item the cycles stored for the organization. */
  items(): Promise<Record<string, unknown>[]>;
}

/**
 * Adds an organization using every one of `names`: the tier lists them, `generations` of each are used today,
 * and each spent 10 credits a day for the 40 days up to {@link NAMES_TODAY}. Runs the config's first organization
 * against it.
 */
export async function setUpModelNames(options: ModelNamesOptions): Promise<ModelNamesCycle> {
  const { simulator, dynamo, names, config } = options;
  const apiKey = uniqueApiKey(options.keyLabel);
  const generations = options.generations ?? 95;
  const usage: Record<string, Record<string, number>> = Object.create(null);
  for (let back = 39; back >= 0; back--) {
    usage[addDays(NAMES_TODAY, -back)] = Object.fromEntries(names.map((n) => [n, CREDITS_PER_DAY]));
  }
  simulator.addOrganization(
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
  const { tableName, store } = await dynamo.newStore();
  const org = config.organizations[0];
  if (!org) throw new Error('no organization');
  const target = simulatorTarget(org, apiKey, simulator.url);
  return {
    apiKey,
    orgId: org.id,
    today: NAMES_TODAY,
    generations,
    store,
    run: (notifier, now = NAMES_NOW) => runOrgCycle(target, { config, store, notifier, now: () => now }),
    items: () => dynamo.orgItems(tableName, org.id),
  };
}

/**
 * Asserts that the first run of `cycle` (`first`) took every one of `names` as data: it ran cleanly, sent each
 * name its own daily-quota alert, and stored each in today's snapshot and today's usage, under its own key.
 */
export async function expectEveryNameKept(
  cycle: Pick<ModelNamesCycle, 'orgId' | 'today' | 'generations' | 'store'>,
  first: OrgCycleResult,
  names: readonly string[],
): Promise<void> {
  expect(first.error).toBeUndefined();
  expect(first.ok).toBe(true);

  const quota = first.notifications.filter((n) => n.kind === 'daily-quota' && n.outcome === 'sent');
  expect(quota.map((n) => n.message.json.model).sort()).toEqual([...names].sort());
  expect(new Set(quota.map((n) => n.key)).size).toBe(names.length);

  const snapshot = await cycle.store.getLatestSnapshot(cycle.orgId, cycle.today);
  const [usage] = await cycle.store.getUsage(cycle.orgId, cycle.today, cycle.today);
  for (const name of names) {
    expect(Object.hasOwn(snapshot?.models ?? {}, name), name).toBe(true);
    expect(snapshot?.models[name]?.dailyGenerations, name).toBe(cycle.generations);
    expect(Object.hasOwn(usage?.credits ?? {}, name), name).toBe(true);
    expect(usage?.credits[name], name).toBe(CREDITS_PER_DAY);
  }
  expect(usage?.totalCredits).toBe(CREDITS_PER_DAY * names.length);
}
