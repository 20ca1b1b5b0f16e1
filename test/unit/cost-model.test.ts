/**
 * The arithmetic of the cost model behind the README's cost table (`test/bench/cost.ts`). The targets
 * themselves are printed by `npm run bench`, not asserted here.
 */
import { describe, expect, it } from 'vitest';
import { monthlyCost, PRICES, perExtraOrganization, total, USAGE } from '../bench/cost.ts';

const itemOf = (items: ReturnType<typeof monthlyCost>, name: string) => {
  const item = items.find((i) => i.item.startsWith(name));
  if (!item) throw new Error(`no item ${name}`);
  return item.usd;
};

describe('the cost model', () => {
  const one = monthlyCost({ organizations: 1, schedule: 'rate(5 minutes)' });

  it('prices one organization every 5 minutes item by item', () => {
    // 8,760 runs of 0.1 + 0.2 s at 0.5 GB.
    expect(itemOf(one, 'Lambda')).toBeCloseTo(8_760 * 0.3 * 0.5 * PRICES.lambdaGbSecond + 8_760 * 0.2e-6, 10);
    expect(itemOf(one, 'DynamoDB')).toBeCloseTo(8_760 * (3 * 0.625e-6 + 15 * 0.125e-6), 10);
    // The key is cached 5 minutes, so a 5-minute schedule reads it every run.
    expect(itemOf(one, 'Secrets Manager')).toBeCloseTo(0.4 + 8_760 * (0.05 / 10_000), 10);
    expect(itemOf(one, 'CloudWatch custom metrics')).toBeCloseTo(3 * 0.3, 10);
    expect(itemOf(one, 'CloudWatch alarms')).toBeCloseTo(0.3, 10);
    expect(total(one)).toBeCloseTo(
      one.reduce((sum, item) => sum + item.usd, 0),
      10,
    );
    expect(one.map((i) => i.item)).not.toContain('CloudWatch dashboard');
  });

  it('reads each secret at most once per 5 minutes, so hourly runs read it once per run', () => {
    const hourly = monthlyCost({ organizations: 2, schedule: 'rate(1 hour)' });
    expect(itemOf(hourly, 'Secrets Manager')).toBeCloseTo(2 * 0.4 + 2 * 730 * (0.05 / 10_000), 10);
  });

  it('adds $3 for the dashboard and 9 metrics per organization for per-organization metrics', () => {
    const base = total(monthlyCost({ organizations: 10, schedule: 'rate(1 hour)' }));
    expect(
      total(monthlyCost({ organizations: 10, schedule: 'rate(1 hour)', dashboard: true })) - base,
    ).toBeCloseTo(3, 10);
    const withMetrics = monthlyCost({
      organizations: 10,
      schedule: 'rate(1 hour)',
      perOrganizationMetrics: true,
    });
    expect(itemOf(withMetrics, 'CloudWatch custom metrics')).toBeCloseTo(
      (USAGE.fleetMetrics + 10 * (USAGE.orgMetrics + USAGE.quotaModels)) * 0.3,
      10,
    );
  });

  it('spreads the cost beyond the first organization evenly over the others', () => {
    const params = { organizations: 100, schedule: 'rate(5 minutes)' } as const;
    const first = total(monthlyCost({ ...params, organizations: 1 }));
    expect(first + 99 * perExtraOrganization(params)).toBeCloseTo(total(monthlyCost(params)), 10);
    expect(perExtraOrganization({ ...params, organizations: 1 })).toBe(0);
  });
});
