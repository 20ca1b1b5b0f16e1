/**
 * The history domain: range checks, calendar periods (ISO weeks around New Year), coverage, one row per day
 * or period with totals, and the four renderings. CSV is read back with a strict RFC 4180 parser written
 * here, so quoting is checked by reading, not by string matching. A property test checks that every grouping
 * adds up to exactly the daily figures.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { usageWindows } from '../../functions/cli/backfill.ts';
import { addDays, dateRange, periodEnd, periodKey, periodStart } from '../../functions/domain/dates.ts';
import { roundCredits } from '../../functions/domain/figures.ts';
import {
  buildHistory,
  CSV_EOL,
  checkHistoryRange,
  coverageWarnings,
  firstCoveredDay,
  HISTORY_GROUPINGS,
  HISTORY_MAX_DAYS,
  type History,
  type HistoryGrouping,
  modelsSeen,
  periodOf,
} from '../../functions/domain/history.ts';
import {
  csvText,
  renderHistoryCsv,
  renderHistoryJson,
  renderHistoryJsonl,
  renderHistoryTable,
} from '../../functions/domain/history-render.ts';
import type { Snapshot, UsageDay } from '../../functions/domain/types.ts';

// The calendar periods history groups by, as the functions that compute them.
const isoWeek = (date: string) => periodKey('week', date);
const startOfIsoWeek = (date: string) => periodStart('week', date);
const utcQuarter = (date: string) => periodKey('quarter', date);
const startOfQuarter = (date: string) => periodStart('quarter', date);
const endOfQuarter = (date: string) => periodEnd('quarter', date);

function day(date: string, credits: Record<string, number>): UsageDay {
  return { date, credits, totalCredits: Object.values(credits).reduce((sum, n) => sum + n, 0) };
}

function snapshot(
  date: string,
  creditBalance: number,
  models: string[] = [],
  extra: Partial<Snapshot> = {},
): Snapshot {
  return {
    orgId: 'studio',
    date,
    fetchedAt: `${date}T09:00:00.000Z`,
    creditBalance,
    maxMonthlyCreditSpend: 200_000,
    models: Object.fromEntries(
      models.map((m) => [m, { maxConcurrentGenerations: 5, maxDailyGenerations: 1000, dailyGenerations: 0 }]),
    ),
    monthToDateCredits: 0,
    rolling30dCredits: 0,
    forecastMonthCredits: null,
    ...extra,
  };
}

/** RFC 4180: CRLF records, fields optionally quoted, quotes doubled inside quotes. Throws on anything else. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`bare quote in an unquoted field at ${i}`);
        field += text[i++];
      }
    }
    record.push(field);
    if (text[i] === ',') {
      i++;
    } else if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
    } else {
      throw new Error(`expected a comma or CRLF at ${i}, found ${JSON.stringify(text[i])}`);
    }
  }
  if (record.length > 0) throw new Error('last record lacks its CRLF');
  return records;
}

const USAGE = [
  day('2026-03-01', { 'veo3.1': 1200, 'gen4.5': 300 }),
  day('2026-03-02', { 'veo3.1': 800, 'gen4.5': -450 }),
  day('2026-03-04', { gen4_image: 77 }),
];
const SNAPSHOTS = [snapshot('2026-03-02', 41_000, ['veo3.1', 'gen4.5', 'eleven_multilingual_v2'])];
/** Fully covered: history started long before, and "today" is after the range. */
const COVERED = { historyStart: '2026-01-01', today: '2026-12-31' } as const;

/** `buildHistory` of the studio at $0.01 a credit, fully covered, with no usage or snapshots unless given. */
function studioHistory(input: Partial<Parameters<typeof buildHistory>[0]> & { from: string; to: string }) {
  return buildHistory({
    orgId: 'studio',
    usage: [],
    snapshots: [],
    usdPerCredit: 0.01,
    ...COVERED,
    ...input,
  });
}

/** The studio's history from 1 to 4 March of USAGE and SNAPSHOTS, fully covered, with `extra` over it. */
function marchHistory(extra: Partial<Parameters<typeof buildHistory>[0]> = {}) {
  return studioHistory({
    from: '2026-03-01',
    to: '2026-03-04',
    usage: USAGE,
    snapshots: SNAPSHOTS,
    ...extra,
  });
}

/** A rendered history table: its title line, its summary line, and, after the note and a blank line, the table. */
function expectTable(table: string, title: string, summary: string, body: readonly string[]): void {
  const lines = table.split('\n');
  expect(lines[0]).toBe(title);
  expect(lines[1]).toBe(summary);
  expect(lines.slice(4)).toStrictEqual(body);
}

/** The CSV header's fixed columns around the model columns. */
const CSV_HEAD = ['period', 'start', 'end', 'days', 'covered_days', 'credits', 'usd'];
const CSV_TAIL = ['purchased', 'credit_balance', 'max_monthly_credit_spend', 'snapshot_date'];

describe('checkHistoryRange', () => {
  it('accepts a single day and a leap year, refuses one day more', () => {
    expect(checkHistoryRange('2026-03-01', '2026-03-01')).toBeUndefined();
    expect(checkHistoryRange('2024-01-01', '2024-12-31')).toBeUndefined();
    expect(HISTORY_MAX_DAYS).toBe(366);
    expect(checkHistoryRange('2024-01-01', '2025-01-01')).toBe(
      '2024-01-01 to 2025-01-01 is 367 days; history reads at most 366 days at a time (split the range)',
    );
  });

  it('names the bad date and refuses reversed ranges', () => {
    expect(checkHistoryRange('2026-02-30', '2026-03-01')).toBe(
      '--from must be a UTC date written YYYY-MM-DD (got "2026-02-30")',
    );
    expect(checkHistoryRange('2026-03-01', '3/4/2026')).toBe(
      '--to must be a UTC date written YYYY-MM-DD (got "3/4/2026")',
    );
    expect(checkHistoryRange('2026-03-05', '2026-03-04')).toBe(
      '--from 2026-03-05 is after --to 2026-03-04 (both dates are inclusive)',
    );
  });
});

describe('calendar periods', () => {
  it('puts the days around New Year in the ISO week of their week-year', () => {
    const cases: [string, string, string][] = [
      // [day, ISO week, its Monday]
      ['2026-12-27', '2026-W52', '2026-12-21'],
      ['2026-12-28', '2026-W53', '2026-12-28'],
      ['2026-12-31', '2026-W53', '2026-12-28'],
      ['2027-01-01', '2026-W53', '2026-12-28'],
      ['2027-01-03', '2026-W53', '2026-12-28'],
      ['2027-01-04', '2027-W01', '2027-01-04'],
      ['2024-12-29', '2024-W52', '2024-12-23'],
      ['2024-12-30', '2025-W01', '2024-12-30'],
      ['2025-01-01', '2025-W01', '2024-12-30'],
      ['2020-12-31', '2020-W53', '2020-12-28'],
      ['2021-01-03', '2020-W53', '2020-12-28'],
      ['2021-01-04', '2021-W01', '2021-01-04'],
      ['2019-12-30', '2020-W01', '2019-12-30'],
      ['2024-02-29', '2024-W09', '2024-02-26'],
      ['2026-08-03', '2026-W32', '2026-08-03'],
      ['2026-08-09', '2026-W32', '2026-08-03'],
    ];
    for (const [date, week, monday] of cases) {
      expect([date, isoWeek(date), startOfIsoWeek(date)]).toStrictEqual([date, week, monday]);
      expect(periodOf(date, 'week')).toStrictEqual({ key: week, start: monday, end: addDays(monday, 6) });
    }
  });

  it('agrees with the ISO 8601 definition on every day of 1999-2041, in any time zone', () => {
    // ISO: a week runs Monday to Sunday and belongs to the year of its Thursday; week 1 holds January 4.
    const saved = process.env.TZ;
    try {
      for (const tz of ['UTC', 'Pacific/Kiritimati', 'America/Los_Angeles']) {
        process.env.TZ = tz;
        for (let date = '1999-01-01'; date <= '2041-12-31'; date = addDays(date, 1)) {
          const weekday = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
          const monday = addDays(date, -weekday);
          const thursday = addDays(monday, 3);
          const year = thursday.slice(0, 4);
          const jan4 = `${year}-01-04`;
          const week1Monday = addDays(jan4, -((new Date(`${jan4}T00:00:00Z`).getUTCDay() + 6) % 7));
          const week = Math.round((Date.parse(monday) - Date.parse(week1Monday)) / (7 * 86_400_000)) + 1;
          const expected = `${year}-W${String(week).padStart(2, '0')}`;
          if (isoWeek(date) !== expected || startOfIsoWeek(date) !== monday) {
            expect([tz, date, isoWeek(date), startOfIsoWeek(date)]).toStrictEqual([
              tz,
              date,
              expected,
              monday,
            ]);
          }
        }
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('gives months and quarters with their first and last days', () => {
    expect(periodOf('2024-02-10', 'month')).toStrictEqual({
      key: '2024-02',
      start: '2024-02-01',
      end: '2024-02-29',
    });
    expect(periodOf('2026-08-15', 'quarter')).toStrictEqual({
      key: '2026-Q3',
      start: '2026-07-01',
      end: '2026-09-30',
    });
    expect(periodOf('2026-08-15', 'day')).toStrictEqual({
      key: '2026-08-15',
      start: '2026-08-15',
      end: '2026-08-15',
    });
    expect(
      ['2026-01-01', '2026-03-31', '2026-04-01', '2026-06-30', '2026-10-01', '2026-12-31'].map((d) => [
        utcQuarter(d),
        startOfQuarter(d),
        endOfQuarter(d),
      ]),
    ).toStrictEqual([
      ['2026-Q1', '2026-01-01', '2026-03-31'],
      ['2026-Q1', '2026-01-01', '2026-03-31'],
      ['2026-Q2', '2026-04-01', '2026-06-30'],
      ['2026-Q2', '2026-04-01', '2026-06-30'],
      ['2026-Q4', '2026-10-01', '2026-12-31'],
      ['2026-Q4', '2026-10-01', '2026-12-31'],
    ]);
  });
});

describe('firstCoveredDay', () => {
  it('takes the earlier of the status historyStart and the first stored usage day', () => {
    expect(firstCoveredDay({ historyStart: '2026-08-29' }, '2026-09-03')).toBe('2026-08-29');
    expect(firstCoveredDay({ historyStart: '2026-08-29' }, '2026-08-20')).toBe('2026-08-20');
    expect(firstCoveredDay({ historyStart: '2026-08-29' }, undefined)).toBe('2026-08-29');
    expect(firstCoveredDay(undefined, '2026-09-03')).toBe('2026-09-03');
    expect(firstCoveredDay({}, '2026-09-03')).toBe('2026-09-03');
    expect(firstCoveredDay(undefined, undefined)).toBeUndefined();
  });
});

describe('buildHistory by day', () => {
  it('makes one row per day, inclusive, with zero for covered days without usage and null without a snapshot', () => {
    // Act
    const history = marchHistory();

    // Assess
    expect(history.columns).toStrictEqual(['gen4.5', 'gen4_image', 'veo3.1']);
    expect(
      history.rows.map((r) => [r.period, r.credits, r.usd, r.creditBalance, r.covered, r.daysWithUsage]),
    ).toStrictEqual([
      ['2026-03-01', 1500, 15, null, true, 1],
      ['2026-03-02', 350, 3.5, 41_000, true, 1],
      ['2026-03-03', 0, 0, null, true, 0],
      ['2026-03-04', 77, 0.77, null, true, 1],
    ]);
    expect({ ...history.rows[1]?.models }).toStrictEqual({ 'gen4.5': -450, gen4_image: 0, 'veo3.1': 800 });
    expect(history.totals).toEqual({
      credits: 1927,
      usd: 19.27,
      models: { 'gen4.5': -150, gen4_image: 77, 'veo3.1': 2000 },
      purchased: null,
      days: 4,
      coveredDays: 4,
      daysWithUsage: 3,
      daysWithSnapshot: 1,
    });
  });

  it('leaves days before history starts and after today without figures, never 0', () => {
    // Prepare: history starts on the 2nd, today is the 3rd; nothing is stored on the 3rd (a true 0).
    const history = studioHistory({
      from: '2026-03-01',
      to: '2026-03-05',
      usage: [day('2026-03-02', { 'veo3.1': 10 })],
      historyStart: '2026-03-02',
      today: '2026-03-03',
    });

    // Assess
    expect(
      history.rows.map((r) => [r.period, r.covered, r.credits, r.usd, r.models['veo3.1']]),
    ).toStrictEqual([
      ['2026-03-01', false, null, null, null],
      ['2026-03-02', true, 10, 0.1, 10],
      ['2026-03-03', true, 0, 0, 0],
      ['2026-03-04', false, null, null, null],
      ['2026-03-05', false, null, null, null],
    ]);
    expect(history.totals).toMatchObject({ credits: 10, days: 5, coveredDays: 2 });
  });

  it('covers nothing when nothing is stored, and never hides a stored day', () => {
    const none = studioHistory({
      from: '2026-03-01',
      to: '2026-03-02',
      historyStart: null,
      today: '2026-03-10',
    });
    expect(none.rows.map((r) => r.credits)).toStrictEqual([null, null]);
    expect(none.totals).toMatchObject({ credits: null, usd: null, coveredDays: 0 });

    // A stored day after "today" (a clock set back with --now) is still shown.
    const stored = studioHistory({
      from: '2026-03-01',
      to: '2026-03-02',
      usage: [day('2026-03-02', { a: 5 })],
      historyStart: '2026-03-01',
      today: '2026-03-01',
    });
    expect(stored.rows.map((r) => r.credits)).toStrictEqual([0, 5]);
  });

  it('ignores data outside the range', () => {
    const history = studioHistory({
      from: '2026-03-02',
      to: '2026-03-02',
      usage: USAGE,
      snapshots: [...SNAPSHOTS, snapshot('2026-03-01', 1)],
    });
    expect(history.rows).toHaveLength(1);
    expect(history.columns).toStrictEqual(['gen4.5', 'veo3.1']);
    expect(history.totals.credits).toBe(350);
    expect(history.totals.daysWithSnapshot).toBe(1);
  });

  it('narrows credits, dollars and columns to one model, refunds included', () => {
    const history = marchHistory({ model: 'gen4.5' });
    expect(history.columns).toStrictEqual(['gen4.5']);
    expect(history.rows.map((r) => r.credits)).toStrictEqual([300, -450, 0, 0]);
    expect(history.totals.credits).toBe(-150);
    expect(history.totals.usd).toBe(-1.5);
  });

  it('keeps float dust out of fractional sums', () => {
    const history = studioHistory({
      from: '2026-03-01',
      to: '2026-03-03',
      usage: [day('2026-03-01', { a: 0.1 }), day('2026-03-02', { a: 0.2 }), day('2026-03-03', { a: 0.4 })],
    });
    expect(history.totals.credits).toBe(0.7);
    expect({ ...history.totals.models }).toStrictEqual({ a: 0.7 });
  });
});

describe('buildHistory by week, month and quarter', () => {
  // Sat 2026-12-26 to Tue 2027-01-05: ISO weeks 2026-W52 (cut), 2026-W53 (across New Year), 2027-W01 (cut).
  const usage = [
    day('2026-12-26', { 'veo3.1': 100 }),
    day('2026-12-31', { 'veo3.1': 250.5, gen4: -40 }),
    day('2027-01-01', { 'veo3.1': 50 }),
    day('2027-01-05', { gen4: 7 }),
  ];
  const snapshots = [
    snapshot('2026-12-29', 41_000, [], { purchasedCredits: 5_000 }),
    snapshot('2026-12-31', 38_000, [], { purchasedCredits: 0, maxMonthlyCreditSpend: 250_000 }),
    snapshot('2027-01-02', 36_500),
    snapshot('2027-01-05', 30_000, [], { purchasedCredits: 1_000 }),
  ];
  const build = (by: HistoryGrouping, extra: Partial<Parameters<typeof buildHistory>[0]> = {}) =>
    studioHistory({
      from: '2026-12-26',
      to: '2027-01-05',
      by,
      usage,
      snapshots,
      today: '2027-12-31',
      ...extra,
    });

  it('groups ISO weeks across New Year, cut at the range, balance from the last snapshot of each week', () => {
    const history = build('week');
    expect(history.rows).toEqual([
      {
        period: '2026-W52',
        start: '2026-12-26',
        end: '2026-12-27',
        days: 2,
        coveredDays: 2,
        covered: true,
        credits: 100,
        usd: 1,
        models: { gen4: 0, 'veo3.1': 100 },
        purchased: null,
        creditBalance: null,
        maxMonthlyCreditSpend: null,
        snapshotDate: null,
        daysWithUsage: 1,
        daysWithSnapshot: 0,
      },
      {
        period: '2026-W53',
        start: '2026-12-28',
        end: '2027-01-03',
        days: 7,
        coveredDays: 7,
        covered: true,
        credits: 260.5,
        usd: 2.61,
        models: { gen4: -40, 'veo3.1': 300.5 },
        purchased: 5_000,
        creditBalance: 36_500,
        maxMonthlyCreditSpend: 200_000,
        snapshotDate: '2027-01-02',
        daysWithUsage: 2,
        daysWithSnapshot: 3,
      },
      {
        period: '2027-W01',
        start: '2027-01-04',
        end: '2027-01-05',
        days: 2,
        coveredDays: 2,
        covered: true,
        credits: 7,
        usd: 0.07,
        models: { gen4: 7, 'veo3.1': 0 },
        purchased: 1_000,
        creditBalance: 30_000,
        maxMonthlyCreditSpend: 200_000,
        snapshotDate: '2027-01-05',
        daysWithUsage: 1,
        daysWithSnapshot: 1,
      },
    ]);
    expect(history.totals).toEqual({
      credits: 367.5,
      usd: 3.68,
      models: { gen4: -33, 'veo3.1': 400.5 },
      purchased: 6_000,
      days: 11,
      coveredDays: 11,
      daysWithUsage: 4,
      daysWithSnapshot: 4,
    });
  });

  it('groups months and quarters, and the tier cap is the one at the end of the period', () => {
    const months = build('month');
    expect(months.rows.map((r) => [r.period, r.start, r.end, r.credits, r.creditBalance])).toStrictEqual([
      ['2026-12', '2026-12-26', '2026-12-31', 310.5, 38_000],
      ['2027-01', '2027-01-01', '2027-01-05', 57, 30_000],
    ]);
    expect(months.rows[0]?.maxMonthlyCreditSpend).toBe(250_000);
    expect(months.rows[0]?.purchased).toBe(5_000);
    const quarters = build('quarter');
    expect(quarters.rows.map((r) => [r.period, r.days, r.credits, r.snapshotDate])).toStrictEqual([
      ['2026-Q4', 6, 310.5, '2026-12-31'],
      ['2027-Q1', 5, 57, '2027-01-05'],
    ]);
  });

  it('counts the covered days of a partly covered period and sums only those', () => {
    // Without the usage of the 26th and the 5th: a stored day counts as covered whatever the bounds say.
    const history = build('week', {
      usage: usage.slice(1, 3),
      historyStart: '2026-12-31',
      today: '2027-01-04',
    });
    expect(
      history.rows.map((r) => [r.period, r.coveredDays, r.days, r.covered, r.credits, r.models['veo3.1']]),
    ).toStrictEqual([
      ['2026-W52', 0, 2, false, null, null],
      ['2026-W53', 4, 7, false, 260.5, 300.5],
      ['2027-W01', 1, 2, false, 0, 0],
    ]);
    // The snapshot of the 5th is still the week's balance: snapshots are observations, not usage.
    expect(history.rows[2]?.creditBalance).toBe(30_000);
    expect(history.totals).toMatchObject({ credits: 260.5, coveredDays: 5, days: 11 });
  });
});

describe('every grouping adds up to exactly the daily figures', () => {
  const models = ['veo3.1', 'gen4.5', 'gen4_image'];
  // Whole credits, refunds, thousandths and the classic 0.1 + 0.2.
  const amount = fc.oneof(
    fc.integer({ min: -5_000, max: 20_000 }),
    fc.integer({ min: -5_000_000, max: 20_000_000 }).map((n) => n / 1000),
    fc.constantFrom(0.1, 0.2, 0.3, -0.1),
  );
  const scenario = fc
    .record({
      start: fc.integer({ min: 0, max: 3_000 }),
      length: fc.integer({ min: 1, max: HISTORY_MAX_DAYS }),
      historyOffset: fc.integer({ min: -30, max: 400 }),
      todayOffset: fc.integer({ min: -10, max: 400 }),
      noHistory: fc.boolean(),
      model: fc.option(fc.constantFrom(...models), { nil: undefined }),
      days: fc.array(
        fc.record({
          offset: fc.integer({ min: -5, max: 370 }),
          credits: fc.dictionary(fc.constantFrom(...models), amount, { maxKeys: 3 }),
        }),
        { maxLength: 120 },
      ),
      purchases: fc.array(
        fc.record({
          offset: fc.integer({ min: 0, max: 370 }),
          credits: fc.option(amount, { nil: undefined }),
        }),
        { maxLength: 20 },
      ),
    })
    .map((s) => {
      const from = addDays('2018-12-20', s.start);
      const usage = new Map<string, UsageDay>();
      for (const d of s.days) usage.set(addDays(from, d.offset), day(addDays(from, d.offset), d.credits));
      const snaps = new Map<string, Snapshot>();
      for (const p of s.purchases) {
        const date = addDays(from, p.offset);
        snaps.set(
          date,
          snapshot(date, 1_000, [], p.credits === undefined ? {} : { purchasedCredits: p.credits }),
        );
      }
      return {
        from,
        to: addDays(from, s.length - 1),
        usage: [...usage.values()].sort((a, b) => (a.date < b.date ? -1 : 1)),
        snapshots: [...snaps.values()].sort((a, b) => (a.date < b.date ? -1 : 1)),
        historyStart: s.noHistory ? null : addDays(from, s.historyOffset),
        today: addDays(from, s.todayOffset),
        model: s.model,
      };
    });

  /** Whole micro-credits of a figure: exact to compare sums. */
  const micro = (n: number | null) => (n === null ? null : Math.round(n * 1e6));
  const sum = (values: (number | null)[]) =>
    values.every((v) => v === null) ? null : values.reduce<number>((a, v) => a + (micro(v) ?? 0), 0);

  it('in credits per row, per model and in total, for every grouping', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const input = { orgId: 'studio', usdPerCredit: 0.01, ...s };
        // Mismatches are collected and asserted once per run (an expect per figure is slow).
        const problems: string[] = [];
        const check = (what: string, actual: unknown, expected: unknown) => {
          if (actual !== expected) problems.push(`${what}: ${String(actual)} ≠ ${String(expected)}`);
        };
        const daily = buildHistory({ ...input, by: 'day' });
        const dailyByDate = new Map(daily.rows.map((d) => [d.period, d]));
        const storedByDate = new Map(s.usage.map((u) => [u.date, u]));
        // The daily rows against the input itself: covered days are the stored figure (rounded) or 0.
        for (const row of daily.rows) {
          const stored = storedByDate.get(row.period);
          const covered =
            stored !== undefined ||
            (s.historyStart !== null && row.period >= s.historyStart && row.period <= s.today);
          const expected = s.model === undefined ? stored?.totalCredits : stored?.credits[s.model];
          check(`day ${row.period}`, row.credits, covered ? roundCredits(expected ?? 0) : null);
        }
        for (const by of HISTORY_GROUPINGS) {
          const grouped = buildHistory({ ...input, by });
          expect(grouped.totals).toStrictEqual(daily.totals);
          check(`${by} first start`, grouped.rows[0]?.start, s.from);
          check(`${by} last end`, grouped.rows.at(-1)?.end, s.to);
          for (const row of grouped.rows) {
            const days = dateRange(row.start, row.end).flatMap((d) => dailyByDate.get(d) ?? []);
            const at = `${by} ${row.period}`;
            check(`${at} days`, days.length, row.days);
            check(
              `${at} keys`,
              days.every((d) => periodOf(d.period, by).key === row.period),
              true,
            );
            check(`${at} covered days`, row.coveredDays, days.filter((d) => d.covered).length);
            check(`${at} credits`, micro(row.credits), sum(days.map((d) => d.credits)));
            check(`${at} purchased`, micro(row.purchased), sum(days.map((d) => d.purchased)));
            for (const column of grouped.columns) {
              check(
                `${at} ${column}`,
                micro(row.models[column] ?? null),
                sum(days.map((d) => d.models[column] ?? null)),
              );
            }
          }
          check(`${by} total`, micro(grouped.totals.credits), sum(grouped.rows.map((r) => r.credits)));
          check(
            `${by} total as roundCredits of the rows`,
            grouped.totals.credits,
            grouped.totals.coveredDays === 0
              ? null
              : roundCredits(grouped.rows.reduce((n, r) => n + (r.credits ?? 0), 0)),
          );
          for (const column of grouped.columns) {
            check(
              `${by} total ${column}`,
              micro(grouped.totals.models[column] ?? null),
              sum(grouped.rows.map((r) => r.models[column] ?? null)),
            );
          }
          check(
            `${by} days`,
            grouped.rows.reduce((n, r) => n + r.days, 0),
            dateRange(s.from, s.to).length,
          );
        }
        expect(problems).toStrictEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('coverageWarnings', () => {
  const build = (from: string, to: string, historyStart: string | null, today = '2026-11-26') =>
    studioHistory({
      from,
      to,
      historyStart,
      today,
    });

  it('names the first covered day, says Runway serves 90 days back, and counts the days after today', () => {
    expect(coverageWarnings(build('2026-07-01', '2026-11-30', '2026-08-29'))).toStrictEqual([
      "studio's history starts on 2026-08-29: the 59 days from 2026-07-01 to 2026-08-28 were never observed " +
        'and are left blank, not 0. Runway serves usage only 90 days back, so history older than the ' +
        "guard's first run cannot be recovered: start the guard early.",
      'the 4 days from 2026-11-27 to 2026-11-30 are after today (2026-11-26) and are left blank.',
    ]);
    expect(coverageWarnings(build('2026-07-01', '2026-07-31', '2026-08-29'))[0]).toContain(
      'the 31 days from 2026-07-01 to 2026-07-31 were never observed',
    );
    expect(coverageWarnings(build('2026-12-01', '2026-12-01', '2026-08-29'))).toStrictEqual([
      '2026-12-01 is after today (2026-11-26) and is left blank.',
    ]);
    expect(coverageWarnings(build('2026-08-28', '2026-08-29', '2026-08-29'))).toStrictEqual([
      "studio's history starts on 2026-08-29: 2026-08-28 was never observed and is left blank, not 0. " +
        "Runway serves usage only 90 days back, so history older than the guard's first run cannot be " +
        'recovered: start the guard early.',
    ]);
    expect(coverageWarnings(build('2026-08-29', '2026-11-26', '2026-08-29'))).toStrictEqual([]);
  });

  it('says when nothing is stored at all', () => {
    expect(coverageWarnings(build('2026-11-01', '2026-11-02', null), 'the local store')).toStrictEqual([
      'nothing is stored for studio in the local store yet, so no day from 2026-11-01 to 2026-11-02 is ' +
        'covered: every figure is left blank, not 0. Run "budget-guard check" (or "budget-guard backfill") ' +
        'to store the last 90 days. Runway serves usage only 90 days back, so history older than the ' +
        "guard's first run cannot be recovered: start the guard early.",
    ]);
  });
});

describe('modelsSeen', () => {
  it('lists models of usage and snapshots once, in code-point order', () => {
    expect(modelsSeen(USAGE, SNAPSHOTS)).toStrictEqual([
      'eleven_multilingual_v2',
      'gen4.5',
      'gen4_image',
      'veo3.1',
    ]);
  });
});

describe('renderHistoryCsv', () => {
  it('writes a header, a row per day and a TOTAL row with CRLF, plain numbers and blanks where not covered', () => {
    // Prepare: the 1st is before history starts.
    const history = studioHistory({
      from: '2026-03-01',
      to: '2026-03-04',
      usage: [day('2026-03-02', { 'veo3.1': 123_456 }), day('2026-03-03', { 'veo3.1': -600 })],
      snapshots: [snapshot('2026-03-03', 1_234_567, [], { purchasedCredits: 50_000 })],
      historyStart: '2026-03-02',
      today: '2026-12-31',
    });

    // Act
    const csv = renderHistoryCsv(history);

    // Assess
    expect(CSV_EOL).toBe('\r\n');
    expect(parseCsv(csv)).toStrictEqual([
      [...CSV_HEAD, 'veo3.1', ...CSV_TAIL],
      ['2026-03-01', '2026-03-01', '2026-03-01', '1', '0', '', '', '', '', '', '', ''],
      ['2026-03-02', '2026-03-02', '2026-03-02', '1', '1', '123456', '1234.56', '123456', '', '', '', ''],
      [
        '2026-03-03',
        '2026-03-03',
        '2026-03-03',
        '1',
        '1',
        '-600',
        '-6.00',
        '-600',
        '50000',
        '1234567',
        '200000',
        '2026-03-03',
      ],
      ['2026-03-04', '2026-03-04', '2026-03-04', '1', '1', '0', '0.00', '0', '', '', '', ''],
      ['TOTAL', '2026-03-01', '2026-03-04', '4', '3', '122856', '1228.56', '122856', '50000', '', '', ''],
    ]);
  });

  it('carries the period key first for weeks, months and quarters', () => {
    const history = studioHistory({
      from: '2026-12-30',
      to: '2027-01-05',
      by: 'week',
      usage: [day('2027-01-01', { a: 3 })],
      today: '2027-01-31',
    });
    expect(parseCsv(renderHistoryCsv(history)).map((r) => r.slice(0, 6))).toStrictEqual([
      CSV_HEAD.slice(0, 6),
      ['2026-W53', '2026-12-30', '2027-01-03', '5', '5', '3'],
      ['2027-W01', '2027-01-04', '2027-01-05', '2', '2', '0'],
      ['TOTAL', '2026-12-30', '2027-01-05', '7', '7', '3'],
    ]);
  });

  it('quotes model names with commas, quotes, CR and LF, and reads them back unchanged', () => {
    // Prepare: model names are open strings.
    const odd = ['gen,4 "turbo"', 'plain', 'line\nbreak', '"quoted"', 'cr\rlf', 'both\r\n'];
    const history = studioHistory({
      from: '2026-03-01',
      to: '2026-03-01',
      usage: [day('2026-03-01', Object.fromEntries(odd.map((m, i) => [m, i + 1])))],
    });

    // Act
    const [header, row] = parseCsv(renderHistoryCsv(history));

    // Assess
    expect(header?.slice(CSV_HEAD.length, -CSV_TAIL.length)).toStrictEqual(history.columns);
    expect(new Set(history.columns)).toStrictEqual(new Set(odd));
    expect(row?.slice(CSV_HEAD.length, -CSV_TAIL.length)).toStrictEqual(
      history.columns.map((c) => String(odd.indexOf(c) + 1)),
    );
  });

  it('writes a model name a spreadsheet would run as a formula as text, and leaves negative numbers alone', () => {
    // Prepare: a model name from the API that starts like a formula, on a day with a refund.
    const risky = ['=HYPERLINK("http://x.example","open")', '+1', '-gen', '@SUM(A1)', '\tgen', 'gen=4'];
    const history = studioHistory({
      from: '2026-03-01',
      to: '2026-03-01',
      usage: [day('2026-03-01', Object.fromEntries(risky.map((m) => [m, -5])))],
    });

    // Act
    const [header, row] = parseCsv(renderHistoryCsv(history));

    // Assess
    expect(new Set(header?.slice(CSV_HEAD.length, -CSV_TAIL.length))).toStrictEqual(
      new Set([`'=HYPERLINK("http://x.example","open")`, "'+1", "'-gen", "'@SUM(A1)", "'\tgen", 'gen=4']),
    );
    expect(row?.slice(5, 7)).toStrictEqual(['-30', '-0.30']);
    expect(row?.slice(CSV_HEAD.length, -CSV_TAIL.length)).toStrictEqual(risky.map(() => '-5'));
    expect(csvText('-120')).toBe("'-120");
    expect(csvText('veo3.1')).toBe('veo3.1');
  });
});

describe('renderHistoryTable, renderHistoryJson and renderHistoryJsonl', () => {
  const history = marchHistory();

  it('prints a titled table with separators, blanks without a snapshot and a TOTAL line', () => {
    expectTable(
      renderHistoryTable(history, 'Studio production'),
      'Studio production (studio): 2026-03-01 to 2026-03-04, all models, by day',
      '4 days, 4 covered (history starts 2026-01-01; today is 2026-12-31), 3 with stored usage, 1 with a snapshot.',
      [
        '  Date        Credits     USD  gen4.5  gen4_image  veo3.1  Balance  Tier cap',
        '  ----------  -------  ------  ------  ----------  ------  -------  --------',
        '  2026-03-01    1,500  $15.00     300           0   1,200',
        '  2026-03-02      350   $3.50    -450           0     800   41,000   200,000',
        '  2026-03-03        0   $0.00       0           0       0',
        '  2026-03-04       77   $0.77       0          77       0',
        '  ----------  -------  ------  ------  ----------  ------  -------  --------',
        '  TOTAL         1,927  $19.27    -150          77   2,000',
        '',
      ],
    );
  });

  it('prints grouped rows with their days, "covered/days" where partly covered, and blanks where none', () => {
    const weekly = studioHistory({
      from: '2026-08-24',
      to: '2026-09-08',
      by: 'week',
      model: 'veo3.1',
      usage: [day('2026-08-30', { 'veo3.1': 1_200 }), day('2026-09-01', { 'veo3.1': 800 })],
      snapshots: [snapshot('2026-09-06', 40_000, [], { purchasedCredits: 10_000 })],
      historyStart: '2026-08-29',
      today: '2026-09-06',
    });
    expectTable(
      renderHistoryTable(weekly, 'Studio production'),
      'Studio production (studio): 2026-08-24 to 2026-09-08, model veo3.1, by week',
      '16 days, 9 covered (history starts 2026-08-29; today is 2026-09-06), 2 with stored usage, 1 with a snapshot.',
      [
        '  Week            From          To       Days  Credits     USD  veo3.1  Purchased  Balance  Tier cap',
        '  --------  ----------  ----------  ---------  -------  ------  ------  ---------  -------  --------',
        '  2026-W35  2026-08-24  2026-08-30   2/7 days    1,200  $12.00   1,200',
        '  2026-W36  2026-08-31  2026-09-06     7 days      800   $8.00     800     10,000   40,000   200,000',
        '  2026-W37  2026-09-07  2026-09-08   0/2 days',
        '  --------  ----------  ----------  ---------  -------  ------  ------  ---------  -------  --------',
        '  TOTAL     2026-08-24  2026-09-08  9/16 days    2,000  $20.00   2,000     10,000',
        '',
      ],
    );
  });

  it('prints rows and totals as one JSON document, null where not covered', () => {
    const doc = JSON.parse(renderHistoryJson(history));
    expect(Object.keys(doc)).toStrictEqual([
      'org',
      'from',
      'to',
      'by',
      'model',
      'usdPerCredit',
      'historyStart',
      'today',
      'columns',
      'rows',
      'totals',
    ]);
    expect(doc.org).toBe('studio');
    expect(doc.model).toBeNull();
    expect(doc.rows).toHaveLength(4);
    expect(doc.rows[2]).toStrictEqual({
      period: '2026-03-03',
      start: '2026-03-03',
      end: '2026-03-03',
      days: 1,
      coveredDays: 1,
      covered: true,
      credits: 0,
      usd: 0,
      models: { 'gen4.5': 0, gen4_image: 0, 'veo3.1': 0 },
      purchased: null,
      creditBalance: null,
      maxMonthlyCreditSpend: null,
      snapshotDate: null,
      daysWithUsage: 0,
      daysWithSnapshot: 0,
    });
    expect(doc.totals.credits).toBe(1927);
    const uncovered: History = studioHistory({
      from: '2026-03-01',
      to: '2026-03-01',
      model: 'veo3.1',
      historyStart: '2026-03-02',
      today: '2026-03-10',
    });
    expect(JSON.parse(renderHistoryJson(uncovered)).rows[0]).toMatchObject({
      covered: false,
      coveredDays: 0,
      credits: null,
      usd: null,
      models: { 'veo3.1': null },
    });
  });

  it('prints JSON Lines: one complete object per row and no totals line', () => {
    const text = renderHistoryJsonl(history);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    const records = lines.map((l) => JSON.parse(l));
    expect(records.map((r) => r.period)).toStrictEqual([
      '2026-03-01',
      '2026-03-02',
      '2026-03-03',
      '2026-03-04',
    ]);
    expect(records[1]).toEqual({ org: 'studio', by: 'day', model: null, ...history.rows[1] });
    expect(records.some((r) => r.period === 'TOTAL')).toBe(false);
  });
});

describe('usageWindows', () => {
  it('cuts a range into windows of at most 90 days', () => {
    expect(usageWindows('2026-01-01', '2026-04-01')).toStrictEqual([
      { startDate: '2026-01-01', beforeDate: '2026-04-01' },
    ]);
    expect(usageWindows('2026-01-01', '2026-04-02')).toStrictEqual([
      { startDate: '2026-01-01', beforeDate: '2026-04-01' },
      { startDate: '2026-04-01', beforeDate: '2026-04-02' },
    ]);
  });
});
