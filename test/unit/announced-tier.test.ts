/**
 * The announced tier the tier-change rule compares with: stored whole for ordinary tiers, bounded for a tier of
 * thousands of long model names (it shares the status item with the pending tier), and a model the stored tier
 * had to leave out is taken as unchanged, never announced as added.
 */
import { describe, expect, it } from 'vitest';
import { TIER_ENTRIES_MAX_BYTES, tierBaseline, tierOf } from '../../functions/domain/cycle-state.ts';
import { valueSize } from '../../functions/domain/item-size.ts';
import type { ModelState, OrganizationDetails } from '../../functions/domain/types.ts';

function details(models: Record<string, ModelState>): OrganizationDetails {
  return { creditBalance: 1000, maxMonthlyCreditSpend: 200_000, models };
}

const limited = (daily: number | null): ModelState => ({
  maxConcurrentGenerations: 5,
  maxDailyGenerations: daily,
  dailyGenerations: 0,
});

describe('tierOf', () => {
  it('keeps every tier model of an ordinary tier, without models outside the tier', () => {
    const tier = tierOf(
      details({ 'gen4.5': limited(1000), act_two: { ...limited(null), inTier: false } }),
      '2026-11-20',
    );
    expect(Object.keys(tier.models)).toEqual(['gen4.5']);
    expect(tier.modelsOmitted).toBeUndefined();
  });

  it('bounds a tier of 3,000 models with 200-character names, and counts what it left out', () => {
    const models: Record<string, ModelState> = Object.create(null);
    for (let i = 0; i < 3000; i++) models[`${'m'.repeat(195)}${String(i).padStart(5, '0')}`] = limited(i);
    const tier = tierOf(details(models), '2026-11-20');
    const kept = Object.keys(tier.models).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept + (tier.modelsOmitted ?? 0)).toBe(3000);
    const stored = Object.entries(tier.models).map(([name, limits]) => ({ name, ...limits }));
    expect(valueSize(stored)).toBeLessThanOrEqual(TIER_ENTRIES_MAX_BYTES + stored.length);
  });
});

describe('tierBaseline', () => {
  it('takes a model the stored tier left out as unchanged, and still compares the ones it kept', () => {
    const announced = { ...tierOf(details({ a: limited(10) }), '2026-11-19'), modelsOmitted: 1 };
    const now = details({ a: limited(20), b: limited(30) });
    const baseline = tierBaseline('acme', announced, undefined, now);
    expect(baseline?.models.b?.maxDailyGenerations).toBe(30);
    expect(baseline?.models.a?.maxDailyGenerations).toBe(10);
  });

  it('leaves a whole stored tier as it is, so an added model is a change', () => {
    const announced = tierOf(details({ a: limited(10) }), '2026-11-19');
    const baseline = tierBaseline('acme', announced, undefined, details({ a: limited(10), b: limited(30) }));
    expect(Object.keys(baseline?.models ?? {})).toEqual(['a']);
  });
});
