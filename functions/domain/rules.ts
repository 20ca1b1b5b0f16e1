/**
 * The alert rules: pure functions of the organization's details, its usage history and the config.
 *
 * 1. Each rule looks at the current state and returns findings: conditions that hold now, with the ledger
 *    identity (kind, rule, period, level) that makes each one fire at most once per period.
 * 2. Where one run crosses several thresholds of one rule, only the highest becomes a finding; the lower
 *    levels are listed in `covers` so the ledger records them without sending.
 * 3. A `null` Runway limit means unlimited: no ratio, no finding.
 * The ledger (not this module) decides whether a finding is new; findings also drive the status item.
 */
import {
  type BudgetConfig,
  type Config,
  limitInCredits,
  type OrganizationConfig,
  type Severity,
} from '../config.ts';
import { addDays, daysBetween, startOfMonth, utcDate, utcMonth } from './dates.ts';
import {
  type BurnRate,
  burnRate,
  dayCumulativeReached,
  forecastMonth,
  type MonthForecast,
  median,
  roundCredits,
  runOutDate,
  spendBetween,
  spendOn,
  type UsageIndex,
} from './figures.ts';
import type { BalanceEpisode, ModelState, OrganizationDetails, Snapshot } from './types.ts';

export interface RuleInput {
  readonly org: OrganizationConfig;
  readonly config: Config;
  /** The evaluation instant; periods are its UTC day and month. */
  readonly now: Date;
  readonly details: OrganizationDetails;
  /** Usage history: at least the current month and the last 30 days. */
  readonly usage: UsageIndex;
  /** First UTC day the usage history is known from. */
  readonly historyStart: string;
  /** The newest stored snapshot before this run, if any. */
  readonly previous?: Snapshot | undefined;
  /** The open low-balance episode, if any. */
  readonly balanceEpisode?: BalanceEpisode | undefined;
}

interface FindingBase {
  readonly rule: string;
  readonly period: string;
  readonly level: string;
  readonly severity: Severity;
  /** Lower levels of the same rule and period that this finding covers. */
  readonly covers: readonly string[];
  /** One line for the status item and logs. */
  readonly summary: string;
}

export interface BudgetFinding extends FindingBase {
  readonly kind: 'budget';
  readonly budget: BudgetConfig;
  readonly spent: number;
  readonly limitCredits: number;
  readonly percent: number;
  readonly threshold: number;
  /** The next higher threshold, if any. */
  readonly nextThreshold?: number | undefined;
  /** First day of the period, and the day spend crossed the threshold. */
  readonly periodStart: string;
  readonly crossedOn: string;
  /** Spend by model over the period, largest first. */
  readonly byModel: readonly { model: string; credits: number }[];
}

export interface ForecastFinding extends FindingBase {
  readonly kind: 'forecast';
  readonly budget: BudgetConfig;
  readonly limitCredits: number;
  readonly forecast: MonthForecast;
  /** The day the budget would be used up at the current burn (may be after month end: then undefined). */
  readonly exhaustedOn?: string | undefined;
}

export interface TierCapFinding extends FindingBase {
  readonly kind: 'tier-cap';
  readonly used30d: number;
  readonly cap: number;
  readonly percent: number;
  readonly threshold: number;
  readonly from: string;
}

export interface DailyQuotaFinding extends FindingBase {
  readonly kind: 'daily-quota';
  readonly model: string;
  readonly used: number;
  readonly limit: number;
  readonly percent: number;
  readonly threshold: number;
}

export interface BalanceFinding extends FindingBase {
  readonly kind: 'balance';
  readonly balance: number;
  readonly floorCredits?: number | undefined;
  readonly floorDays?: number | undefined;
  readonly burn: BurnRate;
  /** Days the balance lasts at the current burn; undefined when nothing is being spent. */
  readonly daysLeft?: number | undefined;
  readonly runsOutOn?: string | undefined;
  /** Which floors are breached. */
  readonly breached: readonly ('credits' | 'days')[];
  /** Credits to buy to get back above both floors plus 30 days of burn. */
  readonly creditsNeeded: number;
  /** Approximate room left under the tier's 30-day purchase cap (cap − credits used in 30 days). */
  readonly capLeft: number;
}

export interface TierChange {
  /** `tier cap`, or `<model> daily limit` / `<model> concurrency`, or `<model>` for added/removed models. */
  readonly what: string;
  readonly before: number | null | 'absent';
  readonly after: number | null | 'absent';
  /** True when the change gives the organization more room. */
  readonly better: boolean;
}

export interface TierChangeFinding extends FindingBase {
  readonly kind: 'tier-change';
  readonly changes: readonly TierChange[];
  readonly previousDate: string;
}

export interface AnomalyFinding extends FindingBase {
  readonly kind: 'anomaly';
  /** The day with the unusual spend. */
  readonly date: string;
  /** `total` or a model name. */
  readonly scope: string;
  readonly spend: number;
  readonly median: number;
  readonly multiple: number;
  readonly floorCredits: number;
  /** First day of the baseline the median is taken over (the day before `date` is its last). */
  readonly baselineFrom?: string | undefined;
  /** The model whose spend rose most over its own median. */
  readonly driver: { readonly model: string; readonly spend: number; readonly median: number };
}

export type Finding =
  | BudgetFinding
  | ForecastFinding
  | TierCapFinding
  | DailyQuotaFinding
  | BalanceFinding
  | TierChangeFinding
  | AnomalyFinding;

/** Ledger keys may not contain `#` in their parts. */
export function keyPart(value: string): string {
  return value.replaceAll('#', '_');
}

function percentOf(value: number, limit: number): number {
  return limit > 0 ? (value / limit) * 100 : 0;
}

/** The thresholds reached, ascending. */
function reached(thresholds: readonly number[], percent: number): number[] {
  // A rounding guard: 79.99999999 of float dust is not 80.
  return thresholds.filter((t) => percent + 1e-9 >= t);
}

function budgetFindings(input: RuleInput): BudgetFinding[] {
  const today = utcDate(input.now);
  const out: BudgetFinding[] = [];
  for (const budget of input.org.budgets) {
    const periodStart = budget.period === 'day' ? today : startOfMonth(today);
    const spent = spendBetween(input.usage, periodStart, today, budget.model);
    const limitCredits = limitInCredits(budget.limit, input.config.usdPerCredit);
    const percent = percentOf(spent, limitCredits);
    const hit = reached(budget.thresholds, percent);
    const threshold = hit.at(-1);
    if (threshold === undefined) continue;
    const byModel = new Map<string, number>();
    for (let d = periodStart; d <= today; d = addDays(d, 1)) {
      for (const [model, credits] of Object.entries(input.usage.get(d)?.credits ?? {})) {
        if (budget.model === undefined || budget.model === model)
          byModel.set(model, (byModel.get(model) ?? 0) + credits);
      }
    }
    out.push({
      kind: 'budget',
      rule: keyPart(budget.id),
      period: budget.period === 'day' ? today : utcMonth(today),
      level: String(threshold),
      severity: threshold >= 100 ? 'critical' : 'warning',
      covers: hit.slice(0, -1).map(String),
      summary: `budget ${budget.id} at ${Math.floor(percent)}% of its ${budget.period === 'day' ? 'daily' : 'monthly'} limit`,
      budget,
      spent,
      limitCredits,
      percent,
      threshold,
      nextThreshold: budget.thresholds.find((t) => t > threshold),
      periodStart,
      crossedOn:
        dayCumulativeReached(
          input.usage,
          periodStart,
          today,
          (threshold / 100) * limitCredits,
          budget.model,
        ) ?? today,
      byModel: [...byModel]
        .map(([model, credits]) => ({ model, credits: roundCredits(credits) }))
        .sort((a, b) => b.credits - a.credits),
    });
  }
  return out;
}

function forecastFindings(input: RuleInput): ForecastFinding[] {
  const today = utcDate(input.now);
  const out: ForecastFinding[] = [];
  for (const budget of input.org.budgets) {
    if (!budget.forecast || budget.period !== 'month') continue;
    const forecast = forecastMonth(input.usage, today, input.historyStart, budget.model);
    if (!forecast) continue;
    const limitCredits = limitInCredits(budget.limit, input.config.usdPerCredit);
    // Already over the limit: the budget rule speaks; a forecast would only repeat it.
    if (forecast.projected < limitCredits || forecast.monthToDate >= limitCredits) continue;
    const meanDaily = forecast.burn.meanDaily;
    const exhaustedOn =
      meanDaily > 0
        ? addDays(today, Math.ceil((limitCredits - forecast.monthToDate) / meanDaily))
        : undefined;
    out.push({
      kind: 'forecast',
      rule: keyPart(budget.id),
      period: utcMonth(today),
      level: 'projected',
      severity: 'warning',
      covers: [],
      summary: `budget ${budget.id} projected at ${Math.floor(percentOf(forecast.projected, limitCredits))}% by month end`,
      budget,
      limitCredits,
      forecast,
      exhaustedOn,
    });
  }
  return out;
}

function tierCapFindings(input: RuleInput): TierCapFinding[] {
  const cap = input.details.maxMonthlyCreditSpend;
  if (!(cap > 0)) return [];
  const today = utcDate(input.now);
  const from = addDays(today, -29);
  const used30d = spendBetween(input.usage, from, today);
  const percent = percentOf(used30d, cap);
  const hit = reached(input.config.tierCapThresholds, percent);
  const threshold = hit.at(-1);
  if (threshold === undefined) return [];
  return [
    {
      kind: 'tier-cap',
      rule: 'max-monthly-credit-spend',
      period: utcMonth(today),
      level: String(threshold),
      severity: threshold >= 100 ? 'critical' : 'warning',
      covers: hit.slice(0, -1).map(String),
      summary: `${Math.floor(percent)}% of the tier's 30-day credit cap used`,
      used30d,
      cap,
      percent,
      threshold,
      from,
    },
  ];
}

function dailyQuotaFindings(input: RuleInput): DailyQuotaFinding[] {
  const today = utcDate(input.now);
  const out: DailyQuotaFinding[] = [];
  for (const [model, state] of Object.entries(input.details.models)) {
    const limit = state.maxDailyGenerations;
    if (limit === null || limit <= 0) continue;
    const percent = percentOf(state.dailyGenerations, limit);
    const hit = reached(input.config.dailyQuotaThresholds, percent);
    const threshold = hit.at(-1);
    if (threshold === undefined) continue;
    out.push({
      kind: 'daily-quota',
      rule: keyPart(model),
      period: today,
      level: String(threshold),
      severity: threshold >= 100 ? 'critical' : 'warning',
      covers: hit.slice(0, -1).map(String),
      summary: `${model} at ${Math.floor(percent)}% of its daily generation limit`,
      model,
      used: state.dailyGenerations,
      limit,
      percent,
      threshold,
    });
  }
  return out;
}

/** Balance floors: evaluated for the status, the digest and the `balance` rule alike. */
export function evaluateBalance(input: RuleInput): Omit<BalanceFinding, keyof FindingBase | 'kind'> {
  const today = utcDate(input.now);
  const burn = burnRate(input.usage, today, input.historyStart);
  const balance = input.details.creditBalance;
  const floorCredits = input.org.lowBalance?.credits;
  const floorDays = input.org.lowBalance?.days;
  const breached: ('credits' | 'days')[] = [];
  if (floorCredits !== undefined && balance < floorCredits) breached.push('credits');
  if (floorDays !== undefined && burn.meanDaily > 0 && balance < floorDays * burn.meanDaily)
    breached.push('days');
  const daysLeft = burn.meanDaily > 0 ? Math.max(0, balance / burn.meanDaily) : undefined;
  const target =
    Math.max(floorCredits ?? 0, (floorDays ?? 0) * burn.meanDaily) + 30 * Math.max(0, burn.meanDaily);
  const used30d = spendBetween(input.usage, addDays(today, -29), today);
  return {
    balance,
    floorCredits,
    floorDays,
    burn,
    daysLeft,
    runsOutOn: runOutDate(balance, burn.meanDaily, today),
    breached,
    creditsNeeded: Math.max(0, Math.ceil(target - balance)),
    capLeft: Math.max(0, roundCredits(input.details.maxMonthlyCreditSpend - used30d)),
  };
}

/** The `balance` rule: one alert per episode; the episode closes (re-arms) once both floors clear. */
function balanceFinding(input: RuleInput): { finding?: BalanceFinding; episode?: BalanceEpisode } {
  const state = evaluateBalance(input);
  if (state.breached.length === 0) return {};
  const episode = input.balanceEpisode ?? { since: input.now.toISOString().slice(0, 13) };
  return {
    episode,
    finding: {
      kind: 'balance',
      rule: 'low-balance',
      period: episode.since,
      level: 'critical',
      severity: 'critical',
      covers: [],
      summary:
        state.daysLeft === undefined
          ? 'credit balance below its floor'
          : `credit balance below its floor (about ${Math.floor(state.daysLeft)} day${Math.floor(state.daysLeft) === 1 ? '' : 's'} of spend left)`,
      ...state,
    },
  };
}

function tierChangeFinding(input: RuleInput): TierChangeFinding | undefined {
  const prev = input.previous;
  if (!prev) return undefined;
  const changes: TierChange[] = [];
  const cur = input.details;
  if (prev.maxMonthlyCreditSpend !== cur.maxMonthlyCreditSpend) {
    changes.push({
      what: 'tier cap (credits per 30 days)',
      before: prev.maxMonthlyCreditSpend,
      after: cur.maxMonthlyCreditSpend,
      better: cur.maxMonthlyCreditSpend > prev.maxMonthlyCreditSpend,
    });
  }
  // Only models the tier lists have limits to compare; a model seen only in today's usage has none.
  const tiered = (m: ModelState | undefined): m is ModelState => m !== undefined && m.inTier !== false;
  const models = [...new Set([...Object.keys(prev.models), ...Object.keys(cur.models)])].sort();
  for (const model of models) {
    const a = prev.models[model];
    const b = cur.models[model];
    if (tiered(a) && tiered(b)) {
      for (const [field, label] of [
        ['maxDailyGenerations', 'daily limit'],
        ['maxConcurrentGenerations', 'concurrency'],
      ] as const) {
        if (a[field] !== b[field]) {
          changes.push({
            what: `${model} ${label}`,
            before: a[field],
            after: b[field],
            better: isMoreRoom(a[field], b[field]),
          });
        }
      }
    } else if (tiered(b)) {
      changes.push({
        what: `${model} daily limit`,
        before: 'absent',
        after: b.maxDailyGenerations,
        better: true,
      });
    } else if (tiered(a)) {
      changes.push({
        what: `${model} daily limit`,
        before: a.maxDailyGenerations,
        after: 'absent',
        better: false,
      });
    }
  }
  if (changes.length === 0) return undefined;
  const today = utcDate(input.now);
  return {
    kind: 'tier-change',
    rule: 'tier',
    period: today,
    level: fingerprint(changes.map((c) => `${c.what}:${c.before}>${c.after}`).join('|')),
    severity: changes.every((c) => c.better) ? 'info' : 'warning',
    covers: [],
    summary: `Runway changed ${changes.length} tier limit${changes.length > 1 ? 's' : ''}`,
    changes,
    previousDate: prev.date,
  };
}

/** `null` is unlimited: any number → null is more room, null → a number is less. */
function isMoreRoom(before: number | null, after: number | null): boolean {
  if (after === null) return true;
  if (before === null) return false;
  return after > before;
}

/** A short, stable hash (FNV-1a, base 36) so each distinct tier change has its own ledger item. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

/** Days before `date` the anomaly rule compares against, and how many must be known. */
const ANOMALY_BASELINE_DAYS = 14;
const ANOMALY_MIN_KNOWN_DAYS = 7;

function anomalyFindings(input: RuleInput): AnomalyFinding[] {
  const { multiple, floorCredits } = input.config.anomaly;
  const today = utcDate(input.now);
  const out: AnomalyFinding[] = [];
  // Yesterday is checked too: its last hours (or a restatement) may arrive after its last run.
  for (const date of [addDays(today, -1), today]) {
    let baselineFrom = addDays(date, -ANOMALY_BASELINE_DAYS);
    if (baselineFrom < input.historyStart) baselineFrom = input.historyStart;
    const known = daysBetween(baselineFrom, date);
    if (known < ANOMALY_MIN_KNOWN_DAYS) continue;
    const baselineOf = (model?: string) => {
      const values: number[] = [];
      for (let d = baselineFrom; d < date; d = addDays(d, 1)) values.push(spendOn(input.usage, d, model));
      return median(values);
    };
    const isAnomalous = (spend: number, med: number) => spend > multiple * med && spend > floorCredits;
    const models = Object.keys(input.usage.get(date)?.credits ?? {}).sort();
    const perModel = models.map((model) => ({
      model,
      spend: spendOn(input.usage, date, model),
      median: baselineOf(model),
    }));
    const driver = [...perModel].sort((a, b) => b.spend - b.median - (a.spend - a.median))[0];
    if (!driver) continue;
    const totalSpend = spendOn(input.usage, date);
    const totalMedian = baselineOf();
    const firing = perModel.filter((m) => isAnomalous(m.spend, m.median));
    if (isAnomalous(totalSpend, totalMedian)) {
      out.push({
        kind: 'anomaly',
        rule: 'total',
        period: date,
        level: 'spike',
        severity: 'warning',
        covers: [],
        summary: `spend on ${date} is ${ratioText(totalSpend, totalMedian)} the usual day, driven by ${driver.model}`,
        date,
        scope: 'total',
        spend: totalSpend,
        median: totalMedian,
        multiple,
        floorCredits,
        baselineFrom,
        driver,
      });
      continue;
    }
    for (const m of firing) {
      out.push({
        kind: 'anomaly',
        rule: keyPart(m.model),
        period: date,
        level: 'spike',
        severity: 'warning',
        covers: [],
        summary: `${m.model} spend on ${date} is ${ratioText(m.spend, m.median)} its usual day`,
        date,
        scope: m.model,
        spend: m.spend,
        median: m.median,
        multiple,
        floorCredits,
        baselineFrom,
        driver: m,
      });
    }
  }
  return out;
}

function ratioText(value: number, base: number): string {
  return base > 0 ? `${(value / base).toFixed(1)}×` : 'far above';
}

export interface Evaluation {
  readonly findings: readonly Finding[];
  /** The low-balance episode to keep open, or undefined when it closed (or never opened). */
  readonly balanceEpisode?: BalanceEpisode | undefined;
}

/** Runs every rule. Findings are ordered by severity (critical first), then by kind. */
export function evaluateRules(input: RuleInput): Evaluation {
  const balance = balanceFinding(input);
  const tierChange = tierChangeFinding(input);
  const findings: Finding[] = [
    ...(balance.finding ? [balance.finding] : []),
    ...budgetFindings(input),
    ...forecastFindings(input),
    ...tierCapFindings(input),
    ...dailyQuotaFindings(input),
    ...anomalyFindings(input),
    ...(tierChange ? [tierChange] : []),
  ];
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  findings.sort((a, b) => rank[a.severity] - rank[b.severity]);
  return { findings, balanceEpisode: balance.episode };
}
