/**
 * The reliability suite's figures. Tests call {@link recordScenario} once per scenario; the rows are appended
 * as JSON lines to the file named by `RELIABILITY_REPORT_FILE` (set by vitest.reliability.config.ts, so the
 * default `npm test` writes nothing). The config's global setup ({@link default}) empties the file before the
 * run and prints the table after it, so `npm run reliability` ends with the summary.
 */
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';

export interface ScenarioRow {
  /** `fault matrix`, `races`, `simulation`, `secret hygiene`. */
  readonly suite: string;
  readonly scenario: string;
  /** Guard cycles run for this scenario. */
  readonly runs: number;
  readonly faultsInjected: number;
  readonly alertsExpected: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly secretBytesLeaked: number;
  /** The slowest cycle of the scenario, in ms (reported, never asserted). */
  readonly slowestCycleMs: number;
  /**
   * True when the row breaks out cycles another row already counts (the simulation's suspicious answers and
   * back-dated clocks): its runs and faults are left out of the total, its alerts are not.
   */
  readonly subset?: boolean;
}

/** The delivery figures of a scenario that expects and sends no alert (it counts something else). */
export const NO_ALERTS = { alertsExpected: 0, delivered: 0, lost: 0, duplicated: 0 } as const;

/** A row's figures from a scenario's running totals of alerts and cycle times; no key leaked. */
export function deliveryFigures(totals: {
  readonly expected: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly slowest: number;
}) {
  return {
    alertsExpected: totals.expected,
    delivered: totals.delivered,
    lost: totals.lost,
    duplicated: totals.duplicated,
    secretBytesLeaked: 0,
    slowestCycleMs: totals.slowest,
  };
}

/** Appends a row when the reliability config asked for a report; otherwise does nothing. */
export function recordScenario(row: ScenarioRow): void {
  const file = process.env.RELIABILITY_REPORT_FILE;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify(row)}\n`, 'utf8');
}

/** How many of something to run: the env variable's value under `npm run reliability`, else `fallback`. */
export function countFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export function readRows(file: string): ScenarioRow[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ScenarioRow);
}

const COLUMNS: readonly [string, (r: ScenarioRow) => string | number][] = [
  ['suite', (r) => r.suite],
  ['scenario', (r) => r.scenario],
  ['runs', (r) => r.runs],
  ['faults injected', (r) => r.faultsInjected],
  ['alerts expected', (r) => r.alertsExpected],
  ['delivered', (r) => r.delivered],
  ['lost', (r) => r.lost],
  ['duplicated', (r) => r.duplicated],
  ['secret bytes leaked', (r) => r.secretBytesLeaked],
  ['slowest cycle ms', (r) => r.slowestCycleMs],
];

/** A plain-text table of the rows and a total line. */
export function renderTable(rows: readonly ScenarioRow[]): string {
  const sum = (pick: (r: ScenarioRow) => number) => rows.reduce((n, r) => n + pick(r), 0);
  const total: ScenarioRow = {
    suite: 'TOTAL',
    scenario: `${rows.length} scenarios`,
    runs: sum((r) => (r.subset ? 0 : r.runs)),
    faultsInjected: sum((r) => (r.subset ? 0 : r.faultsInjected)),
    alertsExpected: sum((r) => r.alertsExpected),
    delivered: sum((r) => r.delivered),
    lost: sum((r) => r.lost),
    duplicated: sum((r) => r.duplicated),
    secretBytesLeaked: sum((r) => r.secretBytesLeaked),
    slowestCycleMs: Math.max(0, ...rows.map((r) => r.slowestCycleMs)),
  };
  const cells = [...rows, total].map((r) => COLUMNS.map(([, pick]) => String(pick(r))));
  const widths = COLUMNS.map(([title], i) => Math.max(title.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const numeric = (i: number) => i >= 2;
  const line = (values: readonly string[]) =>
    `| ${values.map((v, i) => (numeric(i) ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  const body = cells.slice(0, -1).map(line);
  return [line(COLUMNS.map(([title]) => title)), rule, ...body, line(cells.at(-1) ?? [])].join('\n');
}

/** vitest global setup: empties the report file, and prints the table when the run ends. */
export default function setup(): () => void {
  const file = process.env.RELIABILITY_REPORT_FILE;
  if (file) rmSync(file, { force: true });
  return () => {
    if (!file) return;
    const rows = readRows(file);
    if (rows.length === 0) {
      console.log('\nReliability: no scenario reported a result.');
      return;
    }
    console.log(`\nReliability summary (${new Date().toISOString()})\n\n${renderTable(rows)}\n`);
  };
}
