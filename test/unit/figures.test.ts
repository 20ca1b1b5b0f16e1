/**
 * Spend figures and UTC calendar arithmetic: month to date, 30-day windows, burn rate, month forecast,
 * run-out day and medians. A missing day counts as zero; refunds are negative.
 */
import { describe, expect, it } from 'vitest';
import {
  addDays,
  dateRange,
  daysBetween,
  daysInMonth,
  endOfMonth,
  isIsoDate,
  startOfMonth,
  utcDate,
  utcMonth,
} from '../../functions/domain/dates.ts';
import {
  burnRate,
  dayCumulativeReached,
  forecastPeriod,
  indexUsage,
  median,
  roundCredits,
  runOutDate,
  spendBetween,
  spendOn,
} from '../../functions/domain/figures.ts';
import type { UsageDay } from '../../functions/domain/types.ts';

function usage(days: Readonly<Record<string, Readonly<Record<string, number>>>>) {
  return indexUsage(
    Object.entries(days).map(
      ([date, credits]): UsageDay => ({
        date,
        credits,
        totalCredits: Object.values(credits).reduce((a, b) => a + b, 0),
      }),
    ),
  );
}

/** The same credits on every day of `[from, to]`. */
function steady(from: string, to: string, credits: Readonly<Record<string, number>>) {
  return Object.fromEntries(dateRange(from, to).map((date) => [date, credits]));
}

describe('UTC dates', () => {
  it.each([
    { instant: '2026-11-30T23:59:59.999Z', date: '2026-11-30', month: '2026-11' },
    { instant: '2026-12-01T00:00:00.000Z', date: '2026-12-01', month: '2026-12' },
    // 01:00 in Paris on Dec 1 is still Nov 30 in UTC.
    { instant: '2026-12-01T01:00:00+02:00', date: '2026-11-30', month: '2026-11' },
    { instant: '2026-12-31T20:00:00-05:00', date: '2027-01-01', month: '2027-01' },
  ])('$instant is UTC day $date', ({ instant, date, month }) => {
    expect(utcDate(new Date(instant))).toBe(date);
    expect(utcMonth(new Date(instant))).toBe(month);
  });

  it.each([
    { date: '2026-11-30', days: 1, result: '2026-12-01' },
    { date: '2027-01-01', days: -1, result: '2026-12-31' },
    { date: '2028-02-28', days: 1, result: '2028-02-29' },
    { date: '2027-02-28', days: 1, result: '2027-03-01' },
    // Across a European DST change: calendar days, not 24-hour steps in local time.
    { date: '2026-10-24', days: 2, result: '2026-10-26' },
    { date: '2026-11-20', days: -89, result: '2026-08-23' },
  ])('$date + $days = $result', ({ date, days, result }) => {
    expect(addDays(date, days)).toBe(result);
    expect(daysBetween(date, result)).toBe(days);
  });

  it.each([
    { date: '2026-02-10', days: 28, end: '2026-02-28' },
    { date: '2028-02-01', days: 29, end: '2028-02-29' },
    { date: '2026-11-30', days: 30, end: '2026-11-30' },
    { date: '2026-12-15', days: 31, end: '2026-12-31' },
  ])('$date: $days days, ends $end', ({ date, days, end }) => {
    expect(daysInMonth(date)).toBe(days);
    expect(endOfMonth(date)).toBe(end);
    expect(startOfMonth(date)).toBe(`${date.slice(0, 7)}-01`);
  });

  it('ranges are inclusive and ascending; an inverted range is empty', () => {
    expect(dateRange('2026-11-29', '2026-12-02')).toEqual([
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
    ]);
    expect(dateRange('2026-12-02', '2026-11-29')).toEqual([]);
  });

  it.each([
    ['2026-11-30', true],
    ['2028-02-29', true],
    ['2027-02-29', false],
    ['2026-11-31', false],
    ['2026-1-01', false],
    ['2026-11-30T00:00:00Z', false],
  ] as const)('isIsoDate(%s) = %s', (value, ok) => {
    expect(isIsoDate(value)).toBe(ok);
  });
});

describe('spend', () => {
  const data = usage({
    '2026-11-29': { gen: 100, veo: 50 },
    '2026-11-30': { gen: 200, veo: -80 },
    '2026-12-02': { gen: 10 },
  });

  it.each([
    { date: '2026-11-29', model: undefined, credits: 150 },
    { date: '2026-11-30', model: 'veo', credits: -80 },
    { date: '2026-11-30', model: 'act_two', credits: 0 },
    { date: '2026-12-01', model: undefined, credits: 0 },
  ])('spendOn($date, $model) = $credits', ({ date, model, credits }) => {
    expect(spendOn(data, date, model)).toBe(credits);
  });

  it.each([
    { from: '2026-11-29', to: '2026-11-30', model: undefined, credits: 270 },
    { from: '2026-11-29', to: '2026-12-02', model: 'gen', credits: 310 },
    { from: '2026-11-30', to: '2026-11-30', model: 'veo', credits: -80 },
    { from: '2026-12-01', to: '2026-12-31', model: undefined, credits: 10 },
    { from: '2026-12-03', to: '2026-12-01', model: undefined, credits: 0 },
  ])('spendBetween($from, $to, $model) = $credits', ({ from, to, model, credits }) => {
    expect(spendBetween(data, from, to, model)).toBe(credits);
  });

  it('sums of fractional credits carry no float dust', () => {
    const fractional = usage({ '2026-11-01': { a: 0.1 }, '2026-11-02': { a: 0.2 } });
    expect(spendBetween(fractional, '2026-11-01', '2026-11-02')).toBe(0.3);
    expect(roundCredits(0.1 + 0.2)).toBe(0.3);
    expect(roundCredits(-1.0000000001)).toBe(-1);
  });

  it('dayCumulativeReached walks net spend forward', () => {
    const walk = usage({ '2026-11-01': { a: 500 }, '2026-11-02': { a: -300 }, '2026-11-03': { a: 400 } });
    expect(dayCumulativeReached(walk, '2026-11-01', '2026-11-05', 500)).toBe('2026-11-01');
    expect(dayCumulativeReached(walk, '2026-11-01', '2026-11-05', 600)).toBe('2026-11-03');
    expect(dayCumulativeReached(walk, '2026-11-01', '2026-11-05', 601)).toBeUndefined();
    expect(dayCumulativeReached(walk, '2026-11-02', '2026-11-05', 100, 'a')).toBe('2026-11-03');
  });
});

describe('burn rate', () => {
  const week = usage({
    ...steady('2026-11-13', '2026-11-19', { a: 700 }),
    // Today's partial spend is never part of the basis.
    '2026-11-20': { a: 99_999 },
  });

  it.each([
    { historyStart: '2026-01-01', basisDays: 7, meanDaily: 700, from: '2026-11-13' },
    { historyStart: '2026-11-17', basisDays: 3, meanDaily: 700, from: '2026-11-17' },
    { historyStart: '2026-11-19', basisDays: 1, meanDaily: 700, from: '2026-11-19' },
    { historyStart: '2026-11-20', basisDays: 0, meanDaily: 0, from: '2026-11-20' },
  ])('history from $historyStart → $basisDays days', ({ historyStart, basisDays, meanDaily, from }) => {
    expect(burnRate(week, '2026-11-20', historyStart)).toEqual({
      meanDaily,
      basisDays,
      from,
      to: '2026-11-19',
    });
  });

  it('missing days count as zero and refunds lower the mean', () => {
    const sparse = usage({ '2026-11-15': { a: 1400 }, '2026-11-19': { a: -700 } });
    expect(burnRate(sparse, '2026-11-20', '2026-01-01').meanDaily).toBe(100);
  });
});

describe('month forecast', () => {
  it('month to date (today included) + the mean of 7 complete days × days left', () => {
    const data = usage({
      ...steady('2026-10-31', '2026-11-05', { a: 1000 }),
      '2026-11-06': { a: 1000, b: 400 },
      '2026-11-07': { a: 300 },
    });
    // 18:00: a quarter of today is still ahead.
    const forecast = forecastPeriod(data, new Date('2026-11-07T18:00:00Z'), '2026-01-01', 'month');
    // Basis Oct 31 – Nov 6 (crossing the month boundary): 7 400 / 7.
    expect(forecast?.burn).toMatchObject({ from: '2026-10-31', to: '2026-11-06', basisDays: 7 });
    expect(forecast?.toDate).toBe(6700);
    expect(forecast?.daysLeft).toBe(23.25);
    expect(forecast?.projected).toBe(Math.round(6700 + (7400 / 7) * 23.25));
    // Per model: b's mean is 400 / 7.
    const forB = forecastPeriod(data, new Date('2026-11-07T18:00:00Z'), '2026-01-01', 'month', 'b');
    expect(forB?.toDate).toBe(400);
    expect(forB?.projected).toBe(Math.round(400 + (400 / 7) * 23.25));
  });

  it.each([
    { now: '2026-11-30T12:00:00Z', daysLeft: 0.5, fullDaysLeft: 0 },
    { now: '2026-12-01T00:30:00Z', daysLeft: 30 + 23.5 / 24, fullDaysLeft: 30 },
    { now: '2028-02-28T18:00:00Z', daysLeft: 1.25, fullDaysLeft: 1 },
    { now: '2027-02-28T23:00:00Z', daysLeft: 1 / 24, fullDaysLeft: 0 },
  ])('at $now, $daysLeft days are left, the rest of today included', ({ now, daysLeft, fullDaysLeft }) => {
    const forecast = forecastPeriod(usage({}), new Date(now), '2020-01-01', 'month');
    expect(forecast?.daysLeft).toBeCloseTo(daysLeft, 9);
    expect(forecast?.fullDaysLeft).toBe(fullDaysLeft);
  });

  it('on the last day of a month the projection still adds the rest of the day', () => {
    const data = usage({ '2026-11-29': { a: 700 }, '2026-11-30': { a: 50 } });
    // Mean 700 / 7 = 100 a day; at 12:00 half of today is left: 750 so far + 50.
    expect(forecastPeriod(data, new Date('2026-11-30T12:00:00Z'), '2020-01-01', 'month')).toMatchObject({
      toDate: 750,
      projected: 800,
    });
  });

  it('a week, a quarter: the same projection over their own days', () => {
    const data = usage({ '2026-11-19': { a: 700 }, '2026-11-20': { a: 300 } });
    const now = new Date('2026-11-20T12:00:00Z'); // Friday; Q4 ends Thu 31 Dec
    expect(forecastPeriod(data, now, '2020-01-01', 'week')).toMatchObject({
      start: '2026-11-16',
      end: '2026-11-22',
      toDate: 1000,
      fullDaysLeft: 2,
      projected: Math.round(1000 + 100 * 2.5),
    });
    expect(forecastPeriod(data, now, '2020-01-01', 'quarter')).toMatchObject({
      start: '2026-10-01',
      end: '2026-12-31',
      fullDaysLeft: 41,
      projected: Math.round(1000 + 100 * 41.5),
    });
  });

  it('needs 3 complete days of history', () => {
    const now = new Date('2026-11-20T12:00:00Z');
    expect(forecastPeriod(usage({}), now, '2026-11-18', 'month')).toBeUndefined();
    expect(forecastPeriod(usage({}), now, '2026-11-17', 'month')?.burn.basisDays).toBe(3);
  });

  it('a net-refund basis never projects below month to date', () => {
    const data = usage({ '2026-11-18': { a: -3000 }, '2026-11-20': { a: 100 } });
    expect(forecastPeriod(data, new Date('2026-11-20T12:00:00Z'), '2026-01-01', 'month')).toMatchObject({
      toDate: -2900,
      projected: -2900,
    });
  });
});

describe('run-out day and median', () => {
  // At noon: half of today is still to be spent.
  it.each([
    { balance: 5000, meanDaily: 1000, date: '2026-11-25' },
    { balance: 5999, meanDaily: 1000, date: '2026-11-26' },
    { balance: 400, meanDaily: 1000, date: '2026-11-20' },
    { balance: 600, meanDaily: 1000, date: '2026-11-21' },
    { balance: 0, meanDaily: 1000, date: '2026-11-20' },
    { balance: -10, meanDaily: 1000, date: '2026-11-20' },
    { balance: 5000, meanDaily: 0, date: undefined },
    { balance: 5000, meanDaily: -50, date: undefined },
  ])('balance $balance at $meanDaily a day, at noon, runs out on $date', ({ balance, meanDaily, date }) => {
    expect(runOutDate(balance, meanDaily, new Date('2026-11-20T12:00:00Z'))).toBe(date);
  });

  it('counts from the hour: 1.92 days of credits at 09:30 last into the day after tomorrow', () => {
    expect(runOutDate(38_200, 19_850, new Date('2026-11-22T09:30:00Z'))).toBe('2026-11-24');
    expect(runOutDate(38_200, 19_850, new Date('2026-11-22T00:00:00Z'))).toBe('2026-11-23');
  });

  it.each([
    { values: [], result: 0 },
    { values: [7], result: 7 },
    { values: [3, 1, 2], result: 2 },
    { values: [4, 1, 3, 2], result: 2.5 },
    { values: [-100, 0, 0, 5000], result: 0 },
  ])('median($values) = $result', ({ values, result }) => {
    expect(median(values)).toBe(result);
  });
});
