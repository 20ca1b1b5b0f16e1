/**
 * The Runway adapter with the real @runwayml/sdk over HTTP against the built-in simulator: no mocks.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRunwayClient, type RunwayClientOptions } from '../../functions/adapters/runway-client.ts';
import { parseConfig } from '../../functions/config.ts';
import { addDays, utcDate } from '../../functions/domain/dates.ts';
import {
  RunwayAuthError,
  RunwayInvalidResponseError,
  RunwayRateLimitError,
  RunwayUnavailableError,
} from '../../functions/domain/errors.ts';
import type { RunwayPort } from '../../functions/domain/types.ts';
import {
  createDemoConfig,
  createDemoOrganization,
  DEMO_API_KEY,
  DEMO_HISTORY_DAYS,
  DEMO_REFUND_DAYS_AGO,
  DEMO_UNTIERED_MODEL,
  describeDemo,
} from '../../functions/simulator/demo.ts';
import {
  createSimulatedOrganization,
  type SimulatedOrganization,
} from '../../functions/simulator/organization.ts';
import {
  type RunwaySimulator,
  type SimulatorFault,
  startRunwaySimulator,
} from '../../functions/simulator/server.ts';

const NOW = new Date('2026-09-15T10:30:00Z');
const TODAY = utcDate(NOW);

let simulator: RunwaySimulator;
let keyCounter = 0;

beforeAll(async () => {
  simulator = await startRunwaySimulator({ now: () => NOW });
});
afterAll(async () => {
  await simulator.close();
});
afterEach(() => {
  simulator.setFault(undefined);
});

/** Adds an organization with a key of its own, so request counts belong to one test. */
function addOrganization(overrides: Partial<Omit<SimulatedOrganization, 'apiKey'>> = {}): string {
  keyCounter += 1;
  const apiKey = `key_test${String(keyCounter).padStart(4, '0')}${'ab'.repeat(30)}`;
  simulator.addOrganization(createSimulatedOrganization({ apiKey, ...overrides }));
  return apiKey;
}

function clientFor(apiKey: string, options: Partial<RunwayClientOptions> = {}) {
  return createRunwayClient({ apiKey, baseURL: simulator.url, maxRetries: 0, ...options });
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Adds an organization whose requests the simulator answers with `fault` (on its key only), and a client for it. */
function clientUnder(
  fault: SimulatorFault,
  options: Partial<RunwayClientOptions> = {},
): { apiKey: string; client: RunwayPort } {
  const apiKey = addOrganization();
  simulator.setFault({ ...fault, apiKey });
  return { apiKey, client: clientFor(apiKey, options) };
}

/** The error `call` fails with through `clientUnder(fault, options)`, and the organization's key. */
async function failureUnder(
  fault: SimulatorFault,
  call: (client: RunwayPort) => Promise<unknown>,
  options: Partial<RunwayClientOptions> = {},
): Promise<{ apiKey: string; error: Error }> {
  const { apiKey, client } = clientUnder(fault, options);
  return { apiKey, error: await failureOf(call(client)) };
}

/** The problems of `error`, which must be a RunwayInvalidResponseError. */
function problemsOf(error: unknown): readonly string[] {
  expect(error).toBeInstanceOf(RunwayInvalidResponseError);
  return (error as RunwayInvalidResponseError).problems;
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await run();
  return { result, ms: performance.now() - start };
}

const TIER_MODELS = {
  'gen4.5': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000 },
  magnific_precision_upscaler_v2: { maxConcurrentGenerations: null, maxDailyGenerations: null },
  gen4_image: { maxConcurrentGenerations: 5, maxDailyGenerations: 2000 },
};

describe('fetchOrganization', () => {
  it('returns the balance, the tier cap and every model of the tier or of today’s usage', async () => {
    // Prepare
    const apiKey = addOrganization({
      creditBalance: 48_250,
      maxMonthlyCreditSpend: 200_000,
      tierModels: TIER_MODELS,
      dailyGenerations: { 'gen4.5': 870, act_two: 4 },
    });

    // Act
    const organization = await clientFor(apiKey).fetchOrganization();

    // Assess
    expect(organization).toEqual({
      creditBalance: 48_250,
      maxMonthlyCreditSpend: 200_000,
      models: {
        act_two: {
          maxConcurrentGenerations: null,
          maxDailyGenerations: null,
          dailyGenerations: 4,
          inTier: false,
        },
        'gen4.5': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000, dailyGenerations: 870 },
        gen4_image: { maxConcurrentGenerations: 5, maxDailyGenerations: 2000, dailyGenerations: 0 },
        magnific_precision_upscaler_v2: {
          maxConcurrentGenerations: null,
          maxDailyGenerations: null,
          dailyGenerations: 0,
        },
      },
    });
    expect(simulator.requests(apiKey)).toEqual({ organization: 1, usage: 0 });
  });

  it('accepts unknown fields and a negative balance', async () => {
    const body = {
      creditBalance: -120,
      tier: {
        maxMonthlyCreditSpend: 10_000,
        models: { eleven_v4: { maxConcurrentGenerations: 1, maxDailyGenerations: 50, burst: 2 } },
        name: 'Tier 1',
      },
      usage: { models: { eleven_v4: { dailyGenerations: 3, note: 'x' } } },
      organizationId: 'org_1',
    };
    const { client } = clientUnder({ kind: 'body', body });

    const organization = await client.fetchOrganization();

    expect(organization).toEqual({
      creditBalance: -120,
      maxMonthlyCreditSpend: 10_000,
      models: { eleven_v4: { maxConcurrentGenerations: 1, maxDailyGenerations: 50, dailyGenerations: 3 } },
    });
  });

  it('rejects strings for numbers, listing each JSON path', async () => {
    const body = {
      creditBalance: '48250',
      tier: {
        maxMonthlyCreditSpend: 200_000,
        models: { 'gen4.5': { maxConcurrentGenerations: '5', maxDailyGenerations: -1 } },
      },
      usage: { models: { 'gen4.5': { dailyGenerations: null } } },
    };

    const { error } = await failureUnder({ kind: 'body', body }, (client) => client.fetchOrganization());

    const problems = problemsOf(error);
    expect(problems).toContain('$.creditBalance: expected number, got the string "48250"');
    expect(problems).toContain(
      '$.tier.models["gen4.5"].maxConcurrentGenerations: expected number, got the string "5"',
    );
    expect(problems).toContain('$.tier.models["gen4.5"].maxDailyGenerations: must be at least 0');
    expect(problems.some((p) => p.startsWith('$.usage.models["gen4.5"].dailyGenerations: '))).toBe(true);
    expect(error.message).toContain('GET /v1/organization');
    expect(error.message).toContain('$.creditBalance');
  });

  it('rejects an answer without a tier', async () => {
    const body = { creditBalance: 10, usage: { models: {} } };

    const { error } = await failureUnder({ kind: 'body', body }, (client) => client.fetchOrganization());

    expect(problemsOf(error)).toEqual(['$.tier: is required (expected object)']);
  });

  it('turns malformed JSON into an invalid-response error', async () => {
    const { error } = await failureUnder({ kind: 'malformedJson' }, (client) => client.fetchOrganization());

    expect(error).toBeInstanceOf(RunwayInvalidResponseError);
    expect(error.message).toContain('not valid JSON');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

describe('fetchUsage', () => {
  it('sums net credits per day and model, refunds included, days ascending', async () => {
    // Prepare
    const apiKey = addOrganization({
      usage: {
        '2026-09-03': { 'gen4.5': -60 },
        '2026-09-01': { 'gen4.5': 1200, gen4_image: 40 },
        '2026-09-02': { 'veo3.1': 800 },
        '2026-08-31': { 'veo3.1': 999 },
        '2026-09-04': { 'veo3.1': 999 },
      },
    });

    // Act
    const report = await clientFor(apiKey).fetchUsage({ startDate: '2026-09-01', beforeDate: '2026-09-04' });

    // Assess
    expect(report).toEqual({
      startDate: '2026-09-01',
      beforeDate: '2026-09-04',
      days: [
        { date: '2026-09-01', credits: { 'gen4.5': 1200, gen4_image: 40 }, totalCredits: 1240 },
        { date: '2026-09-02', credits: { 'veo3.1': 800 }, totalCredits: 800 },
        { date: '2026-09-03', credits: { 'gen4.5': -60 }, totalCredits: -60 },
      ],
    });
    expect(simulator.requests(apiKey)).toEqual({ organization: 0, usage: 1 });
  });

  it('adds up a model listed twice in a day; ignores unknown fields', async () => {
    const body = {
      models: ['gen4.5', 'veo3.1'],
      apiKeys: ['k1'],
      resultsByApiKey: [{ date: '2026-09-02', usedCredits: [{ amount: 5, apiKeyId: 'k1' }] }],
      results: [
        {
          date: '2026-09-02',
          usedCredits: [
            { model: 'gen4.5', amount: 100, unit: 'credits' },
            { model: 'gen4.5', amount: 50 },
            { model: 'veo3.1', amount: 7 },
            { model: 'gen4.5', amount: -20 },
          ],
        },
        { date: '2026-09-01', usedCredits: [{ model: 'veo3.1', amount: 10 }] },
      ],
    };
    const { client } = clientUnder({ kind: 'body', endpoint: 'usage', body });

    const report = await client.fetchUsage({ startDate: '2026-09-01', beforeDate: '2026-09-03' });

    expect(report.days).toEqual([
      { date: '2026-09-01', credits: { 'veo3.1': 10 }, totalCredits: 10 },
      { date: '2026-09-02', credits: { 'gen4.5': 130, 'veo3.1': 7 }, totalCredits: 137 },
    ]);
  });

  it('rejects a date listed twice instead of adding it up (it would double the day)', async () => {
    const entry = { date: '2026-09-02', usedCredits: [{ model: 'gen4.5', amount: 100 }] };

    const { error } = await failureUnder(
      { kind: 'body', endpoint: 'usage', body: { results: [entry, entry] } },
      (client) => client.fetchUsage({ startDate: '2026-09-01', beforeDate: '2026-09-03' }),
    );

    expect(problemsOf(error)).toEqual([
      '$.results[1].date: 2026-09-02 is listed more than once (first at results[0]); each day must be listed once',
    ]);
  });

  it('rejects numbers beyond Number.MAX_SAFE_INTEGER, naming each', async () => {
    const { apiKey, client } = clientUnder({
      kind: 'body',
      endpoint: 'usage',
      body: { results: [{ date: '2026-09-02', usedCredits: [{ model: 'gen4.5', amount: 2 ** 53 + 2 }] }] },
    });

    const usage = await client
      .fetchUsage({ startDate: '2026-09-01', beforeDate: '2026-09-03' })
      .catch((e: unknown) => e);
    simulator.setFault({
      kind: 'body',
      apiKey,
      endpoint: 'organization',
      body: {
        creditBalance: -(2 ** 60),
        tier: {
          maxMonthlyCreditSpend: 1e300,
          models: { 'gen4.5': { maxConcurrentGenerations: 2 ** 53, maxDailyGenerations: 1 } },
        },
        usage: { models: {} },
      },
    });
    const organization = await client.fetchOrganization().catch((e: unknown) => e);

    expect((usage as RunwayInvalidResponseError).problems).toEqual([
      '$.results[0].usedCredits[0].amount: must be within ±9007199254740991 (Number.MAX_SAFE_INTEGER)',
    ]);
    expect((organization as RunwayInvalidResponseError).problems).toEqual([
      '$.creditBalance: must be within ±9007199254740991 (Number.MAX_SAFE_INTEGER)',
      '$.tier.maxMonthlyCreditSpend: must be within ±9007199254740991 (Number.MAX_SAFE_INTEGER)',
      '$.tier.models["gen4.5"].maxConcurrentGenerations: must be within ±9007199254740991 (Number.MAX_SAFE_INTEGER)',
    ]);
  });

  it('returns no days when the organization has no usage', async () => {
    const apiKey = addOrganization();

    const report = await clientFor(apiKey).fetchUsage({ startDate: '2026-08-01', beforeDate: '2026-09-01' });

    expect(report.days).toEqual([]);
  });

  it('refuses a window over 90 days, or reversed, before any request', async () => {
    const apiKey = addOrganization();
    const client = clientFor(apiKey);

    await expect(client.fetchUsage({ startDate: '2026-06-01', beforeDate: '2026-08-31' })).rejects.toThrow(
      RangeError,
    );
    await expect(client.fetchUsage({ startDate: '2026-09-02', beforeDate: '2026-09-01' })).rejects.toThrow(
      RangeError,
    );
    await expect(client.fetchUsage({ startDate: '2026-02-30', beforeDate: '2026-03-05' })).rejects.toThrow(
      RangeError,
    );
    expect(simulator.requests(apiKey)).toEqual({ organization: 0, usage: 0 });

    // Exactly 90 days is allowed.
    await expect(
      client.fetchUsage({ startDate: '2026-06-01', beforeDate: '2026-08-30' }),
    ).resolves.toMatchObject({
      days: [],
    });
  });

  it('rejects impossible dates, empty model names and string amounts, by JSON path', async () => {
    const body = {
      models: [],
      results: [
        { date: '2026-02-30', usedCredits: [] },
        {
          date: '2026-09-01',
          usedCredits: [
            { model: '', amount: 1 },
            { model: 'gen4.5', amount: '12' },
          ],
        },
      ],
    };

    const { error } = await failureUnder({ kind: 'body', body }, (client) =>
      client.fetchUsage({ startDate: '2026-02-01', beforeDate: '2026-04-01' }),
    );

    expect(problemsOf(error)).toEqual([
      '$.results[0].date: expected a real date written YYYY-MM-DD',
      '$.results[1].usedCredits[0].model: must not be empty (at least 1 characters)',
      '$.results[1].usedCredits[1].amount: expected number, got the string "12"',
    ]);
  });

  it('rejects days outside the requested window', async () => {
    const body = {
      models: ['gen4.5'],
      results: [{ date: '2026-09-03', usedCredits: [{ model: 'gen4.5', amount: 1 }] }],
    };

    const { error } = await failureUnder({ kind: 'body', body }, (client) =>
      client.fetchUsage({ startDate: '2026-09-01', beforeDate: '2026-09-03' }),
    );

    expect(problemsOf(error)[0]).toMatch(/^\$\.results\[0\]\.date: 2026-09-03 is outside/);
  });
});

describe('failures', () => {
  /** The error fetchOrganization fails with, one retry allowed, while Runway answers a new key with `status`. */
  const organizationFailureOn = (status: number, headers?: Record<string, string>) =>
    failureUnder({ kind: 'status', status, headers }, (client) => client.fetchOrganization(), {
      maxRetries: 1,
    });

  it('maps 401 to RunwayAuthError after one request, with Runway’s text and what to do', async () => {
    const apiKey = 'key_unknown0000000000000000000000000000000000000000000000000000';

    const error = await failureOf(clientFor(apiKey, { maxRetries: 1 }).fetchOrganization());

    expect(error).toBeInstanceOf(RunwayAuthError);
    expect((error as RunwayAuthError).status).toBe(401);
    expect(error.message).toContain('401');
    expect(error.message).toContain('The API key provided is not valid.');
    expect(error.message).toContain('Secrets Manager');
    expect(error.message).toContain('RUNWAYML_API_SECRET');
    expect(simulator.requests(apiKey)).toEqual({ organization: 1, usage: 0 });
  });

  it('maps 403 to RunwayAuthError after one request', async () => {
    const { apiKey, error } = await failureUnder(
      { kind: 'status', status: 403 },
      (client) => client.fetchUsage({ startDate: TODAY, beforeDate: addDays(TODAY, 1) }),
      { maxRetries: 1 },
    );

    expect(error).toBeInstanceOf(RunwayAuthError);
    expect((error as RunwayAuthError).status).toBe(403);
    expect(simulator.requests(apiKey)).toEqual({ organization: 0, usage: 1 });
  });

  it('fails fast on 429 with Retry-After: 3600 instead of sleeping an hour', async () => {
    const {
      result: { apiKey, error },
      ms,
    } = await timed(() => organizationFailureOn(429, { 'retry-after': '3600' }));

    expect(error).toBeInstanceOf(RunwayRateLimitError);
    expect((error as RunwayRateLimitError).retryAfterSeconds).toBe(3600);
    expect(error.message).toContain('429');
    expect(ms).toBeLessThan(10_000);
    expect(simulator.requests(apiKey)).toEqual({ organization: 1, usage: 0 });
  });

  it('obeys a short Retry-After once and succeeds', async () => {
    const apiKey = addOrganization({ creditBalance: 7 });
    simulator.setFault({ kind: 'status', status: 429, headers: { 'retry-after': '1' }, apiKey, times: 1 });

    const organization = await clientFor(apiKey, { maxRetries: 1 }).fetchOrganization();

    expect(organization.creditBalance).toBe(7);
    expect(simulator.requests(apiKey)).toEqual({ organization: 2, usage: 0 });
  });

  it('retries a 500 once and succeeds', async () => {
    const apiKey = addOrganization({ creditBalance: 99 });
    simulator.setFault({ kind: 'status', status: 500, apiKey, times: 1 });

    const organization = await clientFor(apiKey, { maxRetries: 1 }).fetchOrganization();

    expect(organization.creditBalance).toBe(99);
    expect(simulator.requests(apiKey)).toEqual({ organization: 2, usage: 0 });
  });

  it('gives up on a lasting 503 after one retry', async () => {
    const { apiKey, error } = await organizationFailureOn(503);

    expect(error).toBeInstanceOf(RunwayUnavailableError);
    expect((error as RunwayUnavailableError).status).toBe(503);
    expect(error.message).toContain('temporarily unavailable');
    expect(simulator.requests(apiKey)).toEqual({ organization: 2, usage: 0 });
  });

  it('times out a request that never gets an answer', async () => {
    const {
      result: { apiKey, error },
      ms,
    } = await timed(() =>
      failureUnder({ kind: 'hang' }, (client) => client.fetchOrganization(), {
        timeoutMs: 300,
        maxRetries: 1,
      }),
    );

    expect(error).toBeInstanceOf(RunwayUnavailableError);
    expect(error.message).toContain('300 ms');
    expect(ms).toBeLessThan(10_000);
    expect(simulator.requests(apiKey)).toEqual({ organization: 2, usage: 0 });
  });

  it('maps a dropped connection to RunwayUnavailableError', async () => {
    const { error } = await failureUnder({ kind: 'drop' }, (client) =>
      client.fetchUsage({ startDate: TODAY, beforeDate: addDays(TODAY, 1) }),
    );

    expect(error).toBeInstanceOf(RunwayUnavailableError);
    expect(error.message).toContain('Could not reach Runway');
  });

  it('stops at the cycle deadline', async () => {
    const { error } = await failureUnder({ kind: 'hang' }, (client) => client.fetchOrganization(), {
      signal: AbortSignal.timeout(200),
    });

    expect(error).toBeInstanceOf(RunwayUnavailableError);
    expect(error.message).toContain('deadline');
  });

  it('maps another 4xx to RunwayUnavailableError with its status', async () => {
    const { apiKey, error } = await organizationFailureOn(404);

    expect(error).toBeInstanceOf(RunwayUnavailableError);
    expect((error as RunwayUnavailableError).status).toBe(404);
    expect(simulator.requests(apiKey)).toEqual({ organization: 1, usage: 0 });
  });
});

describe('the API key', () => {
  const CANARY = `key_canary123${'c0ffee'.repeat(20)}`;

  // Quoted values are truncated, so look for a prefix of the key, not the whole key.
  const SECRET_PART = CANARY.slice(0, 20);

  function expectNoKey(error: Error): void {
    expect(error.message).not.toContain(SECRET_PART);
    expect(String(error)).not.toContain(SECRET_PART);
    expect(error.stack ?? '').not.toContain(SECRET_PART);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(SECRET_PART);
    expect(JSON.stringify(Object.fromEntries(Object.entries(error)))).not.toContain(SECRET_PART);
  }

  it('never appears in a thrown error', async () => {
    simulator.addOrganization(createSimulatedOrganization({ apiKey: CANARY }));
    const range = { startDate: TODAY, beforeDate: addDays(TODAY, 1) };
    const scenarios = [
      { kind: 'status', status: 401, body: { error: `Invalid key ${CANARY}` } },
      { kind: 'status', status: 403 },
      {
        kind: 'status',
        status: 429,
        headers: { 'retry-after': '3600' },
        body: { error: `slow down ${CANARY}` },
      },
      { kind: 'status', status: 503, body: `upstream said ${CANARY}` },
      { kind: 'status', status: 400, body: { message: CANARY } },
      { kind: 'drop' },
      { kind: 'hang' },
      { kind: 'malformedJson' },
      { kind: 'body', body: { creditBalance: CANARY, tier: CANARY } },
      {
        kind: 'body',
        body: { models: [], results: [{ date: CANARY, usedCredits: [{ model: CANARY, amount: CANARY }] }] },
      },
    ] as const;

    const errors: Error[] = [];
    for (const fault of scenarios) {
      simulator.setFault({ ...fault, apiKey: CANARY });
      const client = clientFor(CANARY, { timeoutMs: 300 });
      errors.push(await failureOf(client.fetchOrganization()));
      errors.push(await failureOf(client.fetchUsage(range)));
    }
    simulator.setFault(undefined);
    simulator.removeOrganization(CANARY);
    errors.push(await failureOf(clientFor(CANARY).fetchOrganization()));

    expect(errors).toHaveLength(scenarios.length * 2 + 1);
    for (const error of errors) expectNoKey(error);
    // The SDK error kept as the cause is scrubbed too when Runway echoes the key.
    for (const error of errors) if (error.cause instanceof Error) expectNoKey(error.cause);
  });
});

describe('the demo organization', () => {
  it('has 60 days of usage ending today, one refund day and a model outside the tier', () => {
    const org = createDemoOrganization({ now: NOW });
    const dates = Object.keys(org.usage).sort();

    expect(dates).toHaveLength(DEMO_HISTORY_DAYS);
    expect(dates.at(-1)).toBe(TODAY);
    expect(dates[0]).toBe(addDays(TODAY, -(DEMO_HISTORY_DAYS - 1)));
    const negativeDays = dates.filter((d) => Object.values(org.usage[d] ?? {}).some((amount) => amount < 0));
    expect(negativeDays).toEqual([addDays(TODAY, -DEMO_REFUND_DAYS_AGO)]);
    expect(org.tierModels[DEMO_UNTIERED_MODEL]).toBeUndefined();
    expect(dates.some((d) => (org.usage[d]?.[DEMO_UNTIERED_MODEL] ?? 0) > 0)).toBe(true);
    expect(org.tierModels.magnific_precision_upscaler_v2).toEqual({
      maxConcurrentGenerations: null,
      maxDailyGenerations: null,
    });
    expect(org.maxMonthlyCreditSpend).toBe(200_000);
    expect(org.creditBalance).toBeGreaterThanOrEqual(30_000);
    expect(org.creditBalance).toBeLessThanOrEqual(60_000);
    const gen45 = (org.dailyGenerations['gen4.5'] ?? 0) / 1000;
    expect(gen45).toBeGreaterThanOrEqual(0.85);
    expect(gen45).toBeLessThanOrEqual(0.9);
    // Complete days stay in a realistic band; veo3.1 is the biggest model.
    for (const date of dates.slice(0, -1)) {
      const day = org.usage[date] ?? {};
      const total = Object.values(day).reduce((sum, amount) => sum + amount, 0);
      if (date !== addDays(TODAY, -DEMO_REFUND_DAYS_AGO)) expect(total).toBeGreaterThan(2_500);
      expect(total).toBeLessThan(6_500);
      expect(Math.max(...Object.values(day))).toBe(day['veo3.1']);
    }
  });

  it('is the same for the same clock, and shares its history within a day', () => {
    const morning = createDemoOrganization({ now: new Date('2026-09-15T07:10:00Z') });
    const again = createDemoOrganization({ now: new Date('2026-09-15T07:50:00Z') });
    const evening = createDemoOrganization({ now: new Date('2026-09-15T21:00:00Z') });

    expect(again).toEqual(morning);
    const { [TODAY]: morningToday, ...morningHistory } = morning.usage;
    const { [TODAY]: eveningToday, ...eveningHistory } = evening.usage;
    expect(eveningHistory).toEqual(morningHistory);
    expect(eveningToday?.['veo3.1'] ?? 0).toBeGreaterThan(morningToday?.['veo3.1'] ?? 0);
  });

  it('comes with a valid config whose budgets match the data', () => {
    const config = parseConfig(createDemoConfig(), 'demo config');
    const figures = describeDemo(NOW);

    const [org] = config.organizations;
    expect(org?.id).toBe('studio');
    expect(org?.apiKeySecretName).toBe('budget-guard/runway/studio');
    expect(org?.lowBalance).toEqual({ credits: 20_000, days: 7 });
    expect(config.subscriptions.map((s) => s.email)).toEqual(['finance@example.com', 'platform@example.com']);
    const veo = org?.budgets.find((b) => b.id === 'veo-daily');
    expect(veo?.limit).toEqual({ credits: figures.veoDailyLimitCredits });
    const veoShare = figures.todayVeoCredits / figures.veoDailyLimitCredits;
    expect(veoShare).toBeGreaterThan(0.82);
    expect(veoShare).toBeLessThan(0.88);
    expect(figures.forecastPercent).toBeGreaterThan(105);
    expect(figures.tierCapPercent).toBeLessThan(80);
  });

  it('is served by the simulator and read back by the adapter', async () => {
    const demo = await startRunwaySimulator({
      now: () => NOW,
      organizations: [createDemoOrganization({ now: NOW })],
    });
    try {
      const client = createRunwayClient({ apiKey: DEMO_API_KEY, baseURL: demo.url, maxRetries: 0 });

      const organization = await client.fetchOrganization();
      const report = await client.fetchUsage({
        startDate: addDays(TODAY, -(DEMO_HISTORY_DAYS - 1)),
        beforeDate: addDays(TODAY, 1),
      });

      expect(organization.models[DEMO_UNTIERED_MODEL]?.maxDailyGenerations).toBeNull();
      expect(organization.models['gen4.5']?.maxDailyGenerations).toBe(1000);
      expect(report.days).toHaveLength(DEMO_HISTORY_DAYS);
      expect(report.days.filter((d) => Object.values(d.credits).some((c) => c < 0))).toHaveLength(1);
      expect(report.days.at(-1)?.credits['veo3.1']).toBe(describeDemo(NOW).todayVeoCredits);
    } finally {
      await demo.close();
    }
  });
});
