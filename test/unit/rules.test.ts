/**
 * The alert rules as pure functions: table-driven cases at UTC day and month edges, refunds, unlimited
 * (`null`) Runway limits, several thresholds at once, and each rule's own semantics.
 */
import { describe, expect, it } from 'vitest';
import { type Config, type ConfigInput, parseConfig } from '../../functions/config.ts';
import {
  type AnomalyFinding,
  type BalanceFinding,
  type BudgetFinding,
  type DailyQuotaFinding,
  evaluateRules,
  type Finding,
  type ForecastFinding,
  type RuleInput,
  type TierCapFinding,
  type TierChangeFinding,
} from '../../functions/domain/alerts/registry.ts';
import { addDays } from '../../functions/domain/dates.ts';
import { indexUsage } from '../../functions/domain/figures.ts';
import {
  alertKey,
  type BalanceEpisode,
  type ModelState,
  type OrganizationDetails,
  type Snapshot,
  type UsageDay,
} from '../../functions/domain/types.ts';
import { ruleInputOf } from '../helpers/rule-input.ts';

type OrgInput = ConfigInput['organizations'][number];
type BudgetInput = NonNullable<OrgInput['budgets']>[number];
type DayCredits = Readonly<Record<string, number>>;
/** it.each tables infer unions of literal shapes; this widens them back to usage data. */
type Days = Readonly<Record<string, DayCredits>>;

/** A config with one organization, validated by the real schema (so defaults apply as in production). */
function configWith(org: Partial<OrgInput> = {}, rest: Partial<Omit<ConfigInput, 'organizations'>> = {}) {
  return parseConfig(
    {
      organizations: [{ id: 'acme', name: 'Acme', apiKeySecretName: 'runway/acme', ...org }],
      ...rest,
    },
    'test',
  );
}

function usage(days: Readonly<Record<string, DayCredits>>) {
  const list: UsageDay[] = Object.entries(days).map(([date, credits]) => ({
    date,
    credits,
    totalCredits: Object.values(credits).reduce((a, b) => a + b, 0),
  }));
  return indexUsage(list);
}

/** The same credits on every day of `[from, to]`. */
function steady(from: string, to: string, credits: DayCredits): Record<string, DayCredits> {
  const out: Record<string, DayCredits> = {};
  for (let d = from; d <= to; d = addDays(d, 1)) out[d] = credits;
  return out;
}

function details(overrides: Partial<OrganizationDetails> = {}): OrganizationDetails {
  return { creditBalance: 1_000_000, maxMonthlyCreditSpend: 100_000_000, models: {}, ...overrides };
}

interface Scenario {
  readonly now: string;
  readonly org?: Partial<OrgInput>;
  readonly rest?: Partial<Omit<ConfigInput, 'organizations'>>;
  readonly usage?: Readonly<Record<string, DayCredits>>;
  readonly details?: Partial<OrganizationDetails>;
  readonly historyStart?: string;
  readonly previous?: Snapshot;
  readonly balanceEpisode?: BalanceEpisode;
}

function inputOf(s: Scenario): RuleInput {
  const config = configWith(s.org, s.rest);
  return ruleInputOf(config, {
    now: new Date(s.now),
    details: details(s.details),
    usage: usage(s.usage ?? {}),
    historyStart: s.historyStart ?? '2020-01-01',
    previous: s.previous,
    balanceEpisode: s.balanceEpisode,
  });
}

function findings(s: Scenario): readonly Finding[] {
  return evaluateRules(inputOf(s)).findings;
}

function ofKind<K extends Finding['kind']>(list: readonly Finding[], kind: K) {
  return list.filter((f): f is Extract<Finding, { kind: K }> => f.kind === kind);
}

const monthBudget = (over: Partial<BudgetInput> = {}): BudgetInput => ({
  id: 'monthly',
  period: 'month',
  limit: { credits: 1000 },
  thresholds: [80, 100],
  ...over,
});
/** The month budget's thresholds on a 100-credit day. */
const dayBudget = (over: Partial<BudgetInput> = {}): BudgetInput =>
  monthBudget({ id: 'daily', period: 'day', limit: { credits: 100 }, ...over });

function budgetsOf(s: Scenario): BudgetFinding[] {
  return ofKind(findings(s), 'budget');
}

describe('budget: UTC period edges', () => {
  const lateNovember = { '2026-11-29': { gen: 400 }, '2026-11-30': { gen: 450 }, '2026-12-01': { gen: 90 } };
  /** A case's check: at `now`, `budget` over late November has one finding at `level` for `period`, or none. */
  const atEdge =
    (budget: BudgetInput) =>
    ({ now, level, period, spent }: { now: string; level?: string; period?: string; spent?: number }) => {
      const [finding] = budgetsOf({ now, org: { budgets: [budget] }, usage: lateNovember });
      expect(finding?.level).toBe(level);
      expect(finding?.period).toBe(period);
      expect(finding?.spent).toBe(spent);
    };

  it.each([
    // The last minute of November counts all of November: 850 of 1000.
    { now: '2026-11-30T23:59:00Z', level: '80', period: '2026-11', spent: 850 },
    { now: '2026-11-30T23:59:59.999Z', level: '80', period: '2026-11', spent: 850 },
    // One minute later the month budget starts again from December's spend (90 of 1000).
    { now: '2026-12-01T00:00:00Z', level: undefined, period: undefined, spent: undefined },
  ])('month budget at $now → level $level', atEdge(monthBudget()));

  it.each([
    // Only the UTC day of `now` counts: 450 on the 30th, 90 on the 1st, against a 100-credit day.
    { now: '2026-11-30T23:59:00Z', level: '100', period: '2026-11-30', spent: 450 },
    { now: '2026-12-01T00:00:00Z', level: '80', period: '2026-12-01', spent: 90 },
    { now: '2026-12-01T12:00:00+05:00', level: '80', period: '2026-12-01', spent: 90 },
    // 2026-12-02 has no usage yet: nothing, however high the day before was.
    { now: '2026-12-02T00:00:00Z', level: undefined, period: undefined, spent: undefined },
  ])('day budget at $now → level $level on $period', atEdge(dayBudget()));

  it('a year boundary starts the month budget again (Dec 31 vs Jan 1)', () => {
    const data = { '2026-12-31': { gen: 2000 }, '2027-01-01': { gen: 10 } };
    const budgets = [monthBudget()];
    expect(budgetsOf({ now: '2026-12-31T23:59:00Z', org: { budgets }, usage: data })[0]?.period).toBe(
      '2026-12',
    );
    expect(budgetsOf({ now: '2027-01-01T00:00:00Z', org: { budgets }, usage: data })).toEqual([]);
  });

  it('a month budget reports the period start and the day the threshold was crossed', () => {
    const [finding] = budgetsOf({
      now: '2026-11-20T10:00:00Z',
      org: { budgets: [monthBudget({ thresholds: [50, 80] })] },
      usage: { '2026-11-02': { gen: 300 }, '2026-11-09': { gen: 300 }, '2026-11-15': { gen: 300 } },
    });
    expect(finding).toMatchObject({ periodStart: '2026-11-01', level: '80', crossedOn: '2026-11-15' });
  });
});

describe('budget: negative amounts (refunds)', () => {
  it.each<{ name: string; days: Days; level?: string; spent?: number }>([
    { name: 'charges only', days: { '2026-11-02': { gen: 900 } }, level: '80', spent: 900 },
    {
      name: 'a refund lowers net spend below the line',
      days: { '2026-11-02': { gen: 900 }, '2026-11-03': { gen: -200 } },
      level: undefined,
      spent: undefined,
    },
    {
      name: 'a refund of one model offsets another model',
      days: { '2026-11-02': { gen: 700, veo: 400, act: -300 } },
      level: '80',
      spent: 800,
    },
    {
      name: 'a refund-only month',
      days: { '2026-11-03': { gen: -500 } },
      level: undefined,
      spent: undefined,
    },
  ])('$name → level $level', ({ days, level, spent }) => {
    const [finding] = budgetsOf({
      now: '2026-11-10T00:00:00Z',
      org: { budgets: [monthBudget()] },
      usage: days,
    });
    expect(finding?.level).toBe(level);
    expect(finding?.spent).toBe(spent);
  });

  it('a day whose net spend is negative fires no daily budget and keeps the month figure right', () => {
    const s: Scenario = {
      now: '2026-11-10T18:00:00Z',
      org: { budgets: [dayBudget(), monthBudget()] },
      usage: { '2026-11-09': { gen: 850 }, '2026-11-10': { gen: 40, veo: -60 } },
    };
    const list = budgetsOf(s);
    expect(list.map((f) => f.rule)).toEqual(['monthly']);
    expect(list[0]).toMatchObject({ spent: 830, level: '80' });
  });

  it('crossedOn follows net spend: a refund after the crossing does not move it, a later charge sets it', () => {
    const [finding] = budgetsOf({
      now: '2026-11-10T00:00:00Z',
      org: { budgets: [monthBudget({ thresholds: [80] })] },
      usage: { '2026-11-02': { gen: 700 }, '2026-11-03': { gen: -100 }, '2026-11-04': { gen: 250 } },
    });
    expect(finding).toMatchObject({ spent: 850, crossedOn: '2026-11-04' });
  });
});

describe('budget: several thresholds at once', () => {
  it.each([
    { spent: 499, level: undefined, covers: undefined, severity: undefined },
    { spent: 500, level: '50', covers: [], severity: 'warning' },
    { spent: 850, level: '80', covers: ['50'], severity: 'warning' },
    { spent: 1000, level: '100', covers: ['50', '80'], severity: 'critical' },
    { spent: 5000, level: '100', covers: ['50', '80'], severity: 'critical' },
  ])('$spent of 1000 → one finding at $level covering $covers', ({ spent, level, covers, severity }) => {
    const list = budgetsOf({
      now: '2026-11-10T00:00:00Z',
      // Given out of order on purpose: the schema sorts them.
      org: { budgets: [monthBudget({ thresholds: [100, 50, 80] })] },
      usage: { '2026-11-05': { gen: spent } },
    });
    expect(list.length).toBe(level === undefined ? 0 : 1);
    expect(list[0]?.level).toBe(level);
    expect(list[0]?.covers).toEqual(covers);
    expect(list[0]?.severity).toBe(severity);
  });

  it('names the next threshold, none above the highest', () => {
    const at = (spent: number) =>
      budgetsOf({
        now: '2026-11-10T00:00:00Z',
        org: { budgets: [monthBudget({ thresholds: [50, 80, 100] })] },
        usage: { '2026-11-05': { gen: spent } },
      })[0];
    expect(at(600)?.nextThreshold).toBe(80);
    expect(at(1200)?.nextThreshold).toBeUndefined();
  });

  it('float dust is not a crossing, an exact sum is', () => {
    const at = (credits: DayCredits) =>
      budgetsOf({
        now: '2026-11-10T00:00:00Z',
        org: { budgets: [monthBudget({ limit: { credits: 1 }, thresholds: [30] })] },
        usage: { '2026-11-05': credits },
      });
    // 0.1 + 0.2 = 0.30000000000000004 in floating point; 0.3 exactly is 30%.
    expect(at({ a: 0.1, b: 0.2 })[0]?.level).toBe('30');
    expect(at({ a: 0.1, b: 0.19 })).toEqual([]);
  });
});

describe('budget: scope and units', () => {
  const data = { '2026-11-05': { 'veo3.1': 600, 'gen4.5': 300, act_two: -50 } };

  it.each([
    { name: 'total', model: undefined, spent: 850, byModel: ['veo3.1', 'gen4.5', 'act_two'] },
    { name: 'model veo3.1', model: 'veo3.1', spent: 600, byModel: ['veo3.1'] },
    { name: 'a model with no usage', model: 'gen4_image', spent: undefined, byModel: undefined },
  ])('$name budget counts only its scope', ({ model, spent, byModel }) => {
    const [finding] = budgetsOf({
      now: '2026-11-10T00:00:00Z',
      org: { budgets: [monthBudget({ model, thresholds: [50] })] },
      usage: data,
    });
    expect(finding?.spent).toBe(spent);
    expect(finding?.byModel.map((m) => m.model)).toEqual(byModel);
  });

  it.each([
    { limit: { credits: 1000 }, usdPerCredit: undefined, limitCredits: 1000, level: '80' },
    { limit: { usd: 10 }, usdPerCredit: undefined, limitCredits: 1000, level: '80' },
    { limit: { usd: 10 }, usdPerCredit: 0.02, limitCredits: 500, level: '100' },
    { limit: { usd: 9 }, usdPerCredit: 0.01, limitCredits: 900, level: '100' },
    { limit: { usd: 12.5 }, usdPerCredit: 0.01, limitCredits: 1250, level: undefined },
  ])(
    'limit $limit at $usdPerCredit $/credit is $limitCredits credits',
    ({ limit, usdPerCredit, limitCredits, level }) => {
      const [finding] = budgetsOf({
        now: '2026-11-10T00:00:00Z',
        org: { budgets: [monthBudget({ limit })] },
        rest: usdPerCredit === undefined ? {} : { usdPerCredit },
        usage: { '2026-11-05': { gen: 900 } },
      });
      expect(finding?.level).toBe(level);
      if (finding) expect(finding.limitCredits).toBe(limitCredits);
    },
  );

  it('a budget id with "#" cannot break the ledger key', () => {
    // The schema forbids it, but the ledger key encodes it anyway; check it on a hand-built budget.
    const input = inputOf({ now: '2026-11-10T00:00:00Z', usage: { '2026-11-05': { gen: 900 } } });
    const org = { ...input.org, budgets: [{ ...monthBudget(), id: 'a#b', forecast: undefined }] };
    const [finding] = ofKind(evaluateRules({ ...input, org } as RuleInput).findings, 'budget');
    expect(finding?.rule).toBe('a#b');
    expect(finding && alertKey(finding)).toBe('budget#a%23b#2026-11#80');
  });
});

describe('tier-cap: while purchases are not yet known, credits used in the last 30 days, today included', () => {
  it.each<{ name: string; days: Days; level?: string }>([
    // 2026-11-20 back 29 days is 2026-10-22.
    { name: 'spend 29 days back counts', days: { '2026-10-22': { gen: 800 } }, level: '80' },
    { name: 'spend 30 days back does not', days: { '2026-10-21': { gen: 800 } }, level: undefined },
    { name: 'today counts', days: { '2026-11-20': { gen: 960 } }, level: '95' },
    {
      name: 'refunds lower it',
      days: { '2026-11-01': { gen: 900 }, '2026-11-02': { gen: -150 } },
      level: undefined,
    },
    { name: 'at the cap', days: { '2026-11-01': { gen: 1000 } }, level: '100' },
  ])('$name → $level', ({ days, level }) => {
    const list = ofKind(
      findings({
        now: '2026-11-20T12:00:00Z',
        usage: days,
        details: { maxMonthlyCreditSpend: 1000 },
      }),
      'tier-cap',
    );
    expect(list[0]?.level).toBe(level);
  });

  it('one finding for the highest threshold, lower ones covered; critical at 100', () => {
    const [finding] = ofKind(
      findings({
        now: '2026-11-20T12:00:00Z',
        usage: { '2026-11-01': { gen: 1200 } },
        details: { maxMonthlyCreditSpend: 1000 },
      }),
      'tier-cap',
    ) as TierCapFinding[];
    expect(finding).toMatchObject({
      level: '100',
      covers: ['80', '95'],
      severity: 'critical',
      period: '2026-11',
      from: '2026-10-22',
      // No purchases watched yet: credits used stand in.
      basis: 'usage',
      counted: 1200,
      cap: 1000,
    });
  });

  it('a zero cap gives no ratio and no finding', () => {
    const list = findings({
      now: '2026-11-20T12:00:00Z',
      usage: { '2026-11-01': { gen: 1200 } },
      details: { maxMonthlyCreditSpend: 0 },
    });
    expect(ofKind(list, 'tier-cap')).toEqual([]);
  });
});

describe('daily-quota: null limits are unlimited', () => {
  const model = (max: number | null, used: number): ModelState => ({
    maxConcurrentGenerations: max === null ? null : 5,
    maxDailyGenerations: max,
    dailyGenerations: used,
  });

  it.each([
    { max: null, used: 1_000_000, level: undefined, covers: undefined },
    { max: 0, used: 10, level: undefined, covers: undefined },
    { max: 1000, used: 799, level: undefined, covers: undefined },
    { max: 1000, used: 800, level: '80', covers: [] },
    { max: 1000, used: 1000, level: '100', covers: ['80'] },
    { max: 1000, used: 1500, level: '100', covers: ['80'] },
  ])('limit $max, used $used → $level', ({ max, used, level, covers }) => {
    const list = ofKind(
      findings({ now: '2026-11-20T12:00:00Z', details: { models: { 'gen4.5': model(max, used) } } }),
      'daily-quota',
    ) as DailyQuotaFinding[];
    expect(list.length).toBe(level === undefined ? 0 : 1);
    expect(list[0]?.level).toBe(level);
    expect(list[0]?.covers).toEqual(covers);
    if (list[0]) {
      expect(list[0]).toMatchObject({ rule: 'gen4.5', period: '2026-11-20', model: 'gen4.5', limit: max });
      expect(Number.isFinite(list[0].percent)).toBe(true);
    }
  });

  it('each model is judged on its own; the period is the UTC day of now', () => {
    const list = ofKind(
      findings({
        now: '2026-11-30T23:59:00Z',
        details: {
          models: {
            'gen4.5': model(1000, 900),
            'veo3.1': model(1000, 1000),
            magnific: model(null, 99_999),
            act_two: model(null, 3),
          },
        },
      }),
      'daily-quota',
    );
    expect(list.map((f) => [f.rule, f.level, f.period, f.severity])).toEqual([
      ['veo3.1', '100', '2026-11-30', 'critical'],
      ['gen4.5', '80', '2026-11-30', 'warning'],
    ]);
  });

  it('uses the configured thresholds, and states the percent in its summary as the subject does', () => {
    const list = ofKind(
      findings({
        now: '2026-11-20T12:00:00Z',
        rest: { dailyQuotaThresholds: [50, 90] },
        details: { models: { 'gen4.5': model(100, 57) } },
      }),
      'daily-quota',
    );
    expect(list[0]?.level).toBe('50');
    // 57 of 100 is 57%, not the float 56.99… floored.
    expect(list.map((f) => f.summary)).toEqual(['gen4.5 at 57% of its daily generation limit']);
  });
});

describe('balance: floors and episodes', () => {
  const NOW = '2026-11-20T09:15:00Z';
  // 1000 credits a day for the 7 complete days before the 20th.
  const burn = steady('2026-11-13', '2026-11-19', { gen: 1000 });

  function balance(s: Omit<Scenario, 'now'> & { now?: string }) {
    const evaluation = evaluateRules(inputOf({ now: NOW, usage: burn, ...s }));
    return {
      finding: ofKind(evaluation.findings, 'balance')[0] as BalanceFinding | undefined,
      episode: evaluation.balanceEpisode,
    };
  }

  it.each([
    { balance: 400, left: 'less than a day' },
    { balance: 1500, left: '1 day' },
    { balance: 3000, left: '3 days' },
  ])(
    'says how long $balance credits last at 1,000 a day as the message does: $left',
    ({ balance: b, left }) => {
      const { finding } = balance({ org: { lowBalance: { credits: 5000 } }, details: { creditBalance: b } });
      expect(finding?.summary).toBe(`credit balance below its floor (${left} of spend left)`);
    },
  );

  /** A run at `now` with `creditBalance` against a 5000-credit floor, after a run that left `balanceEpisode`. */
  const runAt = (now: string, creditBalance: number, balanceEpisode?: BalanceEpisode) =>
    balance({ now, org: { lowBalance: { credits: 5000 } }, details: { creditBalance }, balanceEpisode });

  it.each([
    { name: 'above both floors', balance: 9000, floor: { credits: 5000, days: 7 }, breached: undefined },
    { name: 'below the credits floor', balance: 4999, floor: { credits: 5000 }, breached: ['credits'] },
    { name: 'at the credits floor', balance: 5000, floor: { credits: 5000 }, breached: undefined },
    { name: 'below 7 days of spend', balance: 6999, floor: { days: 7 }, breached: ['days'] },
    { name: 'below both', balance: 3000, floor: { credits: 5000, days: 7 }, breached: ['credits', 'days'] },
    { name: 'negative balance', balance: -50, floor: { credits: 0 }, breached: ['credits'] },
    { name: 'no floors configured', balance: 0, floor: undefined, breached: undefined },
  ])('$name → $breached', ({ balance: creditBalance, floor, breached }) => {
    const { finding, episode } = balance({
      org: floor ? { lowBalance: floor } : {},
      details: { creditBalance },
    });
    expect(finding?.breached).toEqual(breached);
    if (breached) {
      expect(finding).toMatchObject({
        severity: 'critical',
        level: 'critical',
        period: '2026-11-20T09:15:00.000Z',
      });
      expect(episode).toEqual({ since: '2026-11-20T09:15:00.000Z' });
    } else expect(episode).toBeUndefined();
  });

  it('reports days left, the run-out day and what to buy', () => {
    const { finding } = balance({ org: { lowBalance: { days: 7 } }, details: { creditBalance: 3500 } });
    expect(finding?.burn).toMatchObject({
      meanDaily: 1000,
      basisDays: 7,
      from: '2026-11-13',
      to: '2026-11-19',
    });
    expect(finding?.daysLeft).toBe(3.5);
    expect(finding?.runsOutOn).toBe('2026-11-23');
    // max(7 days × 1000) + 30 days × 1000 − 3500.
    expect(finding?.creditsNeeded).toBe(33_500);
  });

  it('with no recent spend the days floor cannot be breached and days left is unknown', () => {
    const { finding } = balance({
      usage: {},
      org: { lowBalance: { credits: 100, days: 7 } },
      details: { creditBalance: 50 },
    });
    expect(finding?.breached).toEqual(['credits']);
    expect(finding?.daysLeft).toBeUndefined();
    expect(finding?.runsOutOn).toBeUndefined();
  });

  it('the burn rate only counts days the history covers', () => {
    // Known from the 18th: 2 complete days at 1000, not 7.
    const { finding } = balance({
      historyStart: '2026-11-18',
      org: { lowBalance: { days: 7 } },
      details: { creditBalance: 6000 },
    });
    expect(finding?.burn).toMatchObject({ basisDays: 2, meanDaily: 1000 });
  });

  it('an episode fires once, stays quiet while low, re-arms after the balance recovers', () => {
    // 1. Drops below: a new episode keyed by the instant of the run that opened it.
    const first = runAt(NOW, 4000);
    expect(first.episode).toEqual({ since: '2026-11-20T09:15:00.000Z' });
    // 2. Hours later, still low: same ledger period (the ledger dedupes it), episode kept.
    const later = runAt('2026-11-21T15:00:00Z', 3000, first.episode);
    expect(later.finding?.period).toBe(first.finding?.period);
    expect(later.episode).toEqual(first.episode);
    // 3. Recovered: no finding, the episode closes.
    const recovered = runAt('2026-11-22T08:00:00Z', 9000, first.episode);
    expect(recovered.finding).toBeUndefined();
    expect(recovered.episode).toBeUndefined();
    // 4. Low again: a new episode, so a new ledger key and a new alert.
    const again = runAt('2026-11-23T10:30:00Z', 100);
    expect(again.finding?.period).toBe('2026-11-23T10:30:00.000Z');
    expect(again.finding?.period).not.toBe(first.finding?.period);
  });

  it('low, topped up and low again within the same hour is a second episode with its own ledger key', () => {
    const first = runAt('2026-11-20T09:00:00Z', 4000);
    const topped = runAt('2026-11-20T09:20:00Z', 9000, first.episode);
    expect(topped.episode).toBeUndefined();
    const again = runAt('2026-11-20T09:40:00Z', 4000);
    expect(again.finding).toBeDefined();
    const key = (f: typeof first.finding) => f && alertKey(f);
    expect(key(again.finding)).not.toBe(key(first.finding));
  });
});

describe('tier-change', () => {
  const NOW = '2026-11-20T10:00:00Z';
  const limits = (daily: number | null, concurrent: number | null = 5): ModelState => ({
    maxDailyGenerations: daily,
    maxConcurrentGenerations: concurrent,
    dailyGenerations: 0,
  });
  const previous = (over: Partial<Snapshot> = {}): Snapshot => ({
    orgId: 'acme',
    date: '2026-11-19',
    fetchedAt: '2026-11-19T10:00:00.000Z',
    creditBalance: 1_000_000,
    maxMonthlyCreditSpend: 100_000,
    models: { 'gen4.5': limits(1000) },
    monthToDateCredits: 0,
    rolling30dCredits: 0,
    forecastMonthCredits: null,
    ...over,
  });
  const change = (prev: Snapshot | undefined, now: Partial<OrganizationDetails>) =>
    ofKind(findings({ now: NOW, previous: prev, details: now }), 'tier-change')[0] as
      | TierChangeFinding
      | undefined;

  it.each([
    {
      name: 'cap raised',
      now: { maxMonthlyCreditSpend: 500_000, models: { 'gen4.5': limits(1000) } },
      severity: 'info',
      changes: [{ what: 'tier cap (credits per 30 days)', before: 100_000, after: 500_000, better: true }],
    },
    {
      name: 'cap lowered',
      now: { maxMonthlyCreditSpend: 50_000, models: { 'gen4.5': limits(1000) } },
      severity: 'warning',
      changes: [{ what: 'tier cap (credits per 30 days)', before: 100_000, after: 50_000, better: false }],
    },
    {
      name: 'a daily limit lowered',
      now: { maxMonthlyCreditSpend: 100_000, models: { 'gen4.5': limits(500) } },
      severity: 'warning',
      changes: [{ what: 'gen4.5 daily limit', before: 1000, after: 500, better: false }],
    },
    {
      name: 'unlimited becomes a number (less room)',
      prev: { models: { 'gen4.5': limits(null) } },
      now: { maxMonthlyCreditSpend: 100_000, models: { 'gen4.5': limits(2000) } },
      severity: 'warning',
      changes: [{ what: 'gen4.5 daily limit', before: null, after: 2000, better: false }],
    },
    {
      name: 'a number becomes unlimited (more room)',
      now: { maxMonthlyCreditSpend: 100_000, models: { 'gen4.5': limits(null) } },
      severity: 'info',
      changes: [{ what: 'gen4.5 daily limit', before: 1000, after: null, better: true }],
    },
    {
      name: 'concurrency raised',
      now: { maxMonthlyCreditSpend: 100_000, models: { 'gen4.5': limits(1000, 10) } },
      severity: 'info',
      changes: [{ what: 'gen4.5 concurrency', before: 5, after: 10, better: true }],
    },
    {
      name: 'a model added to the tier',
      now: { maxMonthlyCreditSpend: 100_000, models: { 'gen4.5': limits(1000), 'veo3.1': limits(300) } },
      severity: 'info',
      changes: [{ what: 'veo3.1 daily limit', before: 'absent', after: 300, better: true }],
    },
    {
      name: 'a model removed from the tier',
      now: { maxMonthlyCreditSpend: 100_000, models: {} },
      severity: 'warning',
      changes: [{ what: 'gen4.5 daily limit', before: 1000, after: 'absent', better: false }],
    },
  ])('$name → $severity', ({ prev, now, severity, changes }) => {
    const finding = change(
      previous(prev as Partial<Snapshot> | undefined),
      now as Partial<OrganizationDetails>,
    );
    expect(finding?.severity).toBe(severity);
    expect(finding?.changes).toEqual(changes);
    // The period is the compared tier's day: the same change found again on a later day is the same ledger item.
    expect(finding).toMatchObject({ rule: 'tier', period: '2026-11-19', previousDate: '2026-11-19' });
  });

  it('nothing without a previous snapshot, nothing when unchanged', () => {
    const same = { maxMonthlyCreditSpend: 100_000, models: { 'gen4.5': limits(1000) } };
    expect(change(undefined, same)).toBeUndefined();
    expect(change(previous(), same)).toBeUndefined();
    // A model Runway lists only in usage (no limits) appearing is not a tier change.
    expect(
      change(previous(), {
        ...same,
        models: { ...same.models, act_two: { ...limits(null, null), inTier: false } },
      }),
    ).toBeUndefined();
    // Nor is a change of today's generations.
    expect(
      change(previous(), { ...same, models: { 'gen4.5': { ...limits(1000), dailyGenerations: 700 } } }),
    ).toBeUndefined();
  });

  it('distinct changes get distinct ledger levels; the same change gets the same one', () => {
    const a = change(previous(), { maxMonthlyCreditSpend: 500_000, models: { 'gen4.5': limits(1000) } });
    const a2 = change(previous(), { maxMonthlyCreditSpend: 500_000, models: { 'gen4.5': limits(1000) } });
    const b = change(previous(), { maxMonthlyCreditSpend: 600_000, models: { 'gen4.5': limits(1000) } });
    expect(a?.level).toBe(a2?.level);
    expect(a?.level).not.toBe(b?.level);
    expect(a?.level).toMatch(/^[0-9a-z]+$/);
  });

  it('several changes make one finding, a warning when any gives less room', () => {
    const finding = change(previous(), { maxMonthlyCreditSpend: 500_000, models: { 'gen4.5': limits(10) } });
    expect(finding?.changes.map((c) => c.better)).toEqual([true, false]);
    expect(finding?.severity).toBe('warning');
  });
});

describe('anomaly', () => {
  const NOW = '2026-11-20T12:00:00Z';
  const TODAY = '2026-11-20';
  const baseline = (credits: DayCredits) => steady('2026-11-06', '2026-11-19', credits);

  function anomalies(days: Record<string, DayCredits>, s: Partial<Scenario> = {}): AnomalyFinding[] {
    return ofKind(findings({ now: NOW, usage: days, ...s }), 'anomaly');
  }

  it.each([
    { name: 'over 3× the median and the floor', today: 3001, base: 1000, fires: true },
    { name: 'exactly 3× the median', today: 3000, base: 1000, fires: false },
    { name: '9× the median but under the 1000-credit floor', today: 900, base: 100, fires: false },
    { name: 'just over the floor and 3×', today: 1001, base: 300, fires: true },
  ])('$name → fires: $fires', ({ today, base, fires }) => {
    const list = anomalies({ ...baseline({ gen: base }), [TODAY]: { gen: today } });
    expect(list.length > 0).toBe(fires);
    if (fires) {
      expect(list[0]).toMatchObject({
        rule: 'total',
        period: TODAY,
        level: 'spike',
        severity: 'warning',
        scope: 'total',
        spend: today,
        median: base,
        multiple: 3,
        floorCredits: 1000,
      });
    }
  });

  it('a total spike names the model that drove it, and is one finding (not one per model)', () => {
    const list = anomalies({
      ...baseline({ gen: 500, veo: 500 }),
      [TODAY]: { gen: 500, veo: 3000 },
    });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ rule: 'total', driver: { model: 'veo', spend: 3000, median: 500 } });
  });

  it('one model spiking while the total stays usual fires for that model', () => {
    const list = anomalies({
      ...baseline({ gen: 3000, veo: 100 }),
      [TODAY]: { gen: 3000, veo: 1200 },
    });
    expect(list.map((f) => [f.rule, f.scope, f.spend, f.median])).toEqual([['veo', 'veo', 1200, 100]]);
  });

  it('the multiple and floor come from the config', () => {
    const days = { ...baseline({ gen: 100 }), [TODAY]: { gen: 450 } };
    expect(anomalies(days)).toEqual([]);
    expect(anomalies(days, { rest: { anomaly: { multiple: 4, floorCredits: 200 } } })).toHaveLength(1);
  });

  it('yesterday is checked too, under its own date', () => {
    const list = anomalies({
      ...steady('2026-11-05', '2026-11-18', { gen: 1000 }),
      '2026-11-19': { gen: 5000 },
      [TODAY]: { gen: 1000 },
    });
    expect(list.map((f) => f.period)).toEqual(['2026-11-19']);
  });

  it.each([
    { historyStart: '2026-11-14', fires: false }, // 6 known days before today
    { historyStart: '2026-11-13', fires: true }, // 7 known days
    { historyStart: '2026-01-01', fires: true }, // the baseline is capped at 14 days
  ])(
    'needs at least 7 known days before the day (history from $historyStart → $fires)',
    ({ historyStart, fires }) => {
      const list = anomalies({ ...baseline({ gen: 1000 }), [TODAY]: { gen: 5000 } }, { historyStart });
      expect(list.length > 0).toBe(fires);
    },
  );

  it('a quiet baseline (median 0) still needs the floor', () => {
    expect(anomalies({ [TODAY]: { gen: 999 } })).toEqual([]);
    expect(anomalies({ [TODAY]: { gen: 1500 } })[0]).toMatchObject({ median: 0, spend: 1500 });
  });
});

describe('forecast', () => {
  // November has 30 days; on the 10th, 20 days are left after today.
  const NOW = '2026-11-10T12:00:00Z';
  const history = { ...steady('2026-11-01', '2026-11-09', { gen: 1000 }), '2026-11-10': { gen: 500 } };
  const monthly = (over: Partial<BudgetInput> = {}) =>
    monthBudget({ thresholds: [100], forecast: true, limit: { credits: 25_000 }, ...over });
  const forecasts = (s: Partial<Scenario>) =>
    ofKind(findings({ now: NOW, usage: history, ...s }), 'forecast') as ForecastFinding[];

  it('projects month to date + mean of the last 7 complete days × days left', () => {
    const [finding] = forecasts({ org: { budgets: [monthly()] } });
    // 9 500 so far + 1 000 × 20.5 days (the rest of today at 12:00, and 20 more days).
    expect(finding?.forecast).toMatchObject({ toDate: 9500, projected: 30_000, daysLeft: 20.5 });
    expect(finding).toMatchObject({
      rule: 'monthly',
      period: '2026-11',
      level: 'projected',
      severity: 'warning',
      limitCredits: 25_000,
      // (25 000 − 9 500) / 1 000 = 15.5 days from now: half of today, then the 15th day after it.
      exhaustedOn: '2026-11-25',
    });
  });

  it.each([
    { name: 'projection under the limit', budget: { limit: { credits: 30_001 } }, fires: false },
    { name: 'forecast not enabled', budget: { forecast: false }, fires: false },
    { name: 'forecast omitted', budget: { forecast: undefined }, fires: false },
    {
      name: 'already over the limit (the budget rule speaks)',
      budget: { limit: { credits: 9000 } },
      fires: false,
    },
    { name: 'model-scoped, no spend on that model', budget: { model: 'veo3.1' }, fires: false },
    { name: 'model-scoped, on the model that spends', budget: { model: 'gen' }, fires: true },
  ])('$name → fires: $fires', ({ budget, fires }) => {
    expect(forecasts({ org: { budgets: [monthly(budget)] } }).length > 0).toBe(fires);
  });

  it('day budgets never forecast', () => {
    const list = forecasts({ org: { budgets: [dayBudget({ limit: { credits: 5000 } })] } });
    expect(list).toEqual([]);
  });

  it.each([
    { historyStart: '2026-11-08', basisDays: 2, fires: false },
    { historyStart: '2026-11-07', basisDays: 3, fires: true },
  ])('needs 3 complete days of history (from $historyStart: $basisDays days)', ({ historyStart, fires }) => {
    const list = forecasts({ historyStart, org: { budgets: [monthly()] } });
    expect(list.length > 0).toBe(fires);
    if (fires) expect(list[0]?.forecast.burn.basisDays).toBe(3);
  });

  it('refunds in the basis lower the projection', () => {
    const refunded = { ...history, '2026-11-08': { gen: -6000 } };
    expect(forecasts({ usage: refunded, org: { budgets: [monthly()] } })).toEqual([]);
  });
});

describe('evaluateRules', () => {
  it('a calm organization has no findings and no episode', () => {
    const evaluation = evaluateRules(
      inputOf({
        now: '2026-11-20T12:00:00Z',
        org: { budgets: [monthBudget({ limit: { credits: 1_000_000 } })], lowBalance: { credits: 10 } },
        usage: steady('2026-11-01', '2026-11-20', { gen: 100 }),
        details: {
          models: { gen: { maxConcurrentGenerations: 1, maxDailyGenerations: 100, dailyGenerations: 10 } },
        },
      }),
    );
    expect(evaluation.findings).toEqual([]);
    expect(evaluation.balanceEpisode).toBeUndefined();
  });

  it('orders findings critical first, then warning, then info', () => {
    const list = findings({
      now: '2026-11-20T12:00:00Z',
      org: { budgets: [monthBudget({ thresholds: [50] }), dayBudget({ thresholds: [100] })] },
      usage: { '2026-11-20': { gen: 600 } },
      details: { maxMonthlyCreditSpend: 200_000 },
      previous: {
        orgId: 'acme',
        date: '2026-11-19',
        fetchedAt: '2026-11-19T10:00:00.000Z',
        creditBalance: 0,
        maxMonthlyCreditSpend: 100_000,
        models: {},
        monthToDateCredits: 0,
        rolling30dCredits: 0,
        forecastMonthCredits: null,
      },
    });
    expect(list.map((f) => [f.kind, f.severity])).toEqual([
      ['budget', 'critical'],
      ['budget', 'warning'],
      ['tier-change', 'info'],
    ]);
  });
});

describe('tier-change and models outside the tier', () => {
  const now = new Date('2026-11-20T10:00:00Z');
  const config = parseConfig(
    { organizations: [{ id: 'studio', name: 'Studio', apiKeySecretName: 'runway/studio' }] },
    'test',
  );
  const prevSnapshot = (models: Snapshot['models']): Snapshot => ({
    orgId: 'studio',
    date: '2026-11-19',
    fetchedAt: '2026-11-19T10:00:00.000Z',
    creditBalance: 50_000,
    maxMonthlyCreditSpend: 100_000,
    models,
    monthToDateCredits: 0,
    rolling30dCredits: 0,
    forecastMonthCredits: null,
  });
  const evaluate = (previous: Snapshot, models: OrganizationDetails['models']) =>
    evaluateRules({
      org: config.organizations[0] as Config['organizations'][number],
      config,
      now,
      details: { creditBalance: 50_000, maxMonthlyCreditSpend: 100_000, models },
      usage: new Map(),
      historyStart: '2026-10-01',
      previous,
    }).findings.find((f) => f.kind === 'tier-change');
  const tiered = { maxConcurrentGenerations: 5, maxDailyGenerations: 1000, dailyGenerations: 10 };
  const untiered = {
    maxConcurrentGenerations: null,
    maxDailyGenerations: null,
    dailyGenerations: 3,
    inTier: false,
  };

  it.each([
    [
      'a model dropped from the tier but used today is a removal, not "unlimited"',
      { m: tiered },
      { m: untiered },
      1000,
      'absent',
      false,
    ],
    ['a model the tier starts listing is an addition', { m: untiered }, { m: tiered }, 'absent', 1000, true],
  ] as const)('%s', (_label, before, after, from, to, better) => {
    const finding = evaluate(prevSnapshot(before), after);
    expect(finding?.kind).toBe('tier-change');
    if (finding?.kind !== 'tier-change') return;
    expect(finding.changes).toEqual([{ what: 'm daily limit', before: from, after: to, better }]);
    expect(finding.severity).toBe(better ? 'info' : 'warning');
  });

  it('a model outside the tier in both snapshots is no change', () => {
    expect(
      evaluate(prevSnapshot({ m: untiered }), { m: { ...untiered, dailyGenerations: 9 } }),
    ).toBeUndefined();
  });
});
