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

/**
 * The environment variables the guard reads, in one place: the stack sets them on the Lambda by these names
 * (typed, so a misspelt name does not compile), the Lambda and the CLI read them.
 * - `TABLE_NAME`, `TOPIC_ARN`: the DynamoDB table and the alerts topic (Lambda: set by the stack; CLI: unset
 *   means the local store and outbox).
 * - `CHAT_TOPIC_ARNS`: one SNS topic per entry of the config's `chat` list, comma-separated, in order.
 * - `STATE_PARAMETER_PREFIX`: where organization states are published as SSM parameters (`/<stack>/state/`);
 *   unset: not published.
 * - `STACK_NAME`: the stack's name, the `stack` dimension of every metric (Lambda only).
 * - `AWS_REGION`: set by Lambda itself; the Secrets Manager client's region.
 * - `RUNWAYML_API_SECRET`, `RUNWAYML_BASE_URL`: the Runway SDK's own (CLI: the key; the simulator: the URL).
 * - `BUDGET_GUARD_CONFIG`: a config document (CLI only).
 */
export type GuardEnvName =
  | 'TABLE_NAME'
  | 'TOPIC_ARN'
  | 'CHAT_TOPIC_ARNS'
  | 'STATE_PARAMETER_PREFIX'
  | 'STACK_NAME'
  | 'AWS_REGION'
  | 'RUNWAYML_API_SECRET'
  | 'RUNWAYML_BASE_URL'
  | 'BUDGET_GUARD_CONFIG';

/** The guard's view of the environment: each of {@link GuardEnvName}, possibly unset. */
export type GuardEnv = { readonly [name in GuardEnvName]?: string | undefined };

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
