/**
 * Names shared by the guard (runtime) and the stack (synth time): metric names and dimensions the dashboard
 * and alarms read, the file the configuration travels in, and the placeholder the stack puts in each
 * organization's secret. No SDK imports.
 */

/** CloudWatch namespace of every metric the guard emits (as Embedded Metric Format log lines). */
export const METRICS_NAMESPACE = 'RunwayBudgetGuard';

/**
 * Metric names. Every metric the Lambda emits carries the `stack` dimension (the stack name), so two stacks
 * in one account and region never share a metric and a healthy stack cannot hide a dead one's heartbeat.
 * Fleet metrics (always emitted):
 * - `CycleSucceeded`, `CycleFailed`: `stack`. One datum per organization cycle, so their sums per period are
 *   the organizations checked and failed; the heartbeat alarm sums `CycleSucceeded`.
 * - `NotificationsSent`: `stack`. Alerts published by one run, one datum per run.
 * Per-organization metrics (only with `deployment.perOrganizationMetrics: true`; each org × model is one
 * billed custom metric):
 * - `CreditBalance`, `MonthToDateCredits`, `Rolling30dCredits`, `ForecastMonthCredits`: `stack`, `org`.
 * - `DailyQuotaUsedPercent`: `stack`, `org`, `model` (only models with a non-null daily limit).
 * Units: credits and counts are `Count`, percentages `Percent`.
 */
export const METRIC = {
  cycleSucceeded: 'CycleSucceeded',
  cycleFailed: 'CycleFailed',
  notificationsSent: 'NotificationsSent',
  creditBalance: 'CreditBalance',
  monthToDateCredits: 'MonthToDateCredits',
  rolling30dCredits: 'Rolling30dCredits',
  forecastMonthCredits: 'ForecastMonthCredits',
  dailyQuotaUsedPercent: 'DailyQuotaUsedPercent',
} as const;

/** Metric dimension names. */
export const DIMENSION = { stack: 'stack', org: 'org', model: 'model' } as const;

/** The environment variable that names the stack (the `stack` dimension); the stack sets it on the Lambda. */
export const STACK_NAME_ENV = 'STACK_NAME';

/**
 * The configuration file in the Lambda's code asset, next to `index.mjs`: the validated config as JSON.
 * The configuration does not travel in the environment, whose 4 KiB would cap the number of organizations.
 */
export const GUARD_CONFIG_FILE = 'config.json';

/**
 * The value the stack stores in a new organization secret. The guard recognizes it and raises a
 * `guard-error` telling the engineer to put the real key.
 */
export const API_KEY_PLACEHOLDER = 'REPLACE_WITH_RUNWAY_API_KEY';

/** Where the guard stores things locally when no AWS resources are named (CLI only). */
export const LOCAL_STATE_DIR = '.budget-guard';
