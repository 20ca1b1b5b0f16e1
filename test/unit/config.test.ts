/**
 * The configuration schema: the example in cdk.json parses, and every problem is reported at once, each
 * with its JSON path and what is expected there.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  type ConfigInput,
  deploymentSettings,
  limitInCredits,
  parseConfig,
  parseConfigText,
} from '../../functions/config.ts';
import { createDemoConfig } from '../../functions/simulator/demo.ts';

const CDK_JSON = new URL('../../cdk.json', import.meta.url);

function minimal(): ConfigInput {
  return {
    organizations: [
      {
        id: 'studio',
        name: 'Studio production',
        apiKeySecretName: 'runway/studio',
        budgets: [{ id: 'monthly-total', period: 'month', limit: { usd: 500 }, thresholds: [50, 80, 100] }],
      },
    ],
  };
}

/** The problems parseConfig reports for `doc`; fails the test when it parses. */
function problemsOf(doc: unknown): readonly string[] {
  try {
    parseConfig(doc, 'test config');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

/** `minimal()` with the first budget (or organization) changed. */
function withBudget(budget: Record<string, unknown>): unknown {
  const doc = minimal() as { organizations: Record<string, unknown>[] };
  const org = doc.organizations[0] as { budgets: Record<string, unknown>[] };
  org.budgets[0] = { ...org.budgets[0], ...budget };
  return doc;
}
function withOrg(fields: Record<string, unknown>): unknown {
  const doc = minimal() as { organizations: Record<string, unknown>[] };
  doc.organizations[0] = { ...doc.organizations[0], ...fields };
  return doc;
}

describe('valid configuration', () => {
  it("cdk.json's context.budgetGuard parses, as the design shows it", () => {
    const cdk = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context: { budgetGuard: unknown } };
    const config = parseConfig(cdk.context.budgetGuard, 'cdk.json context.budgetGuard');
    const [org] = config.organizations;
    expect(org?.id).toBe('studio');
    expect(org?.budgets.map((b) => [b.id, b.period, b.model])).toEqual([
      ['monthly-total', 'month', undefined],
      ['veo-daily', 'day', 'veo3.1'],
    ]);
    expect(config.subscriptions.length).toBeGreaterThan(0);
    expect(config.tierCapThresholds).toEqual([80, 95, 100]);
  });

  it('the demo config parses', () => {
    expect(() => parseConfig(createDemoConfig(), 'demo')).not.toThrow();
  });

  it('optional settings take the documented defaults; required ones have none', () => {
    const config = parseConfig(minimal(), 'test');
    expect(config).toMatchObject({
      tierCapThresholds: [80, 95, 100],
      dailyQuotaThresholds: [80, 100],
      usdPerCredit: 0.01,
      schedule: 'rate(1 hour)',
      digest: { hourUtc: 8 },
      anomaly: { multiple: 3, floorCredits: 1000 },
      subscriptions: [],
    });
    expect(config.organizations[0]?.lowBalance).toBeUndefined();
    expect(parseConfig(withOrg({ budgets: undefined }), 'test').organizations[0]?.budgets).toEqual([]);
  });

  it('thresholds are stored ascending', () => {
    const config = parseConfig(withBudget({ thresholds: [100, 50, 80] }), 'test');
    expect(config.organizations[0]?.budgets[0]?.thresholds).toEqual([50, 80, 100]);
  });

  it.each([
    { limit: { credits: 4000 }, usdPerCredit: 0.01, credits: 4000 },
    { limit: { usd: 500 }, usdPerCredit: 0.01, credits: 50_000 },
    { limit: { usd: 0.3 }, usdPerCredit: 0.01, credits: 30 },
    { limit: { usd: 500 }, usdPerCredit: 0.02, credits: 25_000 },
  ])('limit $limit at $usdPerCredit is $credits credits', ({ limit, usdPerCredit, credits }) => {
    expect(limitInCredits(limit as { credits: number } | { usd: number }, usdPerCredit)).toBe(credits);
  });

  it.each(['rate(1 hour)', 'rate(15 minutes)', 'rate(2 days)', 'cron(0 * * * ? *)'])(
    'schedule %s is accepted',
    (schedule) => {
      expect(parseConfig({ ...minimal(), schedule }, 'test').schedule).toBe(schedule);
    },
  );
});

describe('deployment settings', () => {
  it('default to the stack name RunwayBudgetGuard, no reserved concurrency, fleet metrics only, no dashboard and secrets created by the stack', () => {
    expect(deploymentSettings(parseConfig(minimal(), 'test'))).toEqual({
      stackName: 'RunwayBudgetGuard',
      reservedConcurrency: undefined,
      perOrganizationMetrics: false,
      dashboard: false,
      createSecrets: true,
    });
  });

  it('take what the config sets', () => {
    const deployment = {
      stackName: 'Agency-EU-2',
      reservedConcurrency: 2,
      perOrganizationMetrics: true,
      dashboard: true,
      createSecrets: false,
    };
    expect(deploymentSettings(parseConfig({ ...minimal(), deployment }, 'test'))).toEqual(deployment);
  });

  it('reports each bad setting by path', () => {
    expect(
      problemsOf({
        ...minimal(),
        deployment: {
          stackName: '2nd_stack',
          reservedConcurrency: 0.5,
          perOrganizationMetrics: 'yes',
          dashbaord: true,
        },
      }),
    ).toEqual([
      '$.deployment.stackName: a stack name starts with a letter and has up to 128 letters, digits and hyphens',
      '$.deployment.reservedConcurrency: expected int, got the number 0.5',
      '$.deployment.perOrganizationMetrics: expected boolean, got the string "yes"',
      '$.deployment: has unknown key "dashbaord" (check the spelling against the README\'s configuration reference)',
    ]);
    expect(problemsOf({ ...minimal(), deployment: { reservedConcurrency: 0 } })).toEqual([
      '$.deployment.reservedConcurrency: must be at least 1',
    ]);
    expect(problemsOf({ ...minimal(), deployment: { reservedConcurrency: 1001 } })).toEqual([
      '$.deployment.reservedConcurrency: must be at most 1000',
    ]);
  });
});

describe('recurring steps past the limit: at least 5% of it, at the configured price', () => {
  const STEP_PROBLEM =
    '$.organizations[0].budgets[0].every: a recurring step must be at least 5% of the limit, so alerts cannot flood';

  it.each([
    { name: 'a percent step under 5', every: { percent: 4 }, problem: '$.organizations[0].budgets[0].every' },
    {
      name: 'credits, 1% of a credit limit',
      every: { credits: 10 },
      limit: { credits: 1000 },
      problem: STEP_PROBLEM,
    },
    { name: 'dollars, 1% of a dollar limit', every: { usd: 5 }, problem: STEP_PROBLEM },
    // $1 at $0.01 a credit is 100 credits: 1% of 10,000.
    {
      name: '$1 against 10,000 credits',
      every: { usd: 1 },
      limit: { credits: 10_000 },
      problem: STEP_PROBLEM,
    },
  ])('refuses $name', ({ every, limit, problem }) => {
    const problems = problemsOf(withBudget({ every, ...(limit ? { limit } : {}) }));
    expect(problems.some((p) => p.startsWith(problem))).toBe(true);
  });

  it("converts a step and a limit in different units at the config's usdPerCredit, not at $0.01", () => {
    const doc = withBudget({ every: { usd: 1 }, limit: { credits: 10_000 } }) as Record<string, unknown>;
    // At $0.001 a credit, $1 is 1,000 credits: 10% of 10,000.
    expect(parseConfig({ ...doc, usdPerCredit: 0.001 }, 'test').organizations[0]?.budgets[0]?.every).toEqual({
      usd: 1,
    });
    // At $0.0001 a credit, 20,000 credits ($2) of limit and a step of 100 credits: 0.5%, refused whatever the price.
    const small = withBudget({ every: { credits: 100 }, limit: { usd: 2 } }) as Record<string, unknown>;
    expect(problemsOf({ ...small, usdPerCredit: 0.0001 })).toContain(STEP_PROBLEM);
  });

  it("reports a too-small step alongside the document's other problems", () => {
    const doc = withBudget({ every: { credits: 10 }, limit: { credits: 1000 }, thresholds: [] });
    expect(problemsOf(doc)).toEqual(
      expect.arrayContaining([
        STEP_PROBLEM,
        '$.organizations[0].budgets[0].thresholds: needs at least one threshold, e.g. [80, 100]',
      ]),
    );
  });
});

describe('each problem names its JSON path', () => {
  it.each([
    {
      name: 'threshold over 100',
      doc: withBudget({ thresholds: [80, 120] }),
      problem: '$.organizations[0].budgets[0].thresholds[1]: a threshold must be at most 100',
    },
    {
      name: 'threshold 0',
      doc: withBudget({ thresholds: [0] }),
      problem: '$.organizations[0].budgets[0].thresholds[0]: a threshold must be greater than 0',
    },
    {
      name: 'no thresholds',
      doc: withBudget({ thresholds: [] }),
      problem: '$.organizations[0].budgets[0].thresholds: needs at least one threshold',
    },
    {
      name: 'repeated threshold',
      doc: withBudget({ thresholds: [80, 80] }),
      problem: '$.organizations[0].budgets[0].thresholds: thresholds must not repeat',
    },
    {
      name: 'unknown period',
      doc: withBudget({ period: 'fortnight' }),
      problem: '$.organizations[0].budgets[0].period: period must be "day", "week", "month" or "quarter"',
    },
    {
      name: 'both credits and usd',
      doc: withBudget({ limit: { credits: 100, usd: 1 } }),
      problem: '$.organizations[0].budgets[0].limit: limit takes exactly one of {"credits": N} or {"usd": N}',
    },
    {
      name: 'neither credits nor usd',
      doc: withBudget({ limit: {} }),
      problem: '$.organizations[0].budgets[0].limit: limit takes exactly one of',
    },
    {
      name: 'a limit as a string',
      doc: withBudget({ limit: { usd: '500' } }),
      problem: '$.organizations[0].budgets[0].limit:',
    },
    {
      name: 'unknown key (typo) in a budget',
      doc: withBudget({ treshold: [80] }),
      problem: '$.organizations[0].budgets[0]: has unknown key "treshold"',
    },
    {
      name: 'unknown key at the top',
      doc: { ...minimal(), tierCapTresholds: [80] },
      problem: '$: has unknown key "tierCapTresholds"',
    },
    {
      name: 'forecast on a day budget',
      doc: withBudget({ period: 'day', forecast: true }),
      problem:
        '$.organizations[0].budgets[0].forecast: forecast needs a period longer than a day ("week", "month" or "quarter")',
    },
    {
      name: 'missing organization name',
      doc: withOrg({ name: undefined }),
      problem: '$.organizations[0].name: is required (expected string)',
    },
    {
      name: 'bad organization id',
      doc: withOrg({ id: 'Studio Production' }),
      problem: '$.organizations[0].id: an organization id is 1–40 characters of a-z, 0-9 and -',
    },
    {
      name: 'bad budget id',
      doc: withBudget({ id: 'Monthly#1' }),
      problem: '$.organizations[0].budgets[0].id: an id is 1–40 characters',
    },
    {
      name: 'empty lowBalance',
      doc: withOrg({ lowBalance: {} }),
      problem: '$.organizations[0].lowBalance: lowBalance needs "credits", "days" or both',
    },
    {
      name: 'duplicate budget ids',
      doc: withOrg({
        budgets: [
          { id: 'b', period: 'day', limit: { credits: 1 }, thresholds: [100] },
          { id: 'b', period: 'month', limit: { credits: 1 }, thresholds: [100] },
        ],
      }),
      problem: '$.organizations[0].budgets: budget ids must be unique within an organization',
    },
    {
      name: 'duplicate organization ids',
      doc: { organizations: [...minimal().organizations, ...minimal().organizations] },
      problem: '$.organizations: organization ids must be unique',
    },
    {
      name: 'no organizations',
      doc: { organizations: [] },
      problem: '$.organizations: configure at least one organization',
    },
    {
      name: 'organizations missing',
      doc: {},
      problem: '$.organizations: is required (expected array)',
    },
    { name: 'not an object', doc: [], problem: '$: expected object, got an array' },
    {
      name: 'a wrong type is not called missing',
      doc: withOrg({ name: 42 }),
      problem: '$.organizations[0].name: expected string, got the number 42',
    },
    {
      name: 'organizations as a string',
      doc: { organizations: 'studio' },
      problem: '$.organizations: expected array, got the string "studio"',
    },
    {
      name: 'a bad schedule',
      doc: { ...minimal(), schedule: 'every hour' },
      problem: '$.schedule: schedule must be an EventBridge expression',
    },
    {
      name: 'digest hour 24',
      doc: { ...minimal(), digest: { hourUtc: 24 } },
      problem: '$.digest.hourUtc: must be at most 23',
    },
    {
      name: 'unknown alert kind in a subscription',
      doc: { ...minimal(), subscriptions: [{ email: 'finance@example.com', kinds: ['budgets'] }] },
      problem: '$.subscriptions[0].kinds[0]: kinds are budget, forecast,',
    },
    {
      name: 'bad email',
      doc: { ...minimal(), subscriptions: [{ email: 'finance', kinds: ['budget'] }] },
      problem: '$.subscriptions[0].email: not a valid email address',
    },
  ])('$name', ({ doc, problem }) => {
    const problems = problemsOf(doc);
    expect(
      problems.some((p) => p.startsWith(problem)),
      `${problem}\nnot in:\n${problems.join('\n')}`,
    ).toBe(true);
    for (const p of problems) expect(p).toMatch(/^\$[^\s:]*: \S/);
  });

  it('lists every problem at once, in the error message too', () => {
    const doc = {
      organizations: [
        {
          id: 'studio',
          apiKeySecretName: 'runway/studio',
          budgets: [
            { id: 'monthly', period: 'fortnight', limit: { credits: 5, usd: 1 }, thresholds: [120] },
            { id: 'daily', period: 'day', limit: { credits: 5 }, thresholds: [80], treshold: 90 },
          ],
        },
      ],
      usdPerCredit: 0,
      digest: { hourUtc: 24 },
    };
    const expected = [
      '$.organizations[0].name: is required (expected string)',
      '$.organizations[0].budgets[0].period:',
      '$.organizations[0].budgets[0].limit:',
      '$.organizations[0].budgets[0].thresholds[0]:',
      '$.organizations[0].budgets[1]: has unknown key "treshold"',
      '$.usdPerCredit: must be greater than 0',
      '$.digest.hourUtc: must be at most 23',
    ];
    let error: unknown;
    try {
      parseConfig(doc, 'cdk.json context.budgetGuard');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message, source } = error as ConfigError;
    expect(source).toBe('cdk.json context.budgetGuard');
    expect(problems).toHaveLength(expected.length);
    for (const line of expected) {
      expect(
        problems.some((p) => p.startsWith(line)),
        line,
      ).toBe(true);
      expect(message).toContain(`  - ${line}`);
    }
    expect(message).toMatch(/^Invalid configuration in cdk\.json context\.budgetGuard:\n/);
  });

  it('duplicate ids are reported together with the other problems', () => {
    const doc = {
      organizations: [
        {
          id: 'studio',
          name: 'Studio',
          apiKeySecretName: 'runway/studio',
          budgets: [
            { id: 'b', period: 'fortnight', limit: { credits: 5 }, thresholds: [80] },
            { id: 'b', period: 'day', limit: { credits: 5 }, thresholds: [80] },
          ],
        },
        { id: 'studio', name: 'Studio again', apiKeySecretName: 'runway/other' },
      ],
      schedule: 'hourly',
    };
    const problems = problemsOf(doc);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\$\.organizations\[0\]\.budgets\[0\]\.period: /),
        '$.organizations[0].budgets: budget ids must be unique within an organization',
        '$.organizations: organization ids must be unique',
        expect.stringMatching(/^\$\.schedule: /),
      ]),
    );
  });

  it('config text that is not JSON is one problem at $', () => {
    expect(() => parseConfigText('{"organizations": [', 'BUDGET_GUARD_CONFIG')).toThrow(
      /Invalid configuration in BUDGET_GUARD_CONFIG:\n {2}- \$: not valid JSON/,
    );
  });
});
