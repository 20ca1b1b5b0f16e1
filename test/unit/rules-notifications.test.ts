/**
 * The notification rules at their edges, beyond test/unit/rules.test.ts: forecasts across month and year
 * boundaries and once per month, the anomaly baseline on short history and refund days, limits turning `null`,
 * and the digest's figures (run-out, tier-cap room, comparisons, sparkline) on the same inputs.
 */
import { describe, expect, it } from 'vitest';
import { type ConfigInput, parseConfig } from '../../functions/config.ts';
import { digestFinding } from '../../functions/domain/alerts/digest.ts';
import {
  evaluateRules,
  type Finding,
  type RuleInput,
  renderFinding,
} from '../../functions/domain/alerts/registry.ts';
import { addDays } from '../../functions/domain/dates.ts';
import { indexUsage } from '../../functions/domain/figures.ts';
import { computeOverview } from '../../functions/domain/overview.ts';
import type { ModelState, OrganizationDetails, Snapshot } from '../../functions/domain/types.ts';
import { ruleInputOf } from '../helpers/rule-input.ts';

type OrgInput = ConfigInput['organizations'][number];
type Days = Readonly<Record<string, Readonly<Record<string, number>>>>;

function steady(from: string, to: string, credits: Readonly<Record<string, number>>): Days {
  const out: Record<string, Readonly<Record<string, number>>> = {};
  for (let d = from; d <= to; d = addDays(d, 1)) out[d] = credits;
  return out;
}

function inputOf(s: {
  now: string;
  usage: Days;
  org?: Partial<OrgInput>;
  details?: Partial<OrganizationDetails>;
  historyStart?: string;
  previous?: Snapshot;
}): RuleInput {
  const config = parseConfig(
    { organizations: [{ id: 'acme', name: 'Acme', apiKeySecretName: 'runway/acme', ...s.org }] },
    'test',
  );
  return ruleInputOf(config, {
    now: new Date(s.now),
    details: { creditBalance: 1_000_000, maxMonthlyCreditSpend: 100_000_000, models: {}, ...s.details },
    usage: indexUsage(
      Object.entries(s.usage).map(([date, credits]) => ({
        date,
        credits,
        totalCredits: Object.values(credits).reduce((a, b) => a + b, 0),
      })),
    ),
    historyStart: s.historyStart ?? '2020-01-01',
    previous: s.previous,
  });
}

function ofKind<K extends Finding['kind']>(input: RuleInput, kind: K) {
  return evaluateRules(input).findings.filter((f): f is Extract<Finding, { kind: K }> => f.kind === kind);
}

const forecastBudget = (limit: number) => ({
  budgets: [
    { id: 'monthly', period: 'month' as const, limit: { credits: limit }, thresholds: [100], forecast: true },
  ],
});

describe('forecast at month boundaries', () => {
  it.each([
    // On the 1st the basis is the previous month's last 7 days; month to date is only today. At 12:00 half of
    // today is still ahead and counts.
    {
      name: 'first day of a 30-day month',
      now: '2026-11-01T12:00:00Z',
      daysLeft: 29.5,
      monthToDate: 500,
      projected: 500 + 1000 * 29.5,
    },
    {
      name: 'first day of a year (basis in December)',
      now: '2027-01-01T12:00:00Z',
      daysLeft: 30.5,
      monthToDate: 500,
      projected: 500 + 1000 * 30.5,
    },
    {
      name: 'February of a common year',
      now: '2027-02-20T12:00:00Z',
      daysLeft: 8.5,
      monthToDate: 19 * 1000 + 500,
      projected: 19_500 + 8500,
    },
    {
      name: 'February of a leap year',
      now: '2028-02-20T12:00:00Z',
      daysLeft: 9.5,
      monthToDate: 19 * 1000 + 500,
      projected: 19_500 + 9500,
    },
  ])('$name: $daysLeft days left', ({ now, daysLeft, monthToDate, projected }) => {
    const today = now.slice(0, 10);
    const usage = {
      ...steady(addDays(today, -40), addDays(today, -1), { gen: 1000 }),
      [today]: { gen: 500 },
    };
    const [finding] = ofKind(inputOf({ now, usage, org: forecastBudget(projected) }), 'forecast');
    expect(finding?.forecast).toMatchObject({ daysLeft, toDate: monthToDate, projected });
    expect(finding?.period).toBe(today.slice(0, 7));
    // It runs out within the month, never after it.
    expect(finding?.exhaustedOn?.slice(0, 7)).toBe(today.slice(0, 7));
  });

  it('on the last day of the month nothing is left to project: no forecast (the budget rule speaks)', () => {
    const usage = steady('2026-11-01', '2026-11-30', { gen: 1000 });
    const input = inputOf({ now: '2026-11-30T23:00:00Z', usage, org: forecastBudget(29_500) });
    expect(ofKind(input, 'forecast')).toEqual([]);
  });

  it('fires under one ledger identity for the whole month, and a new one next month', () => {
    const usage = steady('2026-10-01', '2026-12-31', { gen: 1000 });
    const identity = (now: string) =>
      ofKind(inputOf({ now, usage, org: forecastBudget(25_000) }), 'forecast').map(
        (f) => `${f.kind}#${f.rule}#${f.period}#${f.level}`,
      );
    expect(identity('2026-11-10T08:00:00Z')).toEqual(['forecast#monthly#2026-11#projected']);
    expect(identity('2026-11-12T08:00:00Z')).toEqual(['forecast#monthly#2026-11#projected']);
    expect(identity('2026-12-10T08:00:00Z')).toEqual(['forecast#monthly#2026-12#projected']);
  });

  it.each([
    { historyStart: '2026-11-09', fires: false },
    { historyStart: '2026-11-08', fires: false },
    { historyStart: '2026-11-07', fires: true },
  ])('short history: from $historyStart on the 10th → fires: $fires', ({ historyStart, fires }) => {
    const usage = steady('2026-11-01', '2026-11-10', { gen: 2000 });
    const input = inputOf({ now: '2026-11-10T08:00:00Z', usage, historyStart, org: forecastBudget(30_000) });
    expect(ofKind(input, 'forecast').length > 0).toBe(fires);
  });
});

describe('anomaly baseline', () => {
  const NOW = '2026-11-20T12:00:00Z';
  const TODAY = '2026-11-20';

  it.each([
    { historyStart: '2026-11-14', known: 6, fires: false },
    { historyStart: '2026-11-13', known: 7, fires: true },
  ])('short history: $known known days before today → fires: $fires', ({ historyStart, fires }) => {
    const usage = { ...steady('2026-11-01', '2026-11-19', { gen: 500 }), [TODAY]: { gen: 5000 } };
    const list = ofKind(inputOf({ now: NOW, usage, historyStart }), 'anomaly');
    expect(list.length > 0).toBe(fires);
    if (fires) expect(list[0]?.baselineFrom).toBe(historyStart);
  });

  it('a full baseline is the 14 days before the day', () => {
    const usage = { ...steady('2026-10-01', '2026-11-19', { gen: 500 }), [TODAY]: { gen: 5000 } };
    const [finding] = ofKind(inputOf({ now: NOW, usage }), 'anomaly');
    expect(finding).toMatchObject({ baselineFrom: '2026-11-06', median: 500, spend: 5000 });
    const text = renderFinding(finding as Finding, ctx()).text.replace(/\s+/g, ' ');
    expect(text).toContain('the median of the 14 days Fri 6 – Thu 19 Nov 2026');
  });

  it('a refund day in the baseline is a low day, not a reason to fire', () => {
    // One refund among 14 days moves the median only a little: 1 200 is not over 3 × 500.
    const usage = {
      ...steady('2026-11-06', '2026-11-19', { gen: 500 }),
      '2026-11-12': { gen: -4000 },
      [TODAY]: { gen: 1200 },
    };
    expect(ofKind(inputOf({ now: NOW, usage }), 'anomaly')).toEqual([]);
  });

  it('a refund day itself (negative net spend) is never an anomaly', () => {
    const usage = { ...steady('2026-11-06', '2026-11-19', { gen: 500 }), [TODAY]: { gen: -9000 } };
    expect(ofKind(inputOf({ now: NOW, usage }), 'anomaly')).toEqual([]);
  });
});

const limits = (daily: number | null, concurrent: number | null = 5): ModelState => ({
  maxConcurrentGenerations: concurrent,
  maxDailyGenerations: daily,
  dailyGenerations: 900,
});

function snapshot(models: Record<string, ModelState>): Snapshot {
  return {
    orgId: 'acme',
    date: '2026-11-19',
    fetchedAt: '2026-11-19T08:00:00.000Z',
    creditBalance: 1_000_000,
    maxMonthlyCreditSpend: 100_000_000,
    models,
    monthToDateCredits: 0,
    rolling30dCredits: 0,
    forecastMonthCredits: null,
  };
}

describe('limits turning null', () => {
  it.each([
    { name: 'a daily limit lifted to unlimited is good news', before: 1000, after: null, severity: 'info' },
    {
      name: 'an unlimited model gets a daily limit: less room',
      before: null,
      after: 1000,
      severity: 'warning',
    },
  ])('$name', ({ before, after, severity }) => {
    const input = inputOf({
      now: '2026-11-20T08:00:00Z',
      usage: {},
      details: { models: { gen: limits(after) } },
      previous: snapshot({ gen: limits(before) }),
    });
    const [change] = ofKind(input, 'tier-change');
    expect(change).toMatchObject({ severity, changes: [{ what: 'gen daily limit', before, after }] });
    const text = renderFinding(change as Finding, ctx()).text;
    expect(text).toContain(severity === 'info' ? 'Good news' : 'LESS ROOM');
    expect(text).toMatch(/gen daily limit +(1,000 +unlimited|unlimited +1,000)/);
  });

  it('a limit turning null stops the daily-quota alert for that model', () => {
    const at = (daily: number | null) =>
      ofKind(
        inputOf({ now: '2026-11-20T08:00:00Z', usage: {}, details: { models: { gen: limits(daily) } } }),
        'daily-quota',
      );
    expect(at(1000).map((f) => f.level)).toEqual(['80']);
    expect(at(null)).toEqual([]);
  });
});

function ctx() {
  return { orgId: 'acme', orgName: 'Acme', usdPerCredit: 0.01, now: new Date('2026-11-20T09:00:00Z') };
}

describe('the digest on the same inputs', () => {
  // Across a month boundary: today is 2 Dec; yesterday 1 Dec, the day before 30 Nov, a week earlier 24 Nov.
  const NOW = '2026-12-02T09:00:00Z';
  const usage: Days = {
    ...steady('2026-11-01', '2026-12-01', { gen: 1000, veo: 1000 }),
    '2026-11-30': { gen: 1000, veo: 2000 },
    '2026-11-24': { gen: 500, veo: 500 },
    '2026-11-25': { gen: -3000 },
    '2026-12-02': { gen: 300 },
  };

  function digestOf(over: Partial<OrganizationDetails>) {
    const input = inputOf({
      now: NOW,
      usage,
      org: { lowBalance: { credits: 10_000, days: 3 } },
      details: { maxMonthlyCreditSpend: 100_000, ...over },
    });
    const overview = computeOverview(input);
    return {
      overview,
      message: renderFinding(digestFinding(overview, []), { ...ctx(), now: new Date(NOW) }),
    };
  }

  it('compares yesterday with the day before and the same weekday a week earlier, across months', () => {
    const { overview, message } = digestOf({ creditBalance: 50_000 });
    expect(overview.comparison).toEqual({
      yesterday: { date: '2026-12-01', credits: 2000 },
      dayBefore: { date: '2026-11-30', credits: 3000 },
      sameDayLastWeek: { date: '2026-11-24', credits: 1000 },
    });
    expect(message.text).toMatch(/Yesterday \(Tue 1 Dec\) +\$20\.00 +2,000\n/);
    expect(message.text).toMatch(/Day before \(Mon 30 Nov\) +\$30\.00 +3,000 +-33%\n/);
    expect(message.text).toMatch(/Same day last week \(Tue 24 Nov\) +\$10\.00 +1,000 +\+100%\n/);
  });

  it('draws the refund day as the lowest bar of the 14-day sparkline', () => {
    const { overview, message } = digestOf({ creditBalance: 50_000 });
    expect(overview.last14.from).toBe('2026-11-18');
    expect(overview.last14.values[7]).toBe(-3000);
    expect(message.text).toContain('Last 14 days  ▆▆▆▆▆▆▃▁▆▆▆▆█▆  Wed 18 Nov – Tue 1 Dec 2026');
    expect(message.text).toContain('low -$30.00, high $30.00 a day');
  });

  it.each([
    // 30 days × the mean burn, plus the floor, minus the balance; the cap's room is 100 000 − used in 30 days.
    { balance: 50_000, enough: true },
    { balance: 1_000, enough: false },
  ])('says whether the tier cap lets you buy enough (balance $balance)', ({ balance, enough }) => {
    const { overview, message } = digestOf({ creditBalance: balance });
    const { creditsNeeded, capLeft } = overview.balance;
    expect(message.json).toMatchObject({
      creditsNeeded,
      capLeftCredits: capLeft,
      capAllowsTopUp: creditsNeeded <= capLeft,
      runsOutOn: overview.balance.runsOutOn,
    });
    expect(creditsNeeded <= capLeft).toBe(enough);
    expect(message.text.replace(/\s+/g, ' ')).toContain(enough ? 'enough for that purchase' : 'NOT enough');
    // The burn is the mean of 25 Nov – 1 Dec: (−3 000 + 4 × 2 000 + 3 000 + 2 000) / 7 ≈ 1 428.57 a day. From
    // 09:00, 1 000 credits last 16.8 hours: into the next day.
    expect(message.text).toContain(
      `Runs out        about ${enough ? 'Wed 6 Jan 2027: 35 days' : 'Thu 3 Dec 2026: less than a day'}`,
    );
  });
});
