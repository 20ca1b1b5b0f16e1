/**
 * The guard bundle's stand-in for `@aws-sdk/endpoint-cache` (functions/guard/endpoint-cache.ts) against the
 * SDK's own class: random sequences of the calls the endpoint-discovery middleware makes, on a small cache
 * and a moving clock, give the same results from both.
 */
import { EndpointCache as SdkEndpointCache } from '@aws-sdk/endpoint-cache';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EndpointCache } from '../../functions/guard/endpoint-cache.ts';

type Call =
  | { op: 'set'; key: string; endpoints: { Address: string; CachePeriodInMinutes: number }[] }
  | { op: 'get' | 'getEndpoint' | 'delete' | 'has'; key: string }
  | { op: 'tick'; minutes: number }
  | { op: 'clear' };

const key = fc.constantFrom('k1', 'k2', 'k3', 'k4');
const call: fc.Arbitrary<Call> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    key,
    endpoints: fc.array(
      fc.record({
        Address: fc.constantFrom('', 'a.example', 'b.example'),
        CachePeriodInMinutes: fc.integer({ min: 0, max: 3 }),
      }),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    op: fc.constantFrom('get' as const, 'getEndpoint' as const, 'delete' as const, 'has' as const),
    key,
  }),
  fc.record({ op: fc.constant('tick' as const), minutes: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant('clear' as const) }),
);

describe('EndpointCache (guard bundle)', () => {
  afterEach(() => vi.useRealTimers());

  it('answers every call as the SDK cache does: expiry, emptied entries, recency and capacity', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(call, { maxLength: 40 }), (capacity, calls) => {
        vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
        const ours = new EndpointCache(capacity);
        const sdk = new SdkEndpointCache(capacity);
        for (const c of calls) {
          if (c.op === 'tick') {
            vi.setSystemTime(Date.now() + c.minutes * 60_000);
          } else if (c.op === 'clear') {
            ours.clear();
            sdk.clear();
          } else if (c.op === 'set') {
            ours.set(c.key, c.endpoints);
            sdk.set(c.key, c.endpoints);
          } else if (c.op === 'getEndpoint') {
            // One address at random: ours picks among the addresses the SDK cache holds unexpired (its get()
            // refreshes recency as getEndpoint() does).
            const candidates = sdk.get(c.key)?.map((e) => e.Address);
            const picked = ours.getEndpoint(c.key);
            if (candidates === undefined) expect(picked).toBeUndefined();
            else expect(candidates).toContain(picked);
          } else {
            expect(ours[c.op](c.key)).toEqual(sdk[c.op](c.key));
          }
          for (const k of ['k1', 'k2', 'k3', 'k4']) expect(ours.has(k)).toBe(sdk.has(k));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('finds nothing when endpoint discovery never ran, which is every guard request', () => {
    const cache = new EndpointCache(1000);
    expect(cache.getEndpoint('DescribeEndpoints')).toBeUndefined();
    expect(cache.get('DescribeEndpoints')).toBeUndefined();
    expect(cache.has('DescribeEndpoints')).toBe(false);
  });

  it('rejects a capacity that is not positive, like the SDK cache', () => {
    expect(() => new SdkEndpointCache(0)).toThrow();
    expect(() => new EndpointCache(0)).toThrow('EndpointCache capacity should be a positive number, got 0');
  });
});
