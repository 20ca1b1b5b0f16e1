/**
 * The history domain: range checks, one row per day with totals, and the three renderings. CSV is read back
 * with a strict RFC 4180 parser written here, so quoting is checked by reading, not by string matching.
 */
import { describe, expect, it } from 'vitest';
import { usageWindows } from '../../functions/cli/backfill.ts';
import {
  buildHistory,
  CSV_EOL,
  checkHistoryRange,
  csvField,
  csvText,
  HISTORY_MAX_DAYS,
  modelsSeen,
  renderHistoryCsv,
  renderHistoryJson,
  renderHistoryTable,
} from '../../functions/domain/history.ts';
import type { Snapshot, UsageDay } from '../../functions/domain/types.ts';

function day(date: string, credits: Record<string, number>): UsageDay {
  return { date, credits, totalCredits: Object.values(credits).reduce((sum, n) => sum + n, 0) };
}

function snapshot(date: string, creditBalance: number, models: string[] = []): Snapshot {
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

describe('buildHistory', () => {
  it('makes one row per day, inclusive, with zero for days without usage and null without a snapshot', () => {
    // Act
    const history = buildHistory({
      orgId: 'studio',
      from: '2026-03-01',
      to: '2026-03-04',
      usage: USAGE,
      snapshots: SNAPSHOTS,
      usdPerCredit: 0.01,
    });

    // Assess
    expect(history.columns).toStrictEqual(['gen4.5', 'gen4_image', 'veo3.1']);
    expect(history.rows.map((r) => [r.date, r.credits, r.usd, r.creditBalance, r.usageStored])).toStrictEqual(
      [
        ['2026-03-01', 1500, 15, null, true],
        ['2026-03-02', 350, 3.5, 41_000, true],
        ['2026-03-03', 0, 0, null, false],
        ['2026-03-04', 77, 0.77, null, true],
      ],
    );
    expect({ ...history.rows[1]?.models }).toStrictEqual({ 'gen4.5': -450, gen4_image: 0, 'veo3.1': 800 });
    // Model records have no prototype (model names are data).
    expect({ ...history.totals, models: { ...history.totals.models } }).toStrictEqual({
      credits: 1927,
      usd: 19.27,
      models: { 'gen4.5': -150, gen4_image: 77, 'veo3.1': 2000 },
      days: 4,
      daysWithUsage: 3,
      daysWithSnapshot: 1,
    });
  });

  it('ignores data outside the range', () => {
    const history = buildHistory({
      orgId: 'studio',
      from: '2026-03-02',
      to: '2026-03-02',
      usage: USAGE,
      snapshots: [...SNAPSHOTS, snapshot('2026-03-01', 1)],
      usdPerCredit: 0.01,
    });
    expect(history.rows).toHaveLength(1);
    expect(history.columns).toStrictEqual(['gen4.5', 'veo3.1']);
    expect(history.totals.credits).toBe(350);
    expect(history.totals.daysWithSnapshot).toBe(1);
  });

  it('narrows credits, dollars and columns to one model, refunds included', () => {
    const history = buildHistory({
      orgId: 'studio',
      from: '2026-03-01',
      to: '2026-03-04',
      usage: USAGE,
      snapshots: SNAPSHOTS,
      usdPerCredit: 0.01,
      model: 'gen4.5',
    });
    expect(history.columns).toStrictEqual(['gen4.5']);
    expect(history.rows.map((r) => r.credits)).toStrictEqual([300, -450, 0, 0]);
    expect(history.totals.credits).toBe(-150);
    expect(history.totals.usd).toBe(-1.5);
  });

  it('keeps float dust out of fractional sums', () => {
    const history = buildHistory({
      orgId: 'studio',
      from: '2026-03-01',
      to: '2026-03-03',
      usage: [day('2026-03-01', { a: 0.1 }), day('2026-03-02', { a: 0.2 }), day('2026-03-03', { a: 0.4 })],
      snapshots: [],
      usdPerCredit: 0.01,
    });
    expect(history.totals.credits).toBe(0.7);
    expect({ ...history.totals.models }).toStrictEqual({ a: 0.7 });
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
  it('writes a header, a row per day and a TOTAL row with CRLF, plain numbers and 2-decimal dollars', () => {
    // Prepare
    const history = buildHistory({
      orgId: 'studio',
      from: '2026-03-01',
      to: '2026-03-03',
      usage: [day('2026-03-01', { 'veo3.1': 123_456 }), day('2026-03-02', { 'veo3.1': -600 })],
      snapshots: [snapshot('2026-03-02', 1_234_567)],
      usdPerCredit: 0.01,
    });

    // Act
    const csv = renderHistoryCsv(history);

    // Assess
    expect(CSV_EOL).toBe('\r\n');
    expect(parseCsv(csv)).toStrictEqual([
      ['date', 'credits', 'usd', 'veo3.1', 'credit_balance', 'max_monthly_credit_spend'],
      ['2026-03-01', '123456', '1234.56', '123456', '', ''],
      ['2026-03-02', '-600', '-6.00', '-600', '1234567', '200000'],
      ['2026-03-03', '0', '0.00', '0', '', ''],
      ['TOTAL', '122856', '1228.56', '122856', '', ''],
    ]);
  });

  it('quotes model names with commas, quotes and newlines, and reads them back unchanged', () => {
    // Prepare: model names are open strings.
    const odd = ['gen,4 "turbo"', 'plain', 'line\nbreak', '"quoted"', 'cr\rlf'];
    const history = buildHistory({
      orgId: 'studio',
      from: '2026-03-01',
      to: '2026-03-01',
      usage: [day('2026-03-01', Object.fromEntries(odd.map((m, i) => [m, i + 1])))],
      snapshots: [],
      usdPerCredit: 0.01,
    });

    // Act
    const [header, row] = parseCsv(renderHistoryCsv(history));

    // Assess
    expect(header?.slice(3, -2)).toStrictEqual(history.columns);
    expect(new Set(history.columns)).toStrictEqual(new Set(odd));
    expect(row?.slice(3, -2)).toStrictEqual(history.columns.map((c) => String(odd.indexOf(c) + 1)));
    expect(csvField('gen,4 "turbo"')).toBe('"gen,4 ""turbo"""');
    expect(csvField('plain')).toBe('plain');
  });
  it('writes a model name a spreadsheet would run as a formula as text, and leaves negative numbers alone', () => {
    // Prepare: a model name from the API that starts like a formula, on a day with a refund.
    const risky = ['=HYPERLINK("http://x.example","open")', '+1', '-gen', '@SUM(A1)', '\tgen', 'gen=4'];
    const history = buildHistory({
      orgId: 'studio',
      from: '2026-03-01',
      to: '2026-03-01',
      usage: [day('2026-03-01', Object.fromEntries(risky.map((m) => [m, -5])))],
      snapshots: [],
      usdPerCredit: 0.01,
    });

    // Act
    const [header, row] = parseCsv(renderHistoryCsv(history));

    // Assess
    expect(new Set(header?.slice(3, -2))).toStrictEqual(
      new Set([`'=HYPERLINK("http://x.example","open")`, "'+1", "'-gen", "'@SUM(A1)", "'\tgen", 'gen=4']),
    );
    expect(row?.slice(1, 3)).toStrictEqual(['-30', '-0.30']);
    expect(row?.slice(3, -2)).toStrictEqual(risky.map(() => '-5'));
    expect(csvText('-120')).toBe("'-120");
    expect(csvText('veo3.1')).toBe('veo3.1');
  });
});

describe('renderHistoryTable and renderHistoryJson', () => {
  const history = buildHistory({
    orgId: 'studio',
    from: '2026-03-01',
    to: '2026-03-04',
    usage: USAGE,
    snapshots: SNAPSHOTS,
    usdPerCredit: 0.01,
  });

  it('prints a titled table with separators, blanks without a snapshot and a TOTAL line', () => {
    const lines = renderHistoryTable(history, 'Studio production').split('\n');
    expect(lines[0]).toBe('Studio production (studio): 2026-03-01 to 2026-03-04, all models');
    expect(lines[1]).toContain('4 days, 3 with stored usage, 1 with a snapshot.');
    expect(lines.slice(3)).toStrictEqual([
      '  Date        Credits     USD  gen4.5  gen4_image  veo3.1  Balance  Tier cap',
      '  ----------  -------  ------  ------  ----------  ------  -------  --------',
      '  2026-03-01    1,500  $15.00     300           0   1,200',
      '  2026-03-02      350   $3.50    -450           0     800   41,000   200,000',
      '  2026-03-03        0   $0.00       0           0       0',
      '  2026-03-04       77   $0.77       0          77       0',
      '  ----------  -------  ------  ------  ----------  ------  -------  --------',
      '  TOTAL         1,927  $19.27    -150          77   2,000',
      '',
    ]);
  });

  it('prints rows and totals as one JSON document', () => {
    const doc = JSON.parse(renderHistoryJson(history));
    expect(doc.org).toBe('studio');
    expect(doc.model).toBeNull();
    expect(doc.rows).toHaveLength(4);
    expect(doc.rows[2]).toStrictEqual({
      date: '2026-03-03',
      credits: 0,
      usd: 0,
      models: { 'gen4.5': 0, gen4_image: 0, 'veo3.1': 0 },
      creditBalance: null,
      maxMonthlyCreditSpend: null,
      usageStored: false,
    });
    expect(doc.totals.credits).toBe(1927);
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
