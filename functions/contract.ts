/**
 * Names shared by the guard (runtime) and the stack (synth time): metric names and dimensions the dashboard
 * and alarms read, and the placeholder the stack puts in each organization's secret. No SDK imports.
 */

/** CloudWatch namespace of every metric the guard emits (as Embedded Metric Format log lines). */
export const METRICS_NAMESPACE = 'RunwayBudgetGuard';

/**
 * Metric names. Dimensions:
 * - `CycleSucceeded`, `CycleFailed`: none (one datum per organization cycle; the heartbeat alarm sums them).
 * - `CreditBalance`, `MonthToDateCredits`, `Rolling30dCredits`, `ForecastMonthCredits`: `org`.
 * - `DailyQuotaUsedPercent`: `org`, `model` (only models with a non-null daily limit).
 * Units: credits and counts are `Count`, percentages `Percent`.
 */
export const METRIC = {
  cycleSucceeded: 'CycleSucceeded',
  cycleFailed: 'CycleFailed',
  creditBalance: 'CreditBalance',
  monthToDateCredits: 'MonthToDateCredits',
  rolling30dCredits: 'Rolling30dCredits',
  forecastMonthCredits: 'ForecastMonthCredits',
  dailyQuotaUsedPercent: 'DailyQuotaUsedPercent',
} as const;

/**
 * The value the stack stores in a new organization secret. The guard recognizes it and raises a
 * `guard-error` telling the engineer to put the real key.
 */
export const API_KEY_PLACEHOLDER = 'REPLACE_WITH_RUNWAY_API_KEY';

/** Where the guard stores things locally when no AWS resources are named (CLI only). */
export const LOCAL_STATE_DIR = '.budget-guard';
