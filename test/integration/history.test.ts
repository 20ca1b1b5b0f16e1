/**
 * `budget-guard backfill` and `budget-guard history` against real dynalite (through TABLE_NAME, as on AWS, and
 * through the embedded store) and the Runway simulator over HTTP.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDocumentClient, DynamoStore } from '../../functions/adapters/dynamo-store.ts';
import { runBackfill } from '../../functions/cli/backfill.ts';
import { type Io, runCheck } from '../../functions/cli/check.ts';
import { readHistory, runHistory } from '../../functions/cli/history.ts';
import { UsageError } from '../../functions/cli/wiring.ts';
import { addDays, dateRange, periodKey } from '../../functions/domain/dates.ts';
import { roundCredits } from '../../functions/domain/figures.ts';
import type { Snapshot, UsageDay } from '../../functions/domain/types.ts';
import { createDemoConfig, createDemoOrganization } from '../../functions/simulator/demo.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import { localClientConfig, useTestDynamo } from '../helpers/dynamo.ts';
import { uniqueApiKey, useRunwaySimulator } from '../helpers/runway.ts';

const NOW = new Date('2026-11-22T10:30:00.000Z');
const TODAY = '2026-11-22';
const ORG = 'studio';
const CONFIG = JSON.stringify(createDemoConfig());

const simulator = useRunwaySimulator({ now: () => NOW });
// The CLI builds its own client from the SDK's standard variables, as it does against AWS.
const dynamo = useTestDynamo({ stubEndpoint: true });

function capture(env: Io['env'], cwd = process.cwd()) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { env, cwd, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

/** A table of its own and the environment that points the CLI at it (and at a simulated organization). */
async function awsSetup(usage: Record<string, Record<string, number>> = {}) {
  const { tableName, store } = await dynamo().newStore();
  const apiKey = uniqueApiKey('history');
  simulator().addOrganization(createSimulatedOrganization({ apiKey, usage }));
  const env = {
    RUNWAYML_API_SECRET: apiKey,
    RUNWAYML_BASE_URL: simulator().url,
    TABLE_NAME: tableName,
    BUDGET_GUARD_CONFIG: CONFIG,
  };
  return { tableName, apiKey, env, store };
}

function usageDay(date: string, credits: Record<string, number>): UsageDay {
  return { date, credits, totalCredits: Object.values(credits).reduce((sum, n) => sum + n, 0) };
}

function snapshot(date: string, creditBalance: number, models: Snapshot['models'] = {}): Snapshot {
  return {
    orgId: ORG,
    date,
    fetchedAt: `${date}T10:30:00.000Z`,
    creditBalance,
    maxMonthlyCreditSpend: 200_000,
    models,
    monthToDateCredits: 0,
    rolling30dCredits: 0,
    forecastMonthCredits: null,
  };
}

/** Splits CSV without quoted fields (the fixtures below have none outside the header test). */
/** The CSV header around the model columns, and a day row's first cells. */
const CSV_HEAD = ['period', 'start', 'end', 'days', 'covered_days', 'credits', 'usd'];
const CSV_TAIL = ['purchased', 'credit_balance', 'max_monthly_credit_spend', 'snapshot_date'];
const dayCells = (date: string, covered = true) => [date, date, date, '1', covered ? '1' : '0'];

function csvRows(csv: string): string[][] {
  expect(csv.endsWith('\r\n')).toBe(true);
  return csv
    .slice(0, -2)
    .split('\r\n')
    .map((line) => line.split(','));
}

describe('backfill', () => {
  it('stores the usage of the last 90 days in one Runway request, and a second run writes nothing', async () => {
    // Prepare: 120 days of usage (30 of them older than Runway serves in one window), one refund.
    const usage: Record<string, Record<string, number>> = {};
    for (let back = 0; back < 120; back += 2)
      usage[addDays(TODAY, -back)] = { 'veo3.1': 100 + back, gen4: 7 };
    usage[addDays(TODAY, -3)] = { 'veo3.1': 50, gen4: -80 };
    const { apiKey, env, store, tableName } = await awsSetup(usage);
    const first = capture(env);

    // Act
    const code = await runBackfill({ demo: false, now: NOW }, first.io);

    // Assess
    const from = addDays(TODAY, -89);
    const expected = Object.entries(usage)
      .filter(([date]) => date >= from)
      .map(([date, credits]) => usageDay(date, credits))
      .sort((a, b) => a.date.localeCompare(b.date));
    const expectedCredits = expected.reduce((sum, d) => sum + d.totalCredits, 0);
    expect(code).toBe(0);
    expect(simulator().requests(apiKey)).toStrictEqual({ organization: 0, usage: 1 });
    expect(
      (await store.getUsage(ORG, '2020-01-01', TODAY)).map((d) => ({ ...d, credits: { ...d.credits } })),
    ).toStrictEqual(expected);
    expect(first.stdout()).toBe(
      `studio: ${from} to ${TODAY} (90 days): ${expected.length} days fetched, ${expected.length} days written; ` +
        `${expectedCredits.toLocaleString('en-US')} credits ($${(expectedCredits / 100).toFixed(2)}) net in 1 usage request ` +
        `from the Runway API at ${simulator().url}\n`,
    );
    expect(first.stderr()).toBe('');
    const item = await dynamo().client.send(
      new GetCommand({ TableName: tableName, Key: { pk: `ORG#${ORG}`, sk: `USAGE#${TODAY}` } }),
    );
    expect(item.Item?.fetchedAt).toBe(NOW.toISOString());

    // Act: again, then after Runway restates one day.
    const second = capture(env);
    expect(await runBackfill({ demo: false, now: NOW }, second.io)).toBe(0);
    simulator().restateUsage(apiKey, addDays(TODAY, -4), 'veo3.1', 999);
    const third = capture(env);
    expect(await runBackfill({ demo: false, now: NOW, days: 7 }, third.io)).toBe(0);

    // Assess
    expect(second.stdout()).toContain(
      `${expected.length} days fetched, 0 days written (the stored history already matches Runway)`,
    );
    expect(third.stdout()).toContain(
      `studio: ${addDays(TODAY, -6)} to ${TODAY} (7 days): 5 days fetched, 1 days written`,
    );
    expect(simulator().requests(apiKey)).toStrictEqual({ organization: 0, usage: 3 });
    // Model records have no prototype (model names are data).
    expect({
      ...(await store.getUsage(ORG, addDays(TODAY, -4), addDays(TODAY, -4)))[0]?.credits,
    }).toStrictEqual({
      'veo3.1': 999,
      gen4: 7,
    });
  });

  it('reports a Runway failure with exit 1 and writes nothing', async () => {
    const { apiKey, env, store } = await awsSetup({ [TODAY]: { gen4: 5 } });
    simulator().setFault({ kind: 'status', status: 401, apiKey });
    const run = capture(env);

    expect(await runBackfill({ demo: false, now: NOW }, run.io)).toBe(1);
    expect(run.stdout()).toBe('');
    expect(run.stderr()).toMatch(/^budget-guard: backfill of studio failed \(running it again is safe\): /);
    expect(run.stderr()).not.toContain(apiKey);
    expect(await store.getUsage(ORG, '2020-01-01', TODAY)).toStrictEqual([]);
  });

  it('refuses an empty or partial answer where stored days have spend (the trust rule), writing nothing', async () => {
    const usage = {
      [addDays(TODAY, -2)]: { gen4: 40 },
      [addDays(TODAY, -1)]: { gen4: 60 },
      [TODAY]: { gen4: 5 },
    };
    const { apiKey, env, store } = await awsSetup(usage);
    expect(await runBackfill({ demo: false, now: NOW, days: 7 }, capture(env).io)).toBe(0);
    const before = await store.getUsage(ORG, '2020-01-01', TODAY);

    for (const results of [[], [{ date: TODAY, usedCredits: [{ model: 'gen4', amount: 5 }] }]]) {
      simulator().setFault({ kind: 'body', apiKey, endpoint: 'usage', body: { results } });
      const run = capture(env);
      try {
        expect(await runBackfill({ demo: false, now: NOW, days: 7 }, run.io)).toBe(1);
      } finally {
        simulator().setFault(undefined);
      }
      expect(run.stderr()).toContain("Runway's usage answer contradicts the stored history");
      expect(run.stderr()).toContain(addDays(TODAY, -1));
      expect(await store.getUsage(ORG, '2020-01-01', TODAY)).toStrictEqual(before);
    }
  });

  it('refuses --days outside 1-90 and an unknown organization', async () => {
    const { env } = await awsSetup();
    for (const days of [0, 91, 1.5]) {
      await expect(runBackfill({ demo: false, now: NOW, days }, capture(env).io)).rejects.toThrow(
        new UsageError(
          `--days must be a whole number from 1 to 90 (Runway keeps 90 days of usage); got ${days}`,
        ),
      );
    }
    await expect(runBackfill({ demo: false, now: NOW, orgId: 'nope' }, capture(env).io)).rejects.toThrow(
      'Unknown organization "nope". Configured: studio.',
    );
  });
});

describe('history', () => {
  it('pages through more than 1 MB of a year of snapshots and usage, querying both in parallel', async () => {
    // Prepare: 366 days × 250 models (80 in each snapshot). dynalite sizes pages by values (map keys count one byte), so amounts
    // carry 17 significant digits for both queries to go past 1 MB.
    const { store, tableName, env } = await awsSetup();
    const models = Array.from({ length: 250 }, (_, i) => `model-${String(i).padStart(3, '0')}`);
    const from = '2024-01-01';
    const to = '2024-12-31';
    const dates = Array.from({ length: 366 }, (_, i) => addDays(from, i));
    const amount = (i: number, j: number) => (i % 7 === 3 ? -1 : 1) * (1_000 + j) + 0.123_456_789_012_3;
    const usage = dates.map((date, i) =>
      usageDay(date, Object.fromEntries(models.map((m, j) => [m, amount(i, j)]))),
    );
    const limits = {
      maxConcurrentGenerations: 1_234_567_890_123_456,
      maxDailyGenerations: 8_765_432_101_234_567,
    };
    await store.saveCycle({ orgId: ORG, usage });
    for (let i = 0; i < dates.length; i += 61) {
      await Promise.all(
        dates.slice(i, i + 61).map((date, k) =>
          store.saveCycle({
            orgId: ORG,
            usage: [],
            snapshot: snapshot(
              date,
              40_000 + i + k,
              Object.fromEntries(
                models
                  .slice(0, 80)
                  .map((m, j) => [m, { ...limits, dailyGenerations: 1_000_000_000_000_000 + j }]),
              ),
            ),
          }),
        ),
      );
    }
    const counted = createDocumentClient(localClientConfig(dynamo().endpoint));
    const queries = { usage: 0, snapshot: 0 };
    const events: string[] = [];
    counted.middlewareStack.add(
      (next) => async (args) => {
        const input = JSON.stringify(args.input);
        const kind = input.includes('"USAGE#')
          ? 'usage'
          : input.includes('"SNAPSHOT#')
            ? 'snapshot'
            : 'status';
        if (kind !== 'status') queries[kind]++;
        events.push(`send ${kind}`);
        const result = await next(args);
        events.push(`page ${kind}`);
        return result;
      },
      { step: 'initialize', name: 'countQueries' },
    );

    // Act
    const history = await readHistory(new DynamoStore({ client: counted, tableName }), {
      orgId: ORG,
      from,
      to,
      usdPerCredit: 0.01,
    });
    counted.destroy();
    const cli = capture(env);
    await runHistory({ from, to, format: 'csv', demo: false }, cli.io);

    // Assess
    expect(queries.usage).toBeGreaterThanOrEqual(2);
    expect(queries.snapshot).toBeGreaterThanOrEqual(2);
    // Both queries (and the status read) are under way before the first page comes back.
    expect(new Set(events.slice(0, 3))).toStrictEqual(
      new Set(['send usage', 'send snapshot', 'send status']),
    );
    expect(history.rows).toHaveLength(366);
    expect(history.totals.daysWithUsage).toBe(366);
    expect(history.totals.daysWithSnapshot).toBe(366);
    expect(history.columns).toStrictEqual(models);
    const expectedTotal = usage.reduce((sum, d) => sum + d.totalCredits, 0);
    expect(history.totals.credits).toBeCloseTo(expectedTotal, 2);
    expect(history.rows[365]?.creditBalance).toBe(40_000 + 365);
    const rows = csvRows(cli.stdout());
    expect(rows).toHaveLength(1 + 366 + 1);
    expect(rows.at(-1)?.[0]).toBe('TOTAL');
    expect(rows.at(-1)?.slice(3, 5)).toStrictEqual(['366', '366']);
    expect(Number(rows.at(-1)?.[5])).toBeCloseTo(expectedTotal, 2);
  });

  it('reads the bounds inclusively, leaves days without a snapshot blank and nets refunds in the totals', async () => {
    // Prepare
    const { store, env } = await awsSetup();
    await store.saveCycle({
      orgId: ORG,
      usage: [
        usageDay('2026-03-01', { 'veo3.1': 1_000 }),
        usageDay('2026-03-02', { 'veo3.1': 400, 'gen4.5': 100 }),
        usageDay('2026-03-03', { 'gen4.5': -250 }),
        usageDay('2026-03-05', { 'veo3.1': 300 }),
        usageDay('2026-03-06', { 'veo3.1': 5_000 }),
      ],
      snapshot: snapshot('2026-03-02', 41_000),
    });
    await store.saveCycle({ orgId: ORG, usage: [], snapshot: snapshot('2026-03-06', 1) });
    const csv = capture(env);
    const json = capture(env);

    // Act
    await runHistory({ from: '2026-03-02', to: '2026-03-05', format: 'csv', demo: false }, csv.io);
    await runHistory(
      { from: '2026-03-02', to: '2026-03-05', format: 'json', demo: false, model: 'gen4.5' },
      json.io,
    );

    // Assess
    expect(csvRows(csv.stdout())).toStrictEqual([
      [...CSV_HEAD, 'gen4.5', 'veo3.1', ...CSV_TAIL],
      [...dayCells('2026-03-02'), '500', '5.00', '100', '400', '', '41000', '200000', '2026-03-02'],
      [...dayCells('2026-03-03'), '-250', '-2.50', '-250', '0', '', '', '', ''],
      [...dayCells('2026-03-04'), '0', '0.00', '0', '0', '', '', '', ''],
      [...dayCells('2026-03-05'), '300', '3.00', '0', '300', '', '', '', ''],
      ['TOTAL', '2026-03-02', '2026-03-05', '4', '4', '550', '5.50', '-150', '700', '', '', '', ''],
    ]);
    expect(csv.stderr()).toBe('');
    const doc = JSON.parse(json.stdout());
    expect(doc.columns).toStrictEqual(['gen4.5']);
    expect(doc.rows.map((r: { credits: number }) => r.credits)).toStrictEqual([100, -250, 0, 0]);
    expect(doc.totals).toStrictEqual({
      credits: -150,
      usd: -1.5,
      models: { 'gen4.5': -150 },
      purchased: null,
      days: 4,
      coveredDays: 4,
      daysWithUsage: 3,
      daysWithSnapshot: 1,
    });
    // No status: history starts at the first stored usage day, the 1st, before the range.
    expect(doc.historyStart).toBe('2026-03-01');
  });

  it('leaves days before history starts and after today blank in every format, and warns on stderr', async () => {
    // Prepare: the first cycle ran on the 3rd (history starts there); the clock says the 5th. The 4th has no
    // usage item: a covered day without usage is a true 0.
    const { store, env } = await awsSetup();
    await store.saveCycle({
      orgId: ORG,
      usage: [usageDay('2026-03-03', { 'veo3.1': 300 }), usageDay('2026-03-05', { 'veo3.1': 50, gen4: 5 })],
      snapshot: snapshot('2026-03-05', 40_000),
      status: {
        orgId: ORG,
        state: 'ok',
        reasons: [],
        updatedAt: '2026-03-05T10:00:00.000Z',
        lastSuccessAt: '2026-03-05T10:00:00.000Z',
        historyStart: '2026-03-03',
      },
    });
    const now = new Date('2026-03-05T12:00:00.000Z');
    const run = async (format: string) => {
      const out = capture(env);
      await runHistory({ from: '2026-03-01', to: '2026-03-07', format, demo: false, now }, out.io);
      return out;
    };

    // Act
    const [csv, json, jsonl, table] = [
      await run('csv'),
      await run('json'),
      await run('jsonl'),
      await run('table'),
    ];

    // Assess
    const blank = ['', '', '', '', '', '', '', ''];
    expect(csvRows(csv?.stdout() ?? '')).toStrictEqual([
      [...CSV_HEAD, 'gen4', 'veo3.1', ...CSV_TAIL],
      [...dayCells('2026-03-01', false), ...blank],
      [...dayCells('2026-03-02', false), ...blank],
      [...dayCells('2026-03-03'), '300', '3.00', '0', '300', '', '', '', ''],
      [...dayCells('2026-03-04'), '0', '0.00', '0', '0', '', '', '', ''],
      [...dayCells('2026-03-05'), '55', '0.55', '5', '50', '', '40000', '200000', '2026-03-05'],
      [...dayCells('2026-03-06', false), ...blank],
      [...dayCells('2026-03-07', false), ...blank],
      ['TOTAL', '2026-03-01', '2026-03-07', '7', '3', '355', '3.55', '5', '350', '', '', '', ''],
    ]);
    const doc = JSON.parse(json?.stdout() ?? '');
    expect(doc.historyStart).toBe('2026-03-03');
    expect(doc.today).toBe('2026-03-05');
    expect(
      doc.rows.map((r: { covered: boolean; credits: number | null }) => [r.covered, r.credits]),
    ).toStrictEqual([
      [false, null],
      [false, null],
      [true, 300],
      [true, 0],
      [true, 55],
      [false, null],
      [false, null],
    ]);
    const lines = (jsonl?.stdout() ?? '')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatchObject({
      org: ORG,
      by: 'day',
      period: '2026-03-01',
      covered: false,
      credits: null,
    });
    expect(lines[0].models).toStrictEqual({ gen4: null, 'veo3.1': null });
    expect(lines[3]).toMatchObject({ period: '2026-03-04', covered: true, credits: 0 });
    const body = (table?.stdout() ?? '').split('\n').filter((l) => /^ {2}2026-03-0\d/.test(l));
    expect(body.map((l) => l.trim())).toStrictEqual([
      '2026-03-01',
      '2026-03-02',
      '2026-03-03      300  $3.00     0     300',
      '2026-03-04        0  $0.00     0       0',
      '2026-03-05       55  $0.55     5      50   40,000   200,000',
      '2026-03-06',
      '2026-03-07',
    ]);
    const warnings =
      "budget-guard: studio's history starts on 2026-03-03: the 2 days from 2026-03-01 to 2026-03-02 were " +
      "never observed and are left blank, not 0. Runway serves usage only 90 days back, so history older than the guard's " +
      'first run cannot be recovered: start the guard early.\n' +
      'budget-guard: the 2 days from 2026-03-06 to 2026-03-07 are after today (2026-03-05) and are left blank.\n';
    for (const out of [csv, json, jsonl, table]) expect(out?.stderr()).toBe(warnings);
  });

  it('stores purchased credits on snapshots and sums them per period', async () => {
    // Prepare: purchases on two days of one week; a snapshot without the field (recorded before it existed).
    const { store, env } = await awsSetup();
    await store.saveCycle({ orgId: ORG, usage: [usageDay('2026-03-02', { 'veo3.1': 10 })] });
    for (const [date, purchasedCredits] of [
      ['2026-03-02', 50_000],
      ['2026-03-04', 0],
      ['2026-03-06', 2_500],
    ] as const) {
      await store.saveCycle({
        orgId: ORG,
        usage: [],
        snapshot: { ...snapshot(date, 60_000), purchasedCredits },
      });
    }
    await store.saveCycle({ orgId: ORG, usage: [], snapshot: snapshot('2026-03-10', 58_000) });
    const run = capture(env);

    // Act
    const stored = await store.getSnapshots(ORG, '2026-03-01', '2026-03-31');
    await runHistory(
      { from: '2026-03-02', to: '2026-03-15', by: 'week', format: 'jsonl', demo: false, now: NOW },
      run.io,
    );

    // Assess
    expect(stored.map((s) => s.purchasedCredits)).toStrictEqual([50_000, 0, 2_500, undefined]);
    expect(Object.hasOwn(stored[3] ?? {}, 'purchasedCredits')).toBe(false);
    expect(stored[0]).toEqual({ ...snapshot('2026-03-02', 60_000), purchasedCredits: 50_000 });
    const rows = run
      .stdout()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.period, r.purchased, r.creditBalance, r.snapshotDate])).toStrictEqual([
      ['2026-W10', 52_500, 60_000, '2026-03-06'],
      ['2026-W11', null, 58_000, '2026-03-10'],
    ]);
  });

  it('quotes model names with commas and quotes in CSV', async () => {
    const { store, env } = await awsSetup();
    await store.saveCycle({
      orgId: ORG,
      usage: [usageDay('2026-03-02', { 'gen,4 "turbo"': 12, plain: 3 })],
    });
    const run = capture(env);

    await runHistory({ from: '2026-03-02', to: '2026-03-02', format: 'csv', demo: false }, run.io);

    expect(run.stdout()).toBe(
      'period,start,end,days,covered_days,credits,usd,"gen,4 ""turbo""",plain,purchased,credit_balance,' +
        'max_monthly_credit_spend,snapshot_date\r\n' +
        '2026-03-02,2026-03-02,2026-03-02,1,1,15,0.15,12,3,,,,\r\n' +
        'TOTAL,2026-03-02,2026-03-02,1,1,15,0.15,12,3,,,,\r\n',
    );
  });

  it('refuses bad input with a UsageError that names the problem', async () => {
    const { store, env } = await awsSetup();
    await store.saveCycle({ orgId: ORG, usage: [usageDay('2026-03-02', { 'veo3.1': 1 })] });
    const cases: [Parameters<typeof runHistory>[0], string][] = [
      [{ from: '2026-03-05', to: '2026-03-01', demo: false }, '--from 2026-03-05 is after --to 2026-03-01'],
      [{ from: '2025-01-01', to: '2026-03-01', demo: false }, 'history reads at most 366 days at a time'],
      [{ from: '2026-02-29', to: '2026-03-01', demo: false }, '--from must be a UTC date written YYYY-MM-DD'],
      [{ from: '2026-03-01', to: '2026-03-01', demo: false, orgId: 'nope' }, 'Unknown organization "nope"'],
      [{ from: '2026-03-01', to: '2026-03-03', demo: false, format: 'xlsx' }, '--format must be one of'],
      [
        { from: '2026-03-01', to: '2026-03-03', demo: false, by: 'fortnight' },
        '--by must be one of day, week, month, quarter (got "fortnight")',
      ],
      [
        { from: '2026-03-01', to: '2026-03-03', demo: false, model: 'gen4.5' },
        'Unknown model "gen4.5": no stored usage or snapshot of studio from 2026-03-01 to 2026-03-03 names it. Models seen: veo3.1.',
      ],
    ];
    for (const [options, message] of cases) {
      const run = capture(env);
      await expect(runHistory(options, run.io)).rejects.toThrow(UsageError);
      await expect(runHistory(options, run.io)).rejects.toThrow(message);
      expect(run.stdout()).toBe('');
    }
  });

  it('exits 2 with the reason from the command line', async () => {
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', 'bin/budget-guard.ts', ...args],
          { env: { ...process.env, BUDGET_GUARD_CONFIG: CONFIG } },
          (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }),
        );
      });
    const [history, backfill] = await Promise.all([
      cli(['history', '--from', '2026-03-05', '--to', '2026-03-01']),
      cli(['backfill', '--days', '91']),
    ]);
    expect(history).toStrictEqual({
      code: 2,
      stderr: 'budget-guard: --from 2026-03-05 is after --to 2026-03-01 (both dates are inclusive)\n',
    });
    expect(backfill.code).toBe(2);
    expect(backfill.stderr).toContain('--days must be a whole number from 1 to 90');
  });
});

describe('on the embedded store with the built-in simulator', () => {
  it('backfill then history gives every day of 90 with totals equal to the simulator usage', async () => {
    // Prepare: no key and no table: demo mode and the embedded store in a fresh directory.
    const cwd = await mkdtemp(join(tmpdir(), 'budget-guard-history-'));
    try {
      const backfill = capture({}, cwd);
      const history = capture({}, cwd);
      const from = addDays(TODAY, -89);

      // Act
      expect(await runBackfill({ demo: false, now: NOW }, backfill.io)).toBe(0);
      expect(await runHistory({ from, to: TODAY, format: 'csv', demo: false }, history.io)).toBe(0);

      // Assess
      const demo = createDemoOrganization({ now: NOW });
      const perModel = new Map<string, number>();
      for (const credits of Object.values(demo.usage)) {
        for (const [model, n] of Object.entries(credits)) perModel.set(model, (perModel.get(model) ?? 0) + n);
      }
      const total = [...perModel.values()].reduce((a, b) => a + b, 0);
      const rows = csvRows(history.stdout());
      const [header = [], ...body] = rows;
      const totals = body.pop() ?? [];
      expect(body.map((r) => r[0])).toStrictEqual(Array.from({ length: 90 }, (_, i) => addDays(from, i)));
      expect(totals[0]).toBe('TOTAL');
      expect(Number(totals[5])).toBe(total);
      for (const [model, n] of perModel) expect(Number(totals[header.indexOf(model)])).toBe(n);
      expect(backfill.stdout()).toContain('(simulated data)');
      // A backfill writes no status: history starts at the first stored usage day, and the days before it
      // (the simulator's organization has 60 days of usage) are blank, not 0.
      const firstUsage = Object.keys(demo.usage).sort()[0] ?? '';
      const lost = dateRange(from, addDays(firstUsage, -1));
      expect(lost.length).toBeGreaterThan(1);
      for (const row of body.slice(0, lost.length)) expect(row.slice(4, 8)).toStrictEqual(['0', '', '', '']);
      for (const row of body.slice(lost.length)) expect(row[4]).toBe('1');
      expect(Number(totals[4])).toBe(90 - lost.length);
      expect(history.stderr()).toBe(
        'budget-guard: demo mode (no RUNWAYML_API_SECRET or TABLE_NAME): reading the simulated history in the demo store .budget-guard/demo/dynamo (simulated data only)\n' +
          `budget-guard: studio's history starts on ${firstUsage}: the ${lost.length} days from ${from} to ` +
          `${lost.at(-1)} were never observed and are left blank, not 0. Runway serves usage only 90 days back, ` +
          "so history older than the guard's first run cannot be recovered: start the guard early.\n",
      );
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
  it("answers the analyst's question: veo3.1 per ISO week of a quarter, after a demo check", async () => {
    // Prepare: a first demo cycle on NOW backfills the 90 days up to it (history starts on NOW - 89 days).
    const cwd = await mkdtemp(join(tmpdir(), 'budget-guard-history-'));
    try {
      expect(await runCheck({ demo: true, json: true, now: NOW }, capture({}, cwd).io)).toBe(0);
      const jsonl = capture({}, cwd);
      const table = capture({}, cwd);
      const range = {
        from: '2026-07-01',
        to: '2026-09-30',
        by: 'week',
        model: 'veo3.1',
        demo: false,
        now: NOW,
      };

      // Act
      expect(await runHistory({ ...range, format: 'jsonl' }, jsonl.io)).toBe(0);
      expect(await runHistory({ ...range, format: 'table' }, table.io)).toBe(0);

      // Assess
      const historyStart = addDays(TODAY, -89);
      const demo = createDemoOrganization({ now: NOW });
      const rows = jsonl
        .stdout()
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rows.map((r) => r.period)).toStrictEqual([
        ...new Set(dateRange('2026-07-01', '2026-09-30').map((d) => periodKey('week', d))),
      ]);
      expect(rows[0]).toMatchObject({ period: '2026-W27', start: '2026-07-01', end: '2026-07-05', days: 5 });
      for (const row of rows) {
        const days = dateRange(row.start, row.end);
        const covered = days.filter((d) => d >= historyStart);
        const veo = covered.reduce((sum, d) => sum + (demo.usage[d]?.['veo3.1'] ?? 0), 0);
        expect([row.period, row.coveredDays, row.credits]).toStrictEqual([
          row.period,
          covered.length,
          covered.length === 0 ? null : roundCredits(veo),
        ]);
      }
      expect(rows.some((r) => r.credits !== null && r.credits > 0)).toBe(true);
      expect(table.stdout()).toContain('model veo3.1, by week');
      expect(table.stdout()).toMatch(/2026-W27 {2}2026-07-01 {2}2026-07-05 +0\/5 days\n/);
      expect(jsonl.stderr()).toBe(table.stderr());
      expect(jsonl.stderr()).toContain(
        `budget-guard: studio's history starts on ${historyStart}: the ${dateRange('2026-07-01', addDays(historyStart, -1)).length} days from 2026-07-01`,
      );
      expect(jsonl.stderr()).toContain('Runway serves usage only 90 days back');
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
