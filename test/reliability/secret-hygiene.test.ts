/**
 * Secret hygiene: a canary Runway key (`key_canary` + 128 hex characters) goes through guard cycles that succeed,
 * are rejected (401, with a server that echoes the key in its error body), rate limited (429, echoing it too),
 * answered with invalid data that carries the key as a value, and broken by a fetch that throws an error
 * naming the key. Everything the guard leaves behind is captured and scanned: JSON logs, console output, the
 * notifications (subject, text, JSON) and the outbox file, every DynamoDB item, the results and their errors.
 * Then the synthesized template and the guard function's environment, synthesized while the canary sits in
 * RUNWAYML_API_SECRET. Leaked bytes are counted for the full key, its hex part, and its aligned 16-character slices (so any
 * 31 characters of it are caught).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { OutboxNotifier } from '../../functions/adapters/outbox-notifier.ts';
import { createRunwayClient } from '../../functions/adapters/runway-client.ts';
import { API_KEY_PLACEHOLDER } from '../../functions/contract.ts';
import { type OrgCycleResult, type OrgTarget, runOrgCycle } from '../../functions/guard/cycle.ts';
import { createEmfMetrics, createJsonLogger } from '../../functions/observability.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import {
  type RunwaySimulator,
  type SimulatorFault,
  startRunwaySimulator,
} from '../../functions/simulator/server.ts';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo.ts';
import { CountingNotifier } from '../helpers/faults.ts';
import { NO_ALERTS, recordScenario } from './report.ts';
import { reliabilityConfig, scanTable, storeAt } from './world.ts';

const HEX = randomBytes(64).toString('hex');
const CANARY = `key_canary${HEX}`;
const RUNWAY_KEY_PATTERN = /key_[0-9a-f]{16,}/;

/** Bytes of the canary found in `text`: whole-key hits, else hex-part hits, else 16-character slices. */
function leakedBytes(text: string): number {
  const count = (needle: string) => text.split(needle).length - 1;
  const whole = count(CANARY);
  if (whole > 0) return whole * CANARY.length;
  const hex = count(HEX);
  if (hex > 0) return hex * HEX.length;
  let bytes = 0;
  for (let i = 0; i + 16 <= HEX.length; i += 16) bytes += count(HEX.slice(i, i + 16)) * 16;
  return bytes;
}

let dynamo: TestDynamo;
let simulator: RunwaySimulator;
let dir: string;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startTestDynamo(), startRunwaySimulator()]);
  dir = await mkdtemp(join(tmpdir(), 'budget-guard-secret-'));
  const usage: Record<string, Record<string, number>> = {};
  for (let d = 1; d <= 27; d++)
    usage[`2026-04-${String(d).padStart(2, '0')}`] = { 'veo3.1': 2600, 'gen4.5': 900 };
  simulator.addOrganization(
    createSimulatedOrganization({
      apiKey: CANARY,
      creditBalance: 9_000,
      maxMonthlyCreditSpend: 100_000,
      tierModels: { 'gen4.5': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000 } },
      dailyGenerations: { 'gen4.5': 990 },
      usage,
    }),
  );
});

afterAll(async () => {
  await simulator?.close();
  await dynamo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Case {
  readonly name: string;
  readonly fault?: SimulatorFault;
  readonly fetch?: typeof fetch;
}

const CASES: readonly Case[] = [
  { name: 'success' },
  {
    name: '401 echoing the key',
    fault: { kind: 'status', status: 401, body: { error: `Invalid key ${CANARY}` } },
  },
  {
    name: '429 echoing the key',
    fault: {
      kind: 'status',
      status: 429,
      body: { error: `Slow down, ${CANARY}` },
      headers: { 'retry-after': '999' },
    },
  },
  {
    name: 'invalid data carrying the key',
    fault: {
      kind: 'body',
      endpoint: 'organization',
      body: {
        creditBalance: CANARY,
        tier: { maxMonthlyCreditSpend: CANARY, models: { [CANARY]: {} } },
        usage: {},
      },
    },
  },
  {
    name: 'SDK error naming the key',
    fetch: async (_input, init) => {
      const auth = new Headers(init?.headers).get('authorization');
      throw new TypeError(`fetch failed: socket hang up (Authorization: ${auth})`);
    },
  },
];

describe('secret hygiene', () => {
  const results: OrgCycleResult[] = [];
  const logs: string[] = [];
  const printed: string[] = [];
  let outboxPath = '';
  let tableName = '';
  let notifier: CountingNotifier;
  const consoleCalls: string[] = [];

  test('guard cycles under every failure never write the key anywhere', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        consoleCalls.push(
          args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : String(a))).join(' '),
        );
      }),
    );
    const config = reliabilityConfig();
    const org = config.organizations[0];
    if (!org) throw new Error('no organization');
    tableName = await dynamo.newTable();
    const { store, client } = storeAt(dynamo.endpoint, tableName);
    outboxPath = join(dir, 'outbox.jsonl');
    notifier = new CountingNotifier(new OutboxNotifier({ outboxPath, write: (t) => printed.push(t) }));
    const log = createJsonLogger((line) => logs.push(line), { service: 'budget-guard' });
    const metrics = createEmfMetrics((line) => logs.push(line));
    const errors: unknown[] = [];

    let hour = 8;
    for (const c of CASES) {
      const target: OrgTarget = {
        org,
        keySource: 'the canary key',
        connect: async (signal) =>
          createRunwayClient({
            apiKey: CANARY,
            baseURL: simulator.url,
            signal,
            timeoutMs: 2_000,
            maxRetries: 0,
            fetch: c.fetch,
          }),
      };
      if (c.fault) simulator.setFault({ ...c.fault, apiKey: CANARY });
      const now = new Date(`2026-04-27T${String(hour++).padStart(2, '0')}:10:00.000Z`);
      try {
        results.push(await runOrgCycle(target, { config, store, notifier, log, metrics, now: () => now }));
      } catch (error) {
        errors.push(error);
      }
      simulator.setFault(undefined);
    }
    for (const spy of spies) spy.mockRestore();

    // The cycles did what they should: the first alerted, the failures failed with guard-errors where due.
    expect(errors).toEqual([]);
    expect(results.map((r) => r.ok)).toEqual([true, false, false, false, false]);
    expect(notifier.messages.some((m) => m.attributes.kind === 'guard-error')).toBe(true);
    expect(notifier.messages.length).toBeGreaterThan(3);

    const items = await scanTable(client, tableName);
    client.destroy();
    expect(items.some((i) => String(i.sk).startsWith('ALERT#'))).toBe(true);
    const outbox = await readFile(outboxPath, 'utf8');
    const errorTexts = results.flatMap((r) => (r.error ? [r.error.name, r.error.message] : []));

    const sources: Record<string, string> = {
      logs: logs.join('\n'),
      console: consoleCalls.join('\n'),
      printed: printed.join(''),
      messages: JSON.stringify(notifier.messages.map((m) => [m.subject, m.text, m.json, m.attributes])),
      outbox,
      dynamodb: JSON.stringify(items),
      results: JSON.stringify(results),
      errors: errorTexts.join('\n'),
    };
    const leaks = Object.fromEntries(
      Object.entries(sources).map(([name, text]) => [name, leakedBytes(text)]),
    );
    const leaked = Object.values(leaks).reduce((a, b) => a + b, 0);
    recordScenario({
      suite: 'secret hygiene',
      scenario: `canary key through ${CASES.length} cycles: logs, console, messages, outbox, DynamoDB, results`,
      runs: CASES.length,
      faultsInjected: CASES.length - 1,
      ...NO_ALERTS,
      secretBytesLeaked: leaked,
      slowestCycleMs: 0,
    });
    expect(leaks).toEqual(Object.fromEntries(Object.keys(sources).map((name) => [name, 0])));
    // The scan itself finds the key where it is, so a zero means something.
    expect(leakedBytes(`x${CANARY}x`)).toBe(CANARY.length);
    expect(leakedBytes(`Bearer …${HEX.slice(32, 64)}`)).toBe(32);
  });

  test('the synthesized template and the guard function environment hold no key', async () => {
    const previous = process.env.RUNWAYML_API_SECRET;
    process.env.RUNWAYML_API_SECRET = CANARY;
    let templateJson: string;
    let variables: Record<string, unknown>;
    let secretStrings: unknown[];
    try {
      const { synthStack } = await import('../stack/stack-fixture.ts');
      const { template } = synthStack();
      const json = template.toJSON() as {
        Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
      };
      templateJson = JSON.stringify(json);
      const functions = Object.values(json.Resources).filter(
        (r) =>
          r.Type === 'AWS::Lambda::Function' &&
          (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
            ?.STACK_NAME,
      );
      expect(functions).toHaveLength(1);
      const environment = functions[0]?.Properties?.Environment as
        | { Variables?: Record<string, unknown> }
        | undefined;
      variables = environment?.Variables ?? {};
      secretStrings = Object.values(json.Resources)
        .filter((r) => r.Type === 'AWS::SecretsManager::Secret')
        .map((r) => r.Properties?.SecretString);
    } finally {
      if (previous === undefined) delete process.env.RUNWAYML_API_SECRET;
      else process.env.RUNWAYML_API_SECRET = previous;
    }
    const leaked = leakedBytes(templateJson);
    recordScenario({
      suite: 'secret hygiene',
      scenario: 'synthesized template and Lambda environment (canary in RUNWAYML_API_SECRET)',
      runs: 0,
      faultsInjected: 0,
      ...NO_ALERTS,
      secretBytesLeaked: leaked,
      slowestCycleMs: 0,
    });
    expect(leaked).toBe(0);
    expect(templateJson).not.toMatch(RUNWAY_KEY_PATTERN);
    // The function learns secret names, never values.
    expect(Object.keys(variables).sort()).not.toContain('RUNWAYML_API_SECRET');
    for (const [name, value] of Object.entries(variables)) {
      expect(JSON.stringify(value), name).not.toMatch(RUNWAY_KEY_PATTERN);
    }
    // Each organization's secret is created holding the placeholder, which the guard recognizes.
    expect(secretStrings.length).toBeGreaterThan(0);
    for (const s of secretStrings) expect(s).toBe(API_KEY_PLACEHOLDER);
  });
});
