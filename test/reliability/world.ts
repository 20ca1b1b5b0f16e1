/**
 * Shared wiring for the reliability suite: a config that makes every rule reachable, Runway targets with
 * short timeouts over the real SDK, and table reads that see every item the guard wrote.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, DynamoStore } from '../../functions/adapters/dynamo-store.ts';
import { createRunwayClient } from '../../functions/adapters/runway-client.ts';
import { type Config, type ConfigInput, parseConfig } from '../../functions/config.ts';
import type { OrgTarget } from '../../functions/guard/cycle.ts';
import { createDemoConfig, DEMO_ORG_ID } from '../../functions/simulator/demo.ts';
import { localClientConfig } from '../helpers/dynamo.ts';

export const ORG_ID = DEMO_ORG_ID;

type OrganizationInput = ConfigInput['organizations'][number];
type BudgetInput = NonNullable<OrganizationInput['budgets']>[number];

/** The limits of the demo's budgets here, by budget id: sized for the simulated usage (a few thousand credits a day). */
const BUDGET_LIMITS: Readonly<Record<string, BudgetInput['limit']>> = {
  'monthly-total': { usd: 900 },
  'veo-daily': { credits: 2500 },
};

/**
 * The demo's organization and budgets (a monthly total with forecast, a daily budget on one model) with limits sized
 * for the simulated usage, a low-balance floor to match; the default tier-cap, quota, anomaly and digest rules.
 */
export function reliabilityConfigInput(overrides: Partial<ConfigInput> = {}): ConfigInput {
  const [demo] = createDemoConfig().organizations;
  if (!demo) throw new Error('the demo config has no organization');
  const budgets = (demo.budgets ?? []).map((budget) => {
    const limit = BUDGET_LIMITS[budget.id];
    if (!limit) throw new Error(`no reliability limit for the demo's budget ${budget.id}`);
    return { ...budget, limit };
  });
  return {
    organizations: [{ ...demo, budgets, lowBalance: { credits: 15_000, days: 5 } }],
    tierCapThresholds: [80, 95, 100],
    dailyQuotaThresholds: [80, 100],
    digest: { hourUtc: 8 },
    ...overrides,
  };
}

export function reliabilityConfig(overrides: Partial<ConfigInput> = {}): Config {
  return parseConfig(reliabilityConfigInput(overrides), 'reliability config');
}

/** A target reading `apiKey` from the simulator at `baseURL` through the real SDK, no retries, short timeout. */
export function runwayTarget(
  config: Config,
  options: {
    apiKey: string;
    baseURL: string;
    timeoutMs?: number;
    maxRetries?: 0 | 1;
    maxRetryAfterSeconds?: number;
  },
): OrgTarget {
  const org = config.organizations[0];
  if (!org) throw new Error('the config has no organization');
  return {
    org,
    keySource: 'the reliability test key',
    connect: async (signal) =>
      createRunwayClient({
        apiKey: options.apiKey,
        baseURL: options.baseURL,
        signal,
        timeoutMs: options.timeoutMs ?? 2_000,
        maxRetries: options.maxRetries ?? 0,
        maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 1,
      }),
  };
}

/** A store on `endpoint` (dynalite, or a fault proxy in front of it) with its own client. */
export function storeAt(
  endpoint: string,
  tableName: string,
  options: { maxAttempts?: number } = {},
): { store: DynamoStore; client: DynamoDBDocumentClient } {
  const client = createDocumentClient({
    ...localClientConfig(endpoint),
    maxAttempts: options.maxAttempts ?? 1,
  });
  return { store: new DynamoStore({ client, tableName, retryBaseDelayMs: 1, maxBatchAttempts: 2 }), client };
}

/** Every item of the table (test tables are small). */
export async function scanTable(
  client: DynamoDBDocumentClient,
  tableName: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export interface LedgerEntry {
  readonly key: string;
  readonly state: string;
  readonly coveredBy?: string | undefined;
}

/** The alert ledger of `orgId`, by key. */
export async function readLedger(
  client: DynamoDBDocumentClient,
  tableName: string,
  orgId = ORG_ID,
): Promise<Map<string, LedgerEntry>> {
  const items = await scanTable(client, tableName);
  const ledger = new Map<string, LedgerEntry>();
  for (const item of items) {
    const sk = String(item.sk);
    if (item.pk !== `ORG#${orgId}` || !sk.startsWith('ALERT#')) continue;
    const key = sk.slice('ALERT#'.length);
    ledger.set(key, {
      key,
      state: String(item.state),
      coveredBy: typeof item.coveredBy === 'string' ? item.coveredBy : undefined,
    });
  }
  return ledger;
}

/** Milliseconds a promise took, with its value. */
export async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: Math.round(performance.now() - start) };
}
