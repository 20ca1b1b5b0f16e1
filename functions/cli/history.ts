/** `budget-guard history`: stored usage and snapshots of one organization, one row per UTC day, with totals. */
import type { Config } from '../config.ts';
import { addDays, utcDate } from '../domain/dates.ts';
import {
  buildHistory,
  checkDate,
  checkHistoryRange,
  HISTORY_FORMATS,
  type History,
  type HistoryFormat,
  modelsSeen,
  renderHistoryCsv,
  renderHistoryJson,
  renderHistoryTable,
} from '../domain/history.ts';
import type { StorePort } from '../domain/types.ts';
import type { Io } from './check.ts';
import { loadConfig, openStore, UsageError } from './wiring.ts';

/** Days `history` shows when `--from` is not given: `--to` and the 29 days before it. */
export const HISTORY_DEFAULT_DAYS = 30;

export interface HistoryOptions {
  readonly configPath?: string | undefined;
  readonly orgId?: string | undefined;
  /** Inclusive; default `to` − 29 days. */
  readonly from?: string | undefined;
  /** Inclusive; default today (UTC). */
  readonly to?: string | undefined;
  readonly model?: string | undefined;
  /** Default `table`. */
  readonly format?: string | undefined;
  readonly demo: boolean;
  /** "Today" for the default range; default the system clock. */
  readonly now?: Date | undefined;
}

/**
 * Reads `[from, to]` of one organization (snapshots and usage in parallel, each paged through) and builds
 * the rows and totals. Throws `UsageError` when `model` appears in neither the usage nor the snapshots.
 */
export async function readHistory(
  store: StorePort,
  input: {
    readonly orgId: string;
    readonly from: string;
    readonly to: string;
    readonly usdPerCredit: number;
    readonly model?: string | undefined;
  },
): Promise<History> {
  const [snapshots, usage] = await Promise.all([
    store.getSnapshots(input.orgId, input.from, input.to),
    store.getUsage(input.orgId, input.from, input.to),
  ]);
  if (input.model !== undefined) {
    const seen = modelsSeen(usage, snapshots);
    if (!seen.includes(input.model)) {
      throw new UsageError(
        `Unknown model "${input.model}": no stored usage or snapshot of ${input.orgId} from ${input.from} to ${input.to} names it. ` +
          (seen.length > 0 ? `Models seen: ${seen.join(', ')}.` : 'Nothing is stored for that range.'),
      );
    }
  }
  return buildHistory({ ...input, usage, snapshots });
}

/**
 * Runs `history`; returns the exit code (0). Throws `UsageError` (exit 2) for bad dates, a range over
 * `HISTORY_MAX_DAYS`, an unknown format, organization or model; `ConfigError` for bad config.
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
  const now = options.now ?? new Date();
  const to = options.to ?? utcDate(now);
  const badTo = checkDate('--to', to);
  if (badTo) throw new UsageError(badTo);
  const from = options.from ?? addDays(to, -(HISTORY_DEFAULT_DAYS - 1));
  const problem = checkHistoryRange(from, to);
  if (problem) throw new UsageError(problem);
  if (options.model !== undefined && options.model.trim() === '') throw new UsageError('--model is empty');

  const demo = options.demo || (!io.env.RUNWAYML_API_SECRET?.trim() && !io.env.TABLE_NAME?.trim());
  const { config } = await loadConfig({
    configPath: options.configPath,
    env: io.env,
    cwd: io.cwd,
    demo,
    now,
  });
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
    });
    if (history.totals.daysWithUsage === 0 && history.totals.daysWithSnapshot === 0) {
      io.stderr(
        `budget-guard: nothing stored for ${org.id} from ${from} to ${to} in the ${store.description}; ` +
          'run "budget-guard backfill" (usage of the last 90 days) or "budget-guard check" first.\n',
      );
    }
    if (format === 'csv') io.stdout(renderHistoryCsv(history));
    else if (format === 'json') io.stdout(renderHistoryJson(history));
    else io.stdout(renderHistoryTable(history, org.name));
    return 0;
  } finally {
    await store.close();
  }
}

/** `--org`, or the only configured organization. */
export function chooseOrganization(
  config: Config,
  orgId: string | undefined,
): Config['organizations'][number] {
  const ids = config.organizations.map((o) => o.id);
  if (orgId === undefined) {
    const [only, ...others] = config.organizations;
    if (only && others.length === 0) return only;
    throw new UsageError(
      `The config has ${ids.length} organizations: choose one with --org (${ids.join(', ')}).`,
    );
  }
  const org = config.organizations.find((o) => o.id === orgId);
  if (!org) throw new UsageError(`Unknown organization "${orgId}". Configured: ${ids.join(', ')}.`);
  return org;
}
