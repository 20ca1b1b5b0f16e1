/**
 * `budget-guard history`: stored usage and snapshots of one organization, one row per UTC day, ISO week, month
 * or quarter, with totals. Days the stored history does not cover are blank, and a warning on stderr says so.
 */
import { addDays, utcDate } from '../domain/dates.ts';
import {
  buildHistory,
  checkDate,
  checkHistoryRange,
  coverageWarnings,
  firstCoveredDay,
  HISTORY_FORMATS,
  HISTORY_GROUPINGS,
  type History,
  type HistoryFormat,
  type HistoryGrouping,
  type HistoryQuery,
  modelsSeen,
} from '../domain/history.ts';
import {
  renderHistoryCsv,
  renderHistoryJson,
  renderHistoryJsonl,
  renderHistoryTable,
} from '../domain/history-render.ts';
import type { StorePort } from '../domain/types.ts';
import type { Io } from './check.ts';
import {
  chooseOrganization,
  loadStoredStateConfig,
  openStore,
  type ScopeOptions,
  UsageError,
} from './wiring.ts';

/** Days `history` shows when `--from` is not given: `--to` and the 29 days before it. */
export const HISTORY_DEFAULT_DAYS = 30;

export interface HistoryOptions extends ScopeOptions {
  /** Inclusive; default `to` − 29 days. */
  readonly from?: string | undefined;
  /** Inclusive; default today (UTC). */
  readonly to?: string | undefined;
  readonly model?: string | undefined;
  /** `day` (default), `week` (ISO, Monday to Sunday), `month` or `quarter`. */
  readonly by?: string | undefined;
  /** `table` (default), `csv`, `json` or `jsonl`. */
  readonly format?: string | undefined;
}

/** Sorts before every stored usage day: reading from here reaches the oldest. */
const FIRST_DAY = '0000-01-01';

/**
 * Reads `[from, to]` of one organization (snapshots, usage and the status in parallel, each query paged
 * through) and builds the rows and totals. Throws `UsageError` when `model` appears in neither the usage nor
 * the snapshots.
 *
 * Coverage starts at the status's `historyStart` or the first stored usage day, whichever is earlier (see
 * `firstCoveredDay`), and ends `today`. The usage before `from` is read (one more query) only to find the
 * first stored day: always without a status (only `backfill` ran, which stores at most 90 days), and with one
 * only when its `historyStart` is after `from` (a backfill may have stored days before the first cycle).
 */
export async function readHistory(
  store: StorePort,
  input: HistoryQuery & {
    /** The last covered day; default today (UTC) by the system clock. */
    readonly today?: string | undefined;
  },
): Promise<History> {
  const [snapshots, usage, status] = await Promise.all([
    store.getSnapshots(input.orgId, input.from, input.to),
    store.getUsage(input.orgId, input.from, input.to),
    store.getStatus(input.orgId),
  ]);
  let historyStart = firstCoveredDay(status, usage[0]?.date);
  if (status?.historyStart === undefined || (historyStart ?? input.from) > input.from) {
    const [earliest] = await store.getUsage(input.orgId, FIRST_DAY, addDays(input.from, -1));
    historyStart = firstCoveredDay(status, earliest?.date ?? usage[0]?.date);
  }
  if (input.model !== undefined) {
    const seen = modelsSeen(usage, snapshots);
    if (!seen.includes(input.model)) {
      throw new UsageError(
        `Unknown model "${input.model}": no stored usage or snapshot of ${input.orgId} from ${input.from} to ${input.to} names it. ` +
          (seen.length > 0 ? `Models seen: ${seen.join(', ')}.` : 'Nothing is stored for that range.'),
      );
    }
  }
  return buildHistory({
    ...input,
    usage,
    snapshots,
    historyStart: historyStart ?? null,
    today: input.today ?? utcDate(new Date()),
  });
}

/**
 * Runs `history`; returns the exit code (0). Throws `UsageError` (exit 2) for bad dates, a range over
 * `HISTORY_MAX_DAYS`, an unknown grouping, format, organization or model; `ConfigError` for bad config.
 * Prints the rows on stdout, and on stderr one line per part of the range the stored history does not cover
 * (`coverageWarnings`).
 *
 * Config comes from `--config`, `BUDGET_GUARD_CONFIG` or `cdk.json`. Demo mode (`--demo`, or neither a Runway
 * key nor `TABLE_NAME`) uses the demo config and reads only the demo's own store (`.budget-guard/demo/`, which the
 * demo `check` fills), never the table or the real embedded store; it says so on stderr.
 */
export async function runHistory(options: HistoryOptions, io: Io): Promise<number> {
  const format = (options.format ?? 'table') as HistoryFormat;
  if (!HISTORY_FORMATS.includes(format)) {
    throw new UsageError(
      `--format must be one of ${HISTORY_FORMATS.join(', ')} (got "${options.format ?? ''}")`,
    );
  }
  const by = (options.by ?? 'day') as HistoryGrouping;
  if (!HISTORY_GROUPINGS.includes(by)) {
    throw new UsageError(`--by must be one of ${HISTORY_GROUPINGS.join(', ')} (got "${options.by ?? ''}")`);
  }
  const now = options.now ?? new Date();
  const to = options.to ?? utcDate(now);
  const badTo = checkDate('--to', to);
  if (badTo) throw new UsageError(badTo);
  const from = options.from ?? addDays(to, -(HISTORY_DEFAULT_DAYS - 1));
  const problem = checkHistoryRange(from, to);
  if (problem) throw new UsageError(problem);
  if (options.model !== undefined && options.model.trim() === '') throw new UsageError('--model is empty');

  const { config, demo } = await loadStoredStateConfig(options, io);
  const org = chooseOrganization(config, options.orgId);

  const store = await openStore(io.env, io.cwd, { demo });
  if (demo) {
    io.stderr(
      `budget-guard: demo mode (${options.demo ? '--demo' : 'no RUNWAYML_API_SECRET or TABLE_NAME'}): reading the simulated history in the ${store.description}\n`,
    );
  }
  try {
    const history = await readHistory(store.store, {
      orgId: org.id,
      from,
      to,
      usdPerCredit: config.usdPerCredit,
      model: options.model,
      by,
      today: utcDate(now),
    });
    for (const warning of coverageWarnings(history, `the ${store.description}`)) {
      io.stderr(`budget-guard: ${warning}\n`);
    }
    if (format === 'csv') io.stdout(renderHistoryCsv(history));
    else if (format === 'json') io.stdout(renderHistoryJson(history));
    else if (format === 'jsonl') io.stdout(renderHistoryJsonl(history));
    else io.stdout(renderHistoryTable(history, org.name));
    return 0;
  } finally {
    await store.close();
  }
}
