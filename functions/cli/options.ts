/**
 * The `budget-guard` options several commands share, each declared once (flags, description, parser), and the
 * parsers of option values. A parser throws `UsageError` (exit 2) with the reason, naming the value.
 */
import { Option } from '@commander-js/extra-typings';
import { daysInMonth } from '../domain/dates.ts';
import { formatMonth } from '../domain/format.ts';
import { BACKFILL_MAX_DAYS } from './backfill.ts';
import { UsageError } from './wiring.ts';

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))?)?$/;

/**
 * Reads an ISO 8601 date (`2026-11-22`, midnight UTC) or date and time (`2026-11-22T08:00`, `…T08:00:00`,
 * `…T08:00:00.250`), UTC unless it ends in an offset (`Z`, `+01:00`, `-0500`). Strict: every part must exist
 * on the calendar and the clock: 2026-02-30 and hour 24 are errors, where `Date` would roll over into March or
 * the next day.
 * Fractions of a second beyond milliseconds are dropped.
 * @throws RangeError with the reason when `text` is not such a date or time.
 */
export function parseInstant(text: string): Date {
  const match = INSTANT.exec(text);
  if (!match) throw new RangeError('not an ISO 8601 date or time');
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', , sign, oh = '00', om = '00'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12) throw new RangeError(`there is no month ${mo}`);
  const lastDay = daysInMonth(`${y}-${mo}-01`);
  if (day < 1 || day > lastDay) {
    throw new RangeError(`${formatMonth(`${y}-${mo}`)} has ${lastDay} days`);
  }
  if (hour > 23) throw new RangeError(`there is no hour ${h}`);
  if (minute > 59) throw new RangeError(`there is no minute ${mi}`);
  if (second > 59) throw new RangeError(`there is no second ${s}`);
  if (Number(oh) > 23 || Number(om) > 59) throw new RangeError(`${sign}${oh}:${om} is not a UTC offset`);
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0 to 99 as 1900 to 1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const instant = new Date(date.getTime() - offsetMinutes * 60_000);
  if (Number.isNaN(instant.getTime())) throw new RangeError('out of the range of dates');
  return instant;
}

/** `--now`: see `parseInstant`. */
export function parseNow(value: string): Date {
  try {
    return parseInstant(value);
  } catch (error) {
    // The reason only when the value has the right shape: "garbage" needs none.
    const reason = INSTANT.test(value) && error instanceof RangeError ? `: ${error.message}` : '';
    throw new UsageError(
      `--now must be an ISO 8601 date or time (UTC unless it has an offset), e.g. 2026-11-22T08:00:00Z (got "${value}"${reason})`,
    );
  }
}

/** `--days`: a whole number from 1 to `BACKFILL_MAX_DAYS`. */
export function parseDays(value: string): number {
  const days = Number(value);
  if (!/^\d+$/.test(value) || days < 1 || days > BACKFILL_MAX_DAYS) {
    throw new UsageError(
      `--days must be a whole number from 1 to ${BACKFILL_MAX_DAYS} (Runway keeps ${BACKFILL_MAX_DAYS} days of usage); got "${value}"`,
    );
  }
  return days;
}

/** `--port`: 0 (any free port) to 65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new UsageError(`--port must be a port number from 0 to 65535 (got "${value}")`);
  }
  return port;
}

// The shared options. Each call returns a new Option: commander keeps one per command.

/** `--config F`. */
export function configOption() {
  return new Option(
    '--config <file>',
    'config JSON, or a cdk.json with context.budgetGuard (default: BUDGET_GUARD_CONFIG, else ./cdk.json)',
  );
}

/** `--org ID`; the description says what the command does with it. */
export function orgOption(description = 'only this organization (its id in the config)') {
  return new Option('--org <id>', description);
}

/** `--demo`; the description says what demo mode means to the command. */
export function demoOption(
  description = 'read the built-in Runway simulator (the default without RUNWAYML_API_SECRET) and, without --config or BUDGET_GUARD_CONFIG, its demo config',
) {
  return new Option('--demo', description);
}

/** `--now ISO`, parsed strictly (`parseNow`). */
export function nowOption() {
  return new Option(
    '--now <iso>',
    'the clock, e.g. 2026-11-22T08:00:00Z or 2026-11-22 (UTC unless it has an offset; default: now)',
  ).argParser(parseNow);
}

/** `--json`. */
export function jsonOption() {
  return new Option('--json', 'print the whole result as one JSON object');
}

const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Reads a duration such as `90s`, `45m`, `2h` or `1.5d` into milliseconds (`--max-age`).
 * @throws UsageError naming the value when it is not a positive number followed by s, m, h or d.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  const ms = match ? Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? ''] ?? Number.NaN) : Number.NaN;
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new UsageError(`--max-age must be a duration such as 90m, 2h or 1d (got "${text}")`);
  }
  return ms;
}
