/**
 * The Runway simulator's HTTP surface, with plain fetch: the documented endpoints, Runway's window rules and
 * error bodies, the fault controls and the state mutators. (The SDK's view of it is in
 * test/integration/runway-client.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { createRunwayClient } from '../../functions/adapters/runway-client.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import { uniqueApiKey, useRunwaySimulator } from '../helpers/runway.ts';

const NOW = new Date('2026-09-15T10:30:00Z');
const simulator = useRunwaySimulator({ now: () => NOW });

function addOrganization(usage: Record<string, Record<string, number>> = {}): string {
  const apiKey = uniqueApiKey('sim');
  simulator().addOrganization(createSimulatedOrganization({ apiKey, usage }));
  return apiKey;
}

async function call(
  apiKey: string,
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${simulator().url}${path}`, {
    method: init.method ?? 'GET',
    body: init.body,
    headers: {
      authorization: `Bearer ${apiKey}`,
      'x-runway-version': '2024-11-06',
      'content-type': 'application/json',
      ...init.headers,
    },
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

const usage = (apiKey: string, body: unknown) =>
  call(apiKey, '/v1/organization/usage', { method: 'POST', body: JSON.stringify(body) });

describe('usage endpoint', () => {
  it('defaults to the 30 days before today and lists only days and models with usage', async () => {
    const apiKey = addOrganization({
      '2026-08-15': { 'gen4.5': 1 },
      '2026-08-16': { 'gen4.5': 2, gen4_image: 0 },
      '2026-09-14': { 'veo3.1': -3 },
      '2026-09-15': { 'veo3.1': 4 },
      '2026-09-10': { 'gen4.5': 0 },
    });

    const { status, body } = await usage(apiKey, {});

    expect(status).toBe(200);
    expect(body).toEqual({
      models: ['gen4.5', 'veo3.1'],
      results: [
        { date: '2026-08-16', usedCredits: [{ amount: 2, model: 'gen4.5' }] },
        { date: '2026-09-14', usedCredits: [{ amount: -3, model: 'veo3.1' }] },
      ],
    });
  });

  it('takes beforeDate as exclusive and defaults it to startDate + 30', async () => {
    const apiKey = addOrganization({
      '2026-01-30': { a: 1 },
      '2026-01-31': { b: 1 },
      '2026-01-01': { c: 1 },
    });

    expect((await usage(apiKey, { startDate: '2026-01-01', beforeDate: '2026-01-31' })).body).toMatchObject({
      models: ['a', 'c'],
    });
    expect((await usage(apiKey, { startDate: '2026-01-01' })).body).toMatchObject({ models: ['a', 'c'] });
  });

  it('answers 400 with an error member for a window over 90 days, a bad date or an empty window', async () => {
    const apiKey = addOrganization();

    for (const body of [
      { startDate: '2026-01-01', beforeDate: '2026-04-02' },
      { startDate: '2026-02-30' },
      { startDate: '2026-01-02', beforeDate: '2026-01-02' },
    ]) {
      const answer = await usage(apiKey, body);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: expect.any(String) });
    }
    expect((await usage(apiKey, { startDate: '2026-01-01', beforeDate: '2026-04-01' })).status).toBe(200);
  });
});

describe('requests', () => {
  it('answers 401 for an unknown or missing key, 405 for a wrong method, 400 without X-Runway-Version', async () => {
    const apiKey = addOrganization();

    expect(await call(uniqueApiKey('nobody'), '/v1/organization')).toMatchObject({
      status: 401,
      body: { error: expect.any(String) },
    });
    expect((await call('', '/v1/organization')).status).toBe(401);
    expect((await call(apiKey, '/v1/organization', { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await call(apiKey, '/v1/organization', { headers: { 'x-runway-version': '' } })).status).toBe(
      400,
    );
    expect((await call(apiKey, '/v1/tasks')).status).toBe(404);
    expect(simulator().requests(apiKey)).toEqual({ organization: 2, usage: 0 });
  });

  it('applies a fault to its endpoint and key only, and clears it after `times`', async () => {
    const apiKey = addOrganization();
    const other = addOrganization();
    simulator().setFault({ kind: 'status', status: 503, endpoint: 'usage', apiKey, times: 2 });

    expect((await call(apiKey, '/v1/organization')).status).toBe(200);
    expect((await usage(other, {})).status).toBe(200);
    expect((await usage(apiKey, {})).status).toBe(503);
    expect((await usage(apiKey, {})).status).toBe(503);
    expect((await usage(apiKey, {})).status).toBe(200);
  });

  it('passes fault headers, such as Retry-After, through', async () => {
    const apiKey = addOrganization();
    simulator().setFault({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } });

    const answer = await call(apiKey, '/v1/organization');

    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('3600');
  });
});

describe('state mutators', () => {
  it('change what the endpoints serve', async () => {
    const apiKey = addOrganization({ '2026-09-14': { 'veo3.1': 100 } });
    const sim = simulator();

    sim.setCreditBalance(apiKey, 1234);
    sim.setTierCap(apiKey, 50_000);
    sim.setModelLimits(apiKey, 'veo3.1', { maxConcurrentGenerations: 3, maxDailyGenerations: null });
    sim.setDailyGenerations(apiKey, 'veo3.1', 12);
    sim.addUsage(apiKey, '2026-09-14', 'veo3.1', -30);
    sim.addUsage(apiKey, '2026-09-15', 'gen4.5', 10);
    sim.restateUsage(apiKey, '2026-09-15', 'gen4.5', 7);

    expect((await call(apiKey, '/v1/organization')).body).toEqual({
      creditBalance: 1234,
      tier: {
        maxMonthlyCreditSpend: 50_000,
        models: { 'veo3.1': { maxConcurrentGenerations: 3, maxDailyGenerations: null } },
      },
      usage: { models: { 'veo3.1': { dailyGenerations: 12 } } },
    });
    expect((await usage(apiKey, { startDate: '2026-09-14', beforeDate: '2026-09-16' })).body).toEqual({
      models: ['gen4.5', 'veo3.1'],
      results: [
        { date: '2026-09-14', usedCredits: [{ amount: 70, model: 'veo3.1' }] },
        { date: '2026-09-15', usedCredits: [{ amount: 7, model: 'gen4.5' }] },
      ],
    });

    sim.removeOrganization(apiKey);
    expect((await call(apiKey, '/v1/organization')).status).toBe(401);
    expect(() => sim.setCreditBalance(apiKey, 1)).toThrow(/No simulated organization/);
  });
});

describe('scale', () => {
  it('serves 500 organizations at once to the real SDK', async () => {
    const keys = Array.from({ length: 500 }, (_, i) => {
      const apiKey = uniqueApiKey('scale');
      simulator().addOrganization(
        createSimulatedOrganization({ apiKey, creditBalance: i + 1, usage: { '2026-09-14': { m: i + 1 } } }),
      );
      return apiKey;
    });

    const results = await Promise.all(
      keys.map(async (apiKey) => {
        const client = createRunwayClient({ apiKey, baseURL: simulator().url, maxRetries: 0 });
        const [organization, report] = await Promise.all([
          client.fetchOrganization(),
          client.fetchUsage({ startDate: '2026-09-01', beforeDate: '2026-09-16' }),
        ]);
        return organization.creditBalance === report.days[0]?.totalCredits;
      }),
    );

    expect(results.every(Boolean)).toBe(true);
    expect(simulator().requests(keys[499] ?? '')).toEqual({ organization: 1, usage: 1 });
  });
});
