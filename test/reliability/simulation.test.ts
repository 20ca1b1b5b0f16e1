/**
 * Randomized simulation: 60 simulated days of random usage (per model, refunds included), restatements of past
 * days, tier changes, top-ups and several guard cycles a day at random hours, each cycle with a random fault
 * (Runway 500/429/dropped connection, DynamoDB reads or writes failing, the ledger's "sent" write failing, SNS
 * throttling, a crash after the ledger claim), a suspicious Runway answer (an empty usage list, a partial one
 * that leaves out a stored day with spend, a date listed twice) or a clock that jumped backwards (a run dated
 * before the last stored one). Everything is real over HTTP: the Runway SDK against the
 * simulator, DynamoStore against dynalite (through a fault proxy).
 *
 * Next to the faulty world runs a fault-free reference guard on its own table, in lockstep over the same Runway
 * data. It runs exactly the cycles that got far enough in the faulty world to evaluate (a cycle that could not
 * read Runway or the table never saw the data, so no guard could have alerted then). Invariants:
 * 1. Nothing lost: after a final healthy cycle, the faulty world's ledger holds, as delivered (published or
 *    covered by a higher level), exactly the keys the reference delivered; nothing stays pending.
 * 2. Nothing doubled: every key was published at most once, except a key whose "sent" mark failed after SNS
 *    accepted it, which the design re-sends (at least once) and which is counted apart.
 * 3. A failed cycle leaves the status, the latest snapshot and the stored usage as they were; a cycle that
 *    saved sets `lastSuccessAt` to its time. A suspicious answer fails the cycle and raises one `guard-error`
 *    (reason `runway-data`, once a day), the only alert that differs from the reference. A cycle whose clock is
 *    earlier than the stored state is read-only: it succeeds, and writes and publishes nothing.
 * 4. The stored usage equals what the simulator serves (what Runway last said credibly) for every day of the
 *    last cycle's window.
 *
 * Counts: `RELIABILITY_SIM_RUNS` property runs (default 1 under `npm test`, more under `npm run reliability`).
 * The seed is logged, and fast-check prints seed and path on failure: replay with `RELIABILITY_SIM_SEED`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { DynamoStore } from '../../functions/adapters/dynamo-store.ts';
import type { Config } from '../../functions/config.ts';
import { addDays, dateRange } from '../../functions/domain/dates.ts';
import { alertKey, type UsageDay } from '../../functions/domain/types.ts';
import { cycleWindow, runOrgCycle } from '../../functions/guard/cycle.ts';
import { MAX_REJECTIONS } from '../../functions/guard/delivery.ts';
import { type Logger, silentLogger } from '../../functions/observability.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import { type RunwaySimulator, startRunwaySimulator } from '../../functions/simulator/server.ts';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo.ts';
import {
  CountingNotifier,
  type DynamoFaultProxy,
  isMarkSent,
  MemoryNotifier,
  startDynamoFaultProxy,
} from '../helpers/faults.ts';
import { uniqueApiKey } from '../helpers/runway.ts';
import { countFromEnv, deliveryFigures, recordScenario } from './report.ts';
import { ORG_ID, readLedger, reliabilityConfig, runwayTarget, storeAt } from './world.ts';

const PROPERTY_RUNS = countFromEnv('RELIABILITY_SIM_RUNS', 1);
const SEED = process.env.RELIABILITY_SIM_SEED
  ? Number(process.env.RELIABILITY_SIM_SEED)
  : Date.now() % 2 ** 31;
const DAYS = 60;
/**
 * The third model's name is drawn per plan: an ordinary one, or a hostile one (members of `Object.prototype`,
 * the ledger key's separator and escape, a model named like the organization-wide anomaly rule, long names,
 * unicode and control characters), so every name Runway may send goes through every path.
 */
const HOSTILE_NAMES = [
  'gen4_image',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'a#b',
  'total',
  '%23',
  `long-${'n'.repeat(295)}`,
  'gen 🎬 👩‍👩‍👧 café',
  'bidi\u202Eevil\u0007',
] as const;
const nameArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom<string>(...HOSTILE_NAMES), weight: 4 },
  { arbitrary: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), weight: 1 },
);

const FAULTS = [
  'runway-500',
  'runway-429',
  'runway-drop',
  'dynamo-read',
  'dynamo-write',
  'dynamo-save',
  'mark-sent',
  'sns-throttle',
  'crash-after-claim',
  'runway-empty',
  'runway-partial',
  'runway-duplicate',
  'clock-back',
  'sns-reject',
] as const;
type Fault = (typeof FAULTS)[number] | 'none';

/** Answers the trust rule or the validation must refuse. */
const SUSPICIOUS: ReadonlySet<Fault> = new Set(['runway-empty', 'runway-partial', 'runway-duplicate']);

interface DayPlan {
  /** Net credits of the full day per model (gen4.5 may be negative: refunds larger than charges). */
  readonly usage: readonly [number, number, number];
  /** Multiplies one model's spend on this day (an anomaly), when `spike` is 0. */
  readonly spike: number;
  readonly generations: readonly [number, number];
  /** Hours (UTC) of the day's cycles, with the fault of each (and how far back a `clock-back` run is dated). */
  readonly runs: readonly { hour: number; fault: Fault; backHours: number }[];
  readonly restatements: readonly { daysAgo: number; model: number; amount: number }[];
  readonly topUp: boolean;
  readonly tierCap: number | undefined;
}

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { arbitrary: fc.constant<Fault>('none'), weight: 12 },
  { arbitrary: fc.constantFrom<Fault>(...FAULTS), weight: 5 },
);

const dayArb: fc.Arbitrary<DayPlan> = fc.record({
  usage: fc.tuple(
    fc.integer({ min: 0, max: 2600 }),
    fc.integer({ min: -300, max: 1500 }),
    fc.integer({ min: 0, max: 700 }),
  ),
  spike: fc.integer({ min: 0, max: 14 }),
  generations: fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 })),
  runs: fc
    .uniqueArray(
      fc.record({
        hour: fc.integer({ min: 0, max: 23 }),
        fault: faultArb,
        backHours: fc.integer({ min: 1, max: 50 }),
      }),
      {
        minLength: 1,
        maxLength: 4,
        selector: (r) => r.hour,
      },
    )
    .map((runs) => [...runs].sort((a, b) => a.hour - b.hour)),
  restatements: fc.array(
    fc.record({
      daysAgo: fc.integer({ min: 1, max: 10 }),
      model: fc.integer({ min: 0, max: 2 }),
      amount: fc.integer({ min: -300, max: 3000 }),
    }),
    { maxLength: 2 },
  ),
  topUp: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  tierCap: fc.option(fc.constantFrom(80_000, 100_000, 150_000), { freq: 25, nil: undefined }),
});

const planArb = fc.record({
  thirdModel: nameArb.filter((n) => n !== 'veo3.1' && n !== 'gen4.5'),
  startOffset: fc.integer({ min: 0, max: 364 }),
  days: fc.array(dayArb, { minLength: DAYS, maxLength: DAYS }),
});

let dynamo: TestDynamo;
let proxy: DynamoFaultProxy;
let simulator: RunwaySimulator;
const totals = {
  runs: 0,
  faults: 0,
  expected: 0,
  delivered: 0,
  lost: 0,
  duplicated: 0,
  resent: 0,
  undeliverable: 0,
  slowest: 0,
  /** Cycles that got a suspicious answer, and the guard-error alerts they were expected to raise (one a day). */
  suspicious: 0,
  refusedAlertsExpected: 0,
  refusedAlertsDelivered: 0,
  /** Cycles dated before the stored state, and what they wrote or published (must be nothing). */
  clockBack: 0,
  clockBackWrites: 0,
  clockBackPublished: 0,
};

beforeAll(async () => {
  dynamo = await startTestDynamo();
  proxy = await startDynamoFaultProxy(dynamo.endpoint);
  simulator = await startRunwaySimulator();
});

afterAll(async () => {
  await simulator?.close();
  await proxy?.close();
  await dynamo?.close();
});

interface World {
  readonly tableName: string;
  readonly store: DynamoStore;
  readonly notifier: CountingNotifier;
}

async function newWorld(endpoint: string): Promise<World & { destroy(): void }> {
  const tableName = await dynamo.newTable();
  const { store, client } = storeAt(endpoint, tableName);
  return {
    tableName,
    store,
    notifier: new CountingNotifier(new MemoryNotifier()),
    destroy: () => client.destroy(),
  };
}

function stamp(date: string, hour: number, minute = 17): Date {
  return new Date(`${date}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00.000Z`);
}

/** Usage of the plan's day `i` as the simulator serves it at `hour` (today is partial). */
function served(day: DayPlan, fraction: number): number[] {
  return day.usage.map((amount, m) => {
    const spiked = day.spike === 0 && m === 0 ? amount * 6 + 2000 : amount;
    return Math.round(spiked * fraction);
  });
}

async function runPlan(plan: {
  thirdModel: string;
  startOffset: number;
  days: readonly DayPlan[];
}): Promise<void> {
  const MODELS = ['veo3.1', 'gen4.5', plan.thirdModel] as const;
  const config: Config = reliabilityConfig();
  const apiKey = uniqueApiKey('simulation');
  const start = addDays('2026-01-01', plan.startOffset);
  simulator.addOrganization(
    createSimulatedOrganization({
      apiKey,
      creditBalance: 100_000,
      maxMonthlyCreditSpend: 100_000,
      // Built from entries: a name such as `__proto__` stays an entry.
      tierModels: Object.fromEntries([
        ['veo3.1', { maxConcurrentGenerations: 5, maxDailyGenerations: 1000 }],
        ['gen4.5', { maxConcurrentGenerations: 5, maxDailyGenerations: 1000 }],
        [plan.thirdModel, { maxConcurrentGenerations: 5, maxDailyGenerations: null }],
      ]),
    }),
  );
  const target = runwayTarget(config, { apiKey, baseURL: simulator.url, timeoutMs: 1_000 });
  const faulty = await newWorld(proxy.endpoint);
  const reference = await newWorld(dynamo.endpoint);
  const markFailedKeys = new Set<string>();
  let balanceBase = 100_000;
  let cycles = 0;
  let faults = 0;
  let lastWindow = cycleWindow(start);

  const cycle = async (world: World, now: Date, log: Logger) =>
    runOrgCycle(target, {
      config,
      store: world.store,
      notifier: world.notifier,
      now: () => now,
      wallClock: () => now,
      log,
      orgTimeoutMs: 3_000,
    });

  const refusedKeys = new Set<string>();
  const runBoth = async (date: string, hour: number, planned: Fault, minute?: number, backHours = 1) => {
    lastWindow = cycleWindow(date);
    const state = () =>
      Promise.all([
        faulty.store.getStatus(ORG_ID),
        faulty.store.getLatestSnapshot(ORG_ID, date),
        faulty.store.getUsage(ORG_ID, lastWindow.startDate, date),
      ]);
    const before = planned === 'none' ? undefined : await state();
    const fault = applicable(planned, before);
    const now =
      fault === 'clock-back' && before?.[0]
        ? new Date(Date.parse(before[0].lastSuccessAt) - backHours * 3_600_000)
        : stamp(date, hour, minute);
    const publishedBefore = faulty.notifier.messages.length;
    if (fault === 'runway-empty' || fault === 'runway-partial' || fault === 'runway-duplicate') {
      simulator.setFault({
        kind: 'body',
        apiKey,
        endpoint: 'usage',
        body: { results: suspiciousResults(fault, apiKey, lastWindow.startDate, date, before?.[2] ?? []) },
      });
    } else injectFault(fault, apiKey, faulty, markFailedKeys);
    const startedAt = performance.now();
    const result = await cycle(faulty, now, silentLogger);
    totals.slowest = Math.max(totals.slowest, Math.round(performance.now() - startedAt));
    clearFaults(faulty);
    cycles += 1;
    if (fault !== 'none') faults += 1;

    // Invariant 3: a cycle that saved sets lastSuccessAt to its time (and its snapshot); any other cycle leaves
    // the status, the latest snapshot and the usage as they were. A cycle may save and still fail (a publish or
    // the ledger failed): its data was valid, and the alerts stay pending.
    const after = await state();
    const saved = after[0]?.lastSuccessAt === now.toISOString() && after[1]?.fetchedAt === now.toISOString();
    if (result.status) expect(saved, `cycle at ${now.toISOString()} reported its status saved`).toBe(true);
    if (fault === 'clock-back') {
      // A clock earlier than the stored state: read-only, ok, nothing written, nothing published.
      totals.clockBack += 1;
      const wrote = JSON.stringify(after) !== JSON.stringify(before);
      const published = faulty.notifier.messages.length - publishedBefore;
      if (wrote) totals.clockBackWrites += 1;
      totals.clockBackPublished += published;
      expect(result.ok, `back-dated cycle at ${now.toISOString()}: ${result.error?.message}`).toBe(true);
      expect(
        result.readOnly?.reason,
        `back-dated cycle at ${now.toISOString()} said it was read-only`,
      ).toMatch(/earlier than/);
      expect({ wrote, published }, `back-dated cycle at ${now.toISOString()}`).toEqual({
        wrote: false,
        published: 0,
      });
      return;
    }
    if (SUSPICIOUS.has(fault)) {
      // Refused: the run fails, nothing is stored, and one guard-error (runway-data) a day says why.
      totals.suspicious += 1;
      expect(result.ok, `suspicious answer (${fault}) at ${now.toISOString()} was refused`).toBe(false);
      expect(result.error?.name).toMatch(/^Runway(UntrustedAnswer|InvalidResponse)Error$/);
      const key = `guard-error#runway-data#${date}#critical`;
      const raised = result.notifications.find((n) => n.key === key);
      expect(raised?.outcome, `${fault} at ${now.toISOString()} raised ${key}`).toMatch(/^(sent|duplicate)$/);
      if (!refusedKeys.has(key)) {
        refusedKeys.add(key);
        totals.refusedAlertsExpected += 1;
        if (raised?.outcome === 'sent') totals.refusedAlertsDelivered += 1;
      }
    }
    if (!saved) {
      expect(
        result.ok,
        `cycle at ${now.toISOString()} (${fault}) stored nothing: ${result.error?.message}`,
      ).toBe(false);
      expect(
        fault,
        `healthy cycle at ${now.toISOString()} stored nothing: ${result.error?.message}`,
      ).not.toBe('none');
      expect(after, `cycle at ${now.toISOString()} failed with ${fault}: stored state unchanged`).toEqual(
        before,
      );
    }
    // A healthy cycle succeeds, except for a poison message SNS keeps rejecting until the ledger gives up.
    const unpoisonedFailures = result.notifications.filter(
      (n) => n.outcome === 'failed' && !faulty.notifier.poisoned.has(n.key),
    );
    if (fault === 'none' && (saved || unpoisonedFailures.length > 0))
      expect(
        result.ok || unpoisonedFailures.length === 0,
        `healthy cycle at ${now.toISOString()}: ${result.error?.message}`,
      ).toBe(true);
    else if (fault === 'none')
      expect(result.ok, `healthy cycle at ${now.toISOString()}: ${result.error?.message}`).toBe(true);

    // The reference guard runs the cycles whose state the faulty world stored: a cycle that could not read
    // Runway or the table, or could not save, ends before any claim and is as if it had not happened.
    if (saved) {
      const ref = await cycle(reference, now, silentLogger);
      expect(ref.ok, `reference cycle at ${now.toISOString()}: ${ref.error?.message}`).toBe(true);
    }
  };

  const daysPlan = plan.days;
  let cumulative = 0;
  for (let i = 0; i < daysPlan.length; i++) {
    const day = daysPlan[i] as DayPlan;
    const date = addDays(start, i);
    if (i > 0) {
      // Yesterday is complete now.
      const prev = daysPlan[i - 1] as DayPlan;
      const full = served(prev, 1);
      full.forEach((amount, m) => {
        simulator.restateUsage(apiKey, addDays(date, -1), MODELS[m] as string, amount);
      });
      cumulative += full.reduce((a, b) => a + b, 0);
    }
    for (const r of day.restatements) {
      if (r.daysAgo > i) continue;
      const past = addDays(date, -r.daysAgo);
      const servedDay = simulator.getOrganization(apiKey)?.usage[past] ?? {};
      const name = MODELS[r.model] as string;
      const old = Object.hasOwn(servedDay, name) ? (servedDay[name] ?? 0) : 0;
      // Runway restates a day it still lists; a whole day with spend vanishing is what the trust rule refuses
      // (an empty or partial answer), so the world's restatements never erase a day.
      const othersSpent = Object.entries(servedDay).some(([m, v]) => m !== name && v !== 0);
      if (r.amount === 0 && !othersSpent) continue;
      simulator.restateUsage(apiKey, past, MODELS[r.model] as string, r.amount);
      cumulative += r.amount - old;
    }
    if (day.topUp) balanceBase += 40_000;
    if (day.tierCap !== undefined) simulator.setTierCap(apiKey, day.tierCap);
    for (const { hour, fault, backHours } of day.runs) {
      const fraction = (hour + 1) / 24;
      const today = served(day, fraction);
      today.forEach((amount, m) => {
        simulator.restateUsage(apiKey, date, MODELS[m] as string, amount);
      });
      simulator.setDailyGenerations(apiKey, 'veo3.1', Math.round(day.generations[0] * fraction));
      simulator.setDailyGenerations(apiKey, 'gen4.5', Math.round(day.generations[1] * fraction));
      const spentToday = today.reduce((a, b) => a + b, 0);
      simulator.setCreditBalance(apiKey, Math.max(0, balanceBase - cumulative - spentToday));
      await runBoth(date, hour, fault, undefined, backHours);
    }
  }
  // A final healthy cycle well after the last one, on the same day, so the leases of failed cycles
  // (2 minutes) have expired: an hour later, or at 23:59 when the last run was at 23:17.
  const lastDay = addDays(start, daysPlan.length - 1);
  const lastHour = daysPlan.at(-1)?.runs.at(-1)?.hour ?? 0;
  await runBoth(lastDay, Math.min(23, lastHour + 1), 'none', lastHour === 23 ? 59 : 17);
  // A poison message is retried for MAX_REJECTIONS runs before the ledger gives up on it: healthy cycles
  // until no rejected alert is left pending (each an hour later on the next day).
  for (let extra = 0; extra < MAX_REJECTIONS && faulty.notifier.poisoned.size > 0; extra++) {
    const ledger = await readLedger(dynamo.client, faulty.tableName);
    if (![...faulty.notifier.poisoned].some((k) => ledger.get(k)?.state === 'pending')) break;
    await runBoth(addDays(lastDay, 1), extra, 'none');
  }

  // Invariants 1 and 2.
  const [faultyLedger, referenceLedger] = await Promise.all([
    readLedger(dynamo.client, faulty.tableName),
    readLedger(dynamo.client, reference.tableName),
  ]);
  const pending = [...faultyLedger.values()]
    .filter((e) => e.state !== 'sent' && e.state !== 'undeliverable')
    .map((e) => e.key);
  expect(pending, 'nothing stays pending after a healthy cycle').toEqual([]);
  const expected = new Set([...referenceLedger.values()].filter((e) => e.state === 'sent').map((e) => e.key));
  // guard-error alerts for refused answers are counted apart below.
  // An undeliverable alert (a poison message) counts as delivered when its guard-error report went out; the
  // reports themselves are not expected (the reference world has no poison). No other fault raises guard-error.
  const reportOf = (key: string) =>
    alertKey({ kind: 'guard-error', rule: 'undeliverable', period: key, level: 'critical' });
  const reports = new Set<string>();
  const delivered = new Set<string>();
  for (const e of faultyLedger.values()) {
    if (e.state === 'sent' && e.key.startsWith('guard-error#undeliverable#')) reports.add(e.key);
    else if (e.state === 'sent') delivered.add(e.key);
  }
  for (const e of faultyLedger.values()) {
    if (e.state !== 'undeliverable') continue;
    expect(faulty.notifier.poisoned.has(e.key), `${e.key} is undeliverable only if SNS rejected it`).toBe(
      true,
    );
    if (faultyLedger.get(reportOf(e.key))?.state === 'sent') delivered.add(e.key);
    totals.undeliverable += 1;
  }
  const lost = [...expected].filter((k) => !delivered.has(k));
  // A refused answer's guard-error is the one alert the reference (which never saw the answer) cannot have.
  const extra = [...delivered].filter((k) => !expected.has(k) && !refusedKeys.has(k));
  const duplicates = faulty.notifier.duplicates().filter((k) => !markFailedKeys.has(k));
  const resent = faulty.notifier.duplicates().filter((k) => markFailedKeys.has(k));
  for (const [key, entry] of faultyLedger) {
    if (entry.coveredBy === undefined && entry.state === 'sent') {
      expect(faulty.notifier.published.get(key) ?? 0, `${key} was published`).toBeGreaterThanOrEqual(1);
    }
  }
  totals.runs += cycles;
  totals.faults += faults;
  totals.expected += expected.size;
  totals.delivered += [...expected].filter((k) => delivered.has(k)).length;
  totals.lost += lost.length;
  totals.duplicated += duplicates.length;
  totals.resent += resent.length;
  expect(
    { lost, extra, duplicates },
    `lost, extra or doubled alerts: ${JSON.stringify({ lost, extra, duplicates, states: lost.map((k) => faultyLedger.get(k)?.state ?? 'absent'), poisoned: [...faulty.notifier.poisoned] }).slice(0, 2_000)}`,
  ).toEqual({ lost: [], extra: [], duplicates: [] });

  // Invariant 4: history equals what Runway last reported over the last window.
  const org = simulator.getOrganization(apiKey);
  const storedUsage = await faulty.store.getUsage(ORG_ID, lastWindow.startDate, lastDay);
  const storedByDate = new Map(storedUsage.map((d: UsageDay) => [d.date, d]));
  for (const date of dateRange(lastWindow.startDate, lastDay)) {
    const servedDay = Object.fromEntries(Object.entries(org?.usage[date] ?? {}).filter(([, v]) => v !== 0));
    const stored = storedByDate.get(date);
    const storedDay = Object.fromEntries(Object.entries(stored?.credits ?? {}).filter(([, v]) => v !== 0));
    expect(storedDay, `stored usage of ${date}`).toEqual(servedDay);
  }
  faulty.destroy();
  reference.destroy();
  simulator.removeOrganization(apiKey);
}

/**
 * The fault a run can really get. A suspicious answer contradicts history only when stored days have spend (for a
 * new organization an empty list is the truth), and a clock can only be earlier than a stored run once one is
 * stored: otherwise the run is a healthy one.
 */
function applicable(
  fault: Fault,
  before: readonly [unknown, unknown, readonly UsageDay[]] | undefined,
): Fault {
  if (!before?.[0]) return SUSPICIOUS.has(fault) || fault === 'clock-back' ? 'none' : fault;
  if (SUSPICIOUS.has(fault) && !before[2].some((d) => Object.values(d.credits).some((c) => c !== 0)))
    return 'none';
  return fault;
}

/**
 * Runway's usage list for `[from, to]` as the simulator holds it, made suspicious: empty; partial (the newest
 * stored day with spend left out); or with its newest day listed twice.
 */
function suspiciousResults(
  fault: Fault,
  apiKey: string,
  from: string,
  to: string,
  stored: readonly UsageDay[],
): { date: string; usedCredits: { model: string; amount: number }[] }[] {
  if (fault === 'runway-empty') return [];
  const usage = simulator.getOrganization(apiKey)?.usage ?? {};
  const results = dateRange(from, to)
    .map((date) => ({
      date,
      usedCredits: Object.entries(usage[date] ?? {})
        .filter(([, amount]) => amount !== 0)
        .map(([model, amount]) => ({ model, amount })),
    }))
    .filter((r) => r.usedCredits.length > 0);
  if (fault === 'runway-partial') {
    const dropped = stored.filter((d) => Object.values(d.credits).some((c) => c !== 0)).at(-1)?.date;
    return results.filter((r) => r.date !== dropped);
  }
  const last = results.at(-1);
  return last
    ? [...results, last]
    : [
        { date: to, usedCredits: [] },
        { date: to, usedCredits: [] },
      ];
}

function injectFault(fault: Fault, apiKey: string, world: World, markFailed: Set<string>): void {
  switch (fault) {
    case 'runway-500':
      simulator.setFault({ kind: 'status', status: 500, apiKey });
      return;
    case 'runway-429':
      simulator.setFault({ kind: 'status', status: 429, apiKey, headers: { 'retry-after': '3600' } });
      return;
    case 'runway-drop':
      simulator.setFault({ kind: 'drop', apiKey, endpoint: 'usage' });
      return;
    case 'dynamo-read':
      proxy.setRule((op) => (op === 'Query' || op === 'GetItem' ? 'internal' : undefined));
      return;
    case 'dynamo-write':
      proxy.setRule((op) =>
        op === 'BatchWriteItem' || op === 'PutItem' || op === 'UpdateItem' ? 'throughput' : undefined,
      );
      return;
    case 'dynamo-save':
      proxy.setRule((op) => (op === 'BatchWriteItem' ? 'throttling' : undefined));
      return;
    case 'mark-sent':
      proxy.setRule((op, body) => {
        if (!isMarkSent(op, body)) return undefined;
        const sk = (body.Key as Record<string, { S?: string }>).sk?.S ?? '';
        markFailed.add(sk.slice('ALERT#'.length));
        return 'internal';
      });
      return;
    case 'sns-throttle':
      world.notifier.fault = 'throttle';
      return;
    case 'crash-after-claim':
      world.notifier.failNext(1, 'crash');
      return;
    case 'sns-reject':
      // The next alert becomes a poison message: SNS rejects it as invalid on every run from now on.
      world.notifier.poisonNext();
      return;
    case 'runway-empty':
    case 'runway-partial':
    case 'runway-duplicate':
    case 'clock-back':
      return;
    case 'none':
      return;
  }
}

function clearFaults(world: World): void {
  simulator.setFault(undefined);
  proxy.setRule(undefined);
  world.notifier.fault = undefined;
  world.notifier.failNext(0);
  world.notifier.poisonNext(false);
}

test(`${PROPERTY_RUNS} seeded runs of ${DAYS} simulated days with random faults lose and double nothing`, async () => {
  console.log(`simulation seed ${SEED} (replay: RELIABILITY_SIM_SEED=${SEED}), ${PROPERTY_RUNS} runs`);
  await fc.assert(fc.asyncProperty(planArb, runPlan), {
    numRuns: PROPERTY_RUNS,
    seed: SEED,
    endOnFailure: true,
    // The 60-day plan is long: report the seed, the path and the first failure instead of the whole plan.
    asyncReporter: async (details) => {
      if (!details.failed) return;
      throw new Error(
        `simulation failed: seed ${details.seed}, path "${details.counterexamplePath}" (replay with RELIABILITY_SIM_SEED=${details.seed}): ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
      );
    },
  });
  recordScenario({
    suite: 'simulation',
    scenario: `${PROPERTY_RUNS} × ${DAYS} days, random faults and model names, seed ${SEED} (re-sent: ${totals.resent}, at least once; undeliverable and reported: ${totals.undeliverable})`,
    runs: totals.runs,
    faultsInjected: totals.faults,
    ...deliveryFigures(totals),
  });
  recordScenario({
    suite: 'simulation',
    scenario: `of which suspicious Runway answers (empty, partial, a date twice): ${totals.suspicious} refused, history kept`,
    subset: true,
    runs: totals.suspicious,
    faultsInjected: totals.suspicious,
    alertsExpected: totals.refusedAlertsExpected,
    delivered: totals.refusedAlertsDelivered,
    lost: totals.refusedAlertsExpected - totals.refusedAlertsDelivered,
    duplicated: 0,
    secretBytesLeaked: 0,
    slowestCycleMs: totals.slowest,
  });
  recordScenario({
    suite: 'simulation',
    scenario: `of which clocks jumped back (1-50 h): ${totals.clockBack} read-only, ${totals.clockBackWrites} wrote, ${totals.clockBackPublished} published`,
    subset: true,
    runs: totals.clockBack,
    faultsInjected: totals.clockBack,
    alertsExpected: 0,
    delivered: totals.clockBackPublished,
    lost: 0,
    duplicated: totals.clockBackPublished,
    secretBytesLeaked: 0,
    slowestCycleMs: totals.slowest,
  });
  console.log(
    `simulation: ${totals.suspicious} suspicious answers refused, ${totals.clockBack} back-dated cycles read-only; ` +
      `${totals.runs} cycles, ${totals.faults} faults, ${totals.expected} alerts expected, ${totals.delivered} delivered, ${totals.resent} re-sent after a failed "sent" mark`,
  );
}, 600_000);
