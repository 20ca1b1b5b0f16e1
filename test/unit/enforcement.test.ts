/**
 * The budget state pipelines enforce: which budgets stop an organization, when the state parameter is
 * rewritten (once per change, plus a slow refresh), what the gate decides, and the parameter's size bound.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeStateValue,
  encodeStateValue,
  SSM_STANDARD_VALUE_MAX_BYTES,
} from '../../functions/adapters/ssm-state.ts';
import { parseDuration } from '../../functions/cli/options.ts';
import { parseConfig } from '../../functions/config.ts';
import {
  gateVerdict,
  needsStateWrite,
  STATE_REFRESH_MS,
  stateSince,
  stopsOf,
} from '../../functions/domain/enforcement.ts';
import type { Overview } from '../../functions/domain/overview.ts';
import type { OrgStatus } from '../../functions/domain/types.ts';

const NOW = new Date('2026-11-20T10:00:00Z');

function orgWith(budgets: unknown[]) {
  const config = parseConfig(
    { organizations: [{ id: 'acme', name: 'Acme', apiKeySecretName: 'runway/acme', budgets }] },
    'test',
  );
  const org = config.organizations[0];
  if (!org) throw new Error('no organization');
  return org;
}

function overviewWith(budgets: { id: string; percent: number }[]): Overview {
  return {
    budgets: budgets.map((b) => ({ ...b, period: 'month', limitCredits: 100, spent: b.percent })),
  } as unknown as Overview;
}

function status(over: Partial<OrgStatus> = {}): OrgStatus {
  return {
    orgId: 'acme',
    state: 'ok',
    reasons: [],
    updatedAt: NOW.toISOString(),
    lastSuccessAt: NOW.toISOString(),
    ...over,
  };
}

describe('stopsOf', () => {
  const org = orgWith([
    { id: 'monthly', period: 'month', limit: { credits: 100 }, thresholds: [80, 100], stopAt: 100 },
    { id: 'daily', period: 'day', limit: { credits: 100 }, thresholds: [80], stopAt: 120 },
    { id: 'plain', period: 'month', limit: { credits: 100 }, thresholds: [80] },
  ]);

  it.each([
    { name: 'below every stop line', percents: [99.9, 119, 500], stops: [] },
    {
      name: 'exactly at the stop line (float dust included)',
      percents: [99.99999999999, 0, 0],
      stops: ['monthly'],
    },
    {
      name: 'past two stop lines, the most exceeded first',
      percents: [101, 150, 0],
      stops: ['daily', 'monthly'],
    },
    { name: 'a budget without stopAt never stops', percents: [0, 0, 1000], stops: [] },
  ])('$name', ({ percents, stops }) => {
    const overview = overviewWith([
      { id: 'monthly', percent: percents[0] ?? 0 },
      { id: 'daily', percent: percents[1] ?? 0 },
      { id: 'plain', percent: percents[2] ?? 0 },
    ]);
    expect(stopsOf(org, overview).map((s) => s.budget)).toEqual(stops);
  });

  it('says when a stop lifts on its own', () => {
    const [stop] = stopsOf(org, overviewWith([{ id: 'daily', percent: 130 }]));
    expect(stop).toMatchObject({ budget: 'daily', stopAt: 120, until: 'the UTC day ends' });
  });

  it('rejects a stopAt that is not a positive percentage, naming the path', () => {
    expect(() =>
      orgWith([{ id: 'b', period: 'month', limit: { credits: 1 }, thresholds: [80], stopAt: 0 }]),
    ).toThrow(/\$\.organizations\[0\]\.budgets\[0\]\.stopAt: stopAt must be greater than 0/);
  });
});

describe('the state parameter is written once per change', () => {
  const written = {
    state: 'ok' as const,
    since: '2026-11-19T00:00:00.000Z',
    writtenAt: '2026-11-20T09:00:00.000Z',
  };

  it('writes when nothing was written yet, and when the state or the stopping budget changes', () => {
    expect(needsStateWrite(status(), undefined, NOW)).toBe(true);
    expect(needsStateWrite(status({ state: 'warn' }), written, NOW)).toBe(true);
    expect(
      needsStateWrite(
        status({ state: 'stop', stopBudget: 'a' }),
        { ...written, state: 'stop', budget: 'b' },
        NOW,
      ),
    ).toBe(true);
  });

  it('does not write an unchanged state until the refresh interval has passed', () => {
    expect(needsStateWrite(status(), written, NOW)).toBe(false);
    const later = new Date(Date.parse(written.writtenAt) + STATE_REFRESH_MS);
    expect(needsStateWrite(status(), written, later)).toBe(true);
  });

  it('keeps the start of an unchanged state, and starts a new one on a change', () => {
    expect(stateSince(status(), written)).toBe(written.since);
    expect(stateSince(status({ state: 'stop', stopBudget: 'x' }), written)).toBe(NOW.toISOString());
  });
});

describe('gateVerdict', () => {
  const fresh = (state: OrgStatus['state']) => ({
    state,
    reasons: ['r'],
    checkedAt: '2026-11-20T09:30:00.000Z',
  });
  const hour = 3_600_000;

  it.each([
    { state: 'ok' as const, go: true },
    { state: 'warn' as const, go: true },
    { state: 'critical' as const, go: true },
    { state: 'stop' as const, go: false },
  ])('$state within the max age: go is $go', ({ state, go }) => {
    expect(gateVerdict(fresh(state), NOW, 2 * hour).go).toBe(go);
  });

  it('holds on a state older than the max age, naming it', () => {
    const verdict = gateVerdict(fresh('ok'), NOW, 15 * 60_000);
    expect(verdict).toMatchObject({
      go: false,
      why: expect.stringMatching(/older than the allowed 15 minutes/),
    });
  });

  it('holds when there is no state, and on an unreadable time', () => {
    expect(gateVerdict(undefined, NOW, hour)).toMatchObject({
      go: false,
      why: expect.stringMatching(/not run/),
    });
    expect(gateVerdict({ ...fresh('ok'), checkedAt: 'garbage' }, NOW, hour).go).toBe(false);
  });
});

describe('--max-age', () => {
  it.each([
    ['90s', 90_000],
    ['45m', 2_700_000],
    ['2h', 7_200_000],
    ['1.5d', 129_600_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '2', 'h', '-1h', '0m', '2w', '1h30m'])('"%s" is refused, naming the value', (text) => {
    expect(() => parseDuration(text)).toThrow(/--max-age must be a duration such as 90m, 2h or 1d/);
  });
});

describe('the parameter value', () => {
  it('round-trips, and stays within the standard tier with thousands of long reasons', () => {
    const value = {
      state: 'stop' as const,
      reasons: Array.from({ length: 3000 }, (_, i) => `${'m'.repeat(200)} ${i} at 90% of its daily limit`),
      updatedAt: NOW.toISOString(),
      refreshedAt: NOW.toISOString(),
      budget: 'monthly',
    };
    const text = encodeStateValue(value);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(SSM_STANDARD_VALUE_MAX_BYTES);
    const decoded = decodeStateValue('/s/state/acme', text);
    expect(decoded.state).toBe('stop');
    expect(decoded.reasons.at(-1)).toMatch(/^and \d+ more$/);
    expect(decoded.reasons.length).toBeGreaterThan(1);
  });

  it('refuses a parameter that is not a state the guard wrote', () => {
    expect(() => decodeStateValue('/s/state/acme', '{"state":"maybe"}')).toThrow(
      /does not hold a budget guard state/,
    );
    expect(() => decodeStateValue('/s/state/acme', 'nope')).toThrow(/does not hold JSON/);
  });
});
