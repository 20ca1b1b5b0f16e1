/**
 * Reads the guard's EventBridge schedule expression to size the things that depend on how often the guard
 * runs: the heartbeat alarm, the dashboard's metric period, and how long a missed invocation stays worth
 * delivering. Pure: no constructs.
 */
import { Duration } from 'aws-cdk-lib';
import { heartbeatWindowSeconds, readScheduleInterval } from '../functions/schedule.ts';

/** How often the guard runs, as far as the stack can tell from the schedule expression. */
export interface SchedulePeriod {
  /** The interval between two runs. For `cron(...)`, an assumed 1 hour (see `readSchedulePeriod`). */
  readonly period: Duration;
  /** `false` for `cron(...)`: the interval was assumed, not read. */
  readonly exact: boolean;
}

/** The heartbeat alarm's shape: `evaluationPeriods` consecutive periods of `period` with no successful cycle. */
export interface HeartbeatWindow {
  readonly period: Duration;
  readonly evaluationPeriods: number;
}

/**
 * Reads the interval of a schedule expression that `parseConfig` already accepted
 * (`functions/schedule.ts`, shared with `budget-guard status`).
 *
 * 1. `rate(N unit)` → exactly N units.
 * 2. `cron(...)` → 1 hour, not exact. A cron expression can run at uneven intervals (weekdays only, twice a
 *    day), so there is no single period to read; 1 hour matches the default schedule and the hourly runs
 *    the design assumes. A cron schedule that runs less often than hourly makes the heartbeat fire between
 *    runs, so the stack warns at synth time.
 * @throws Error for an expression that is neither (parseConfig rejects those first).
 */
export function readSchedulePeriod(expression: string): SchedulePeriod {
  const { seconds, exact } = readScheduleInterval(expression);
  return { period: Duration.seconds(seconds), exact };
}

/**
 * The heartbeat covers two schedule periods. Periods longer than a day are split into day-long alarm
 * periods (4 × 1 day for `rate(2 days)`), since the alarm's own period stays at most one day.
 * @throws Error when two schedule periods exceed CloudWatch's 7-day alarm look-back (e.g. `rate(4 days)`).
 */
export function heartbeatWindow(schedule: SchedulePeriod): HeartbeatWindow {
  const { periodSeconds, evaluationPeriods } = heartbeatWindowSeconds(schedule.period.toSeconds());
  return { period: Duration.seconds(periodSeconds), evaluationPeriods };
}

/**
 * The guard's Lambda timeout. Each organization's cycle is bounded at 60 s by the guard (20 s per Runway
 * request, at most one quick retry), and organizations may run one after another, so the worst case is
 * 60 s per organization; one extra minute covers cold start, DynamoDB and SNS. At least 3 minutes, at most
 * Lambda's 15.
 */
export function guardTimeout(organizationCount: number): Duration {
  const seconds = 60 * organizationCount + 60;
  return Duration.seconds(Math.min(Math.max(seconds, 180), 900));
}
