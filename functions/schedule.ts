/**
 * How often the guard runs, read from the config's EventBridge schedule expression, in plain seconds. The stack
 * (`lib/schedule-period.ts`) sizes its heartbeat alarm from these figures, and `budget-guard status` uses the same
 * ones to tell when the last successful run is too old. Pure: no CDK, no SDK.
 */

/** The interval between two runs. */
export interface ScheduleInterval {
  /** For `cron(...)`, an assumed 3600 (see `readScheduleInterval`). */
  readonly seconds: number;
  /** `false` for `cron(...)`: the interval was assumed, not read. */
  readonly exact: boolean;
}

/** The heartbeat alarm's shape: `evaluationPeriods` consecutive periods of `periodSeconds` with no success. */
export interface HeartbeatWindowSeconds {
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const SECONDS_PER_UNIT: Record<string, number> = {
  minute: 60,
  minutes: 60,
  hour: 3600,
  hours: 3600,
  day: 86_400,
  days: 86_400,
};

/** CloudWatch alarm limits: a period of at most a day here, and a look-back of at most 7 days. */
const MAX_ALARM_PERIOD_SECONDS = 86_400;
const MAX_ALARM_WINDOW_SECONDS = 7 * 86_400;

/**
 * Reads the interval of a schedule expression that `parseConfig` already accepted.
 *
 * 1. `rate(N unit)` → exactly N units.
 * 2. `cron(...)` → 1 hour, not exact. A cron expression can run at uneven intervals (weekdays only, twice a
 *    day), so there is no single period to read; 1 hour matches the default schedule and the hourly runs
 *    the design assumes.
 * @throws Error for an expression that is neither (parseConfig rejects those first).
 */
export function readScheduleInterval(expression: string): ScheduleInterval {
  const rate = RATE.exec(expression);
  if (rate) {
    const [, amount, unit] = rate;
    const seconds = Number(amount) * (SECONDS_PER_UNIT[unit ?? ''] ?? Number.NaN);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new Error(`schedule ${expression} has no usable interval`);
    return { seconds, exact: true };
  }
  if (expression.startsWith('cron(')) return { seconds: 3600, exact: false };
  throw new Error(`schedule ${expression} is neither rate(...) nor cron(...)`);
}

/**
 * The heartbeat covers two schedule periods. Periods longer than a day are split into day-long alarm
 * periods (4 × 1 day for `rate(2 days)`), since the alarm's own period stays at most one day.
 * @throws Error when two schedule periods exceed CloudWatch's 7-day alarm look-back (e.g. `rate(4 days)`).
 */
export function heartbeatWindowSeconds(intervalSeconds: number): HeartbeatWindowSeconds {
  const twoPeriods = 2 * intervalSeconds;
  if (twoPeriods > MAX_ALARM_WINDOW_SECONDS) {
    throw new Error(
      `the schedule runs every ${formatInterval(intervalSeconds)}; the heartbeat alarm watches two periods, ` +
        'and CloudWatch alarms look back at most 7 days. Use a schedule of at most rate(3 days).',
    );
  }
  const periodSeconds = Math.min(intervalSeconds, MAX_ALARM_PERIOD_SECONDS);
  return { periodSeconds, evaluationPeriods: Math.ceil(twoPeriods / periodSeconds) };
}

/** `3600` → `1 hour`, `900` → `15 minutes`, `172800` → `2 days`; the largest whole unit, else seconds. */
export function formatInterval(seconds: number): string {
  for (const [unit, size] of [
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}
