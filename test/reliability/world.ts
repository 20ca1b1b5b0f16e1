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
import { localClientConfig } from '../helpers/dynamo.ts';

export const ORG_ID = 'studio';

/**
 * Budgets sized for the simulated usage (a few thousand credits a day): a monthly total with forecast, a daily
 * budget on one model, a low-balance floor; the default tier-cap, quota, anomaly and digest rules.
 */
export function reliabilityConfigInput(overrides: Partial<ConfigInput> = {}): ConfigInput {
  return {
    organizations: [
      {
        id: ORG_ID,
        name: 'Studio production',
        apiKeySecretName: 'budget-guard/runway/studio',
        budgets: [
          {
            id: 'monthly-total',
            period: 'month',
            limit: { usd: 900 },
            thresholds: [50, 80, 100],
            forecast: true,
          },
          {
            id: 'veo-daily',
            period: 'day',
            model: 'veo3.1',
            limit: { credits: 2500 },
            thresholds: [80, 100],
          },
        ],
        lowBalance: { credits: 15_000, days: 5 },
      },
    ],
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
