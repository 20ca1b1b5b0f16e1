/**
 * The alert kinds, in evaluation order. Rule evaluation, rendering, `budget-guard test-alert`, the golden
 * tests and the README's examples all read this list. To add a kind: write `<kind>.ts` exporting an
 * `AlertDefinition` (finding type, rule, draft, samples) and add it here; the config's `kinds` accept it
 * at once.
 */
import type { Severity } from '../../config.ts';
import { computeOverview, type Overview } from '../overview.ts';
import type { Alert, BalanceEpisode, Message } from '../types.ts';
import type { AlertDefinition, FindingBase, MessageContext, RuleInput, Sample } from './alert.ts';
import { type AnomalyFinding, anomalyAlert } from './anomaly.ts';
import { type BalanceFinding, balanceAlert, balanceEpisodeOf } from './balance.ts';
import { type BudgetFinding, budgetAlert } from './budget.ts';
import { type DailyQuotaFinding, dailyQuotaAlert } from './daily-quota.ts';
import { type DigestFinding, digestAlert } from './digest.ts';
import { type ForecastFinding, forecastAlert } from './forecast.ts';
import { type GuardErrorFinding, guardErrorAlert } from './guard-error.ts';
import { render } from './render.ts';
import { type TierCapFinding, tierCapAlert } from './tier-cap.ts';
import { type TierChangeFinding, tierChangeAlert } from './tier-change.ts';

export type { MessageContext, RuleInput } from './alert.ts';
export { SAMPLE_NOW, sampleContext } from './alert.ts';

import { SAMPLE_NOW } from './alert.ts';

export type { AnomalyFinding } from './anomaly.ts';
export type { BalanceFinding } from './balance.ts';
export type { BudgetFinding } from './budget.ts';
export type { DailyQuotaFinding } from './daily-quota.ts';
export type { DigestFinding } from './digest.ts';
export type { ForecastFinding } from './forecast.ts';
export type { GuardErrorFinding, GuardErrorInfo } from './guard-error.ts';
export { buildSubject, MESSAGE_SCHEMA } from './render.ts';
export type { TierCapFinding } from './tier-cap.ts';
export type { TierChange, TierChangeFinding } from './tier-change.ts';

/** Every kind, in the order rules run (the digest last: it lists what the others found). */
export const ALERTS = [
  budgetAlert,
  forecastAlert,
  tierCapAlert,
  dailyQuotaAlert,
  balanceAlert,
  tierChangeAlert,
  anomalyAlert,
  guardErrorAlert,
  digestAlert,
] as const;

export type AlertKind = (typeof ALERTS)[number]['kind'];

/** The kinds, for the config schema's `kinds` and `--kind`. */
export const ALERT_KINDS = ALERTS.map((a) => a.kind) as unknown as readonly [AlertKind, ...AlertKind[]];

export type Finding =
  | BudgetFinding
  | ForecastFinding
  | TierCapFinding
  | DailyQuotaFinding
  | BalanceFinding
  | TierChangeFinding
  | AnomalyFinding
  | GuardErrorFinding
  | DigestFinding;

const BY_KIND = new Map<string, AlertDefinition>(
  ALERTS.map((a) => [a.kind, a as unknown as AlertDefinition]),
);

function definitionOf(kind: string): AlertDefinition {
  const definition = BY_KIND.get(kind);
  if (!definition) throw new TypeError(`No alert kind "${kind}" is registered`);
  return definition;
}

export interface Evaluation {
  /** The conditions found (every kind that is not informational), critical first, then in registry order. */
  readonly findings: readonly Finding[];
  /** Informational findings (the digest): sent, but never part of the status. */
  readonly reports: readonly Finding[];
  /** The overview of the same inputs (the terminal report, the snapshot and the digest read it). */
  readonly overview: Overview;
  /** The low-balance episode to keep open, or undefined when it closed (or never opened). */
  readonly balanceEpisode: BalanceEpisode | undefined;
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Runs every rule on `input`. */
export function evaluateRules(input: RuleInput): Evaluation {
  const overview = computeOverview(input);
  const found: FindingBase[] = [];
  const reports: FindingBase[] = [];
  for (const alert of ALERTS as unknown as readonly AlertDefinition[]) {
    if (!alert.evaluate) continue;
    const results = alert.evaluate({ input, overview, earlier: found });
    (alert.informational ? reports : found).push(...results);
  }
  const findings = (found as Finding[]).sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  return { findings, reports: reports as Finding[], overview, balanceEpisode: balanceEpisodeOf(findings) };
}

/** Renders any finding through its kind's draft. */
export function renderFinding(finding: Finding, ctx: MessageContext): Message {
  return render(finding, definitionOf(finding.kind).draft(finding, ctx), ctx);
}

/** A finding as the ledger protocol delivers it: its ledger identity and its rendered message. */
export function alertOf(finding: Finding, ctx: MessageContext): Alert {
  return {
    kind: finding.kind,
    rule: finding.rule,
    period: finding.period,
    level: finding.level,
    severity: finding.severity,
    covers: finding.covers,
    message: renderFinding(finding, ctx),
  };
}

export interface NamedSample {
  readonly name: string;
  readonly kind: AlertKind;
  readonly severity: Severity;
  /** The clock the sample is about, when not `SAMPLE_NOW` (see `Sample.now`). */
  readonly now?: Date | undefined;
  /** Renders the sample for an organization (`ctx` names it; `ctx.test` marks it a test). */
  render(ctx: MessageContext): Message;
}

/** Every sample, in registry order; the first sample of a kind is its usual shape. */
export const SAMPLES: readonly NamedSample[] = ALERTS.flatMap((alert) =>
  (alert.samples as readonly Sample[]).map((sample) => ({
    name: sample.name,
    kind: alert.kind,
    severity: sample.severity,
    now: sample.now,
    render: (ctx: MessageContext) => {
      const at = sample.now && ctx.now.getTime() === SAMPLE_NOW.getTime() ? { ...ctx, now: sample.now } : ctx;
      return renderFinding(sample.finding(at) as Finding, at);
    },
  })),
);

/** The samples of one kind, its usual shape first. */
export function samplesOf(kind: AlertKind): NamedSample[] {
  return SAMPLES.filter((s) => s.kind === kind);
}
