/**
 * The budget state pipelines can enforce. Runway's API has no call that stops a key, and the guard is no
 * proxy: what it offers is a state per organization (`ok`, `warn`, `critical`, `stop`) that a cooperating
 * pipeline checks before it submits work (`budget-guard gate`, or the state parameter).
 *
 * 1. A budget with `stopAt` whose spend in the current period is at or past that % of its limit puts the
 *    organization in `stop`. The state is recomputed every run from the period's spend, so it lasts until
 *    the period ends or the limit is raised.
 * 2. The state parameter is rewritten when the state or the stopping budget changes, and otherwise at most
 *    every {@link STATE_REFRESH_MS}, so a reader can tell a live guard from a dead one without a write per run.
 * 3. `gateVerdict` is the decision `budget-guard gate` prints: go, unless `stop`, missing or too old.
 */
import type { OrganizationConfig } from '../config.ts';
import { formatPercent, formatSpan } from './format.ts';
import type { Overview } from './overview.ts';
import type { OrgStatus, StateParameterRecord, StateParameterValue, StatusState } from './types.ts';

/** An unchanged state is rewritten at most this often, so the parameter's `refreshedAt` proves liveness. */
export const STATE_REFRESH_MS = 6 * 3_600_000;

export interface Stop {
  readonly budget: string;
  readonly percent: number;
  readonly stopAt: number;
  /** `today`, `this month`, …: when the stop lifts on its own. */
  readonly until: string;
}

/** The budgets at or past their `stopAt`, most exceeded first. */
export function stopsOf(org: OrganizationConfig, overview: Overview): Stop[] {
  const stops: Stop[] = [];
  for (const budget of org.budgets) {
    if (budget.stopAt === undefined) continue;
    const row = overview.budgets.find((b) => b.id === budget.id);
    // The same float guard as the thresholds: 99.99999999 of dust is not 100.
    if (!row || row.percent + 1e-9 < budget.stopAt) continue;
    stops.push({
      budget: budget.id,
      percent: row.percent,
      stopAt: budget.stopAt,
      until: budget.period === 'day' ? 'the UTC day ends' : `the ${budget.period} ends`,
    });
  }
  return stops.sort((a, b) => b.percent / b.stopAt - a.percent / a.stopAt);
}

/** One line per stop, for the status reasons. */
export function stopReason(stop: Stop): string {
  return `budget ${stop.budget} at ${formatPercent(stop.percent)}, past its stop line of ${stop.stopAt}%: hold new Runway work until ${stop.until} or the limit is raised`;
}

/** The value of the state parameter for `status`; `since` is when the state last changed. */
export function stateParameterValue(status: OrgStatus, since: string, now: Date): StateParameterValue {
  return {
    state: status.state,
    reasons: status.reasons,
    updatedAt: since,
    refreshedAt: now.toISOString(),
    budget: status.stopBudget ?? null,
  };
}

/**
 * Whether the state parameter needs writing: never written, the state or the stopping budget changed, or the
 * last write is older than {@link STATE_REFRESH_MS}.
 */
export function needsStateWrite(
  status: OrgStatus,
  last: StateParameterRecord | undefined,
  now: Date,
): boolean {
  if (!sameState(status, last)) return true;
  return now.getTime() - Date.parse(last.writtenAt) >= STATE_REFRESH_MS;
}

/** Whether `status` has the state and stopping budget `last` recorded. */
function sameState(status: OrgStatus, last: StateParameterRecord | undefined): last is StateParameterRecord {
  return (
    last !== undefined && last.state === status.state && (last.budget ?? undefined) === status.stopBudget
  );
}

/** When the current state began: unchanged since `last`, or now. */
export function stateSince(status: OrgStatus, last: StateParameterRecord | undefined): string {
  return sameState(status, last) ? last.since : status.updatedAt;
}

export type GateVerdict =
  | { readonly go: true; readonly state: StatusState; readonly reasons: readonly string[] }
  | {
      readonly go: false;
      readonly why: string;
      readonly state?: StatusState;
      readonly reasons: readonly string[];
    };

/**
 * The gate: go unless the state is `stop`, there is no state, or it is older than `maxAgeMs` (measured from
 * `checkedAt`, the last time the guard confirmed it).
 */
export function gateVerdict(
  found:
    | { readonly state: StatusState; readonly reasons: readonly string[]; readonly checkedAt: string }
    | undefined,
  now: Date,
  maxAgeMs: number,
): GateVerdict {
  if (!found) {
    return {
      go: false,
      why: 'no state is stored for this organization: the guard has not run for it yet',
      reasons: [],
    };
  }
  const ageMs = now.getTime() - Date.parse(found.checkedAt);
  if (!(ageMs <= maxAgeMs)) {
    return {
      go: false,
      why: `the state is from ${found.checkedAt}, older than the allowed ${formatSpan(maxAgeMs / 1000)}: the guard may not be running`,
      state: found.state,
      reasons: found.reasons,
    };
  }
  if (found.state === 'stop') {
    return {
      go: false,
      why: 'the state is stop: a budget is past its stop line',
      state: found.state,
      reasons: found.reasons,
    };
  }
  return { go: true, state: found.state, reasons: found.reasons };
}
