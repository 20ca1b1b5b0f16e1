/**
 * Which Runway usage answers the guard trusts: the one rule, shared by the guard cycle's validate step and
 * `budget-guard backfill`. Pure: given the stored days and the fetched report(s), it returns either the days to
 * accept or the reasons the answer contradicts stored history without evidence.
 *
 * Trusted (stored as Runway says):
 * - any answer when nothing with spend is stored in its range (a new organization, a first backfill);
 * - a restatement of a day Runway still lists: amounts up or down, negative (refunds), models added or
 *   dropped within that day. Runway restates recent days, and the answer itself shows it looked at that day.
 *
 * Not trusted (the cycle raises `guard-error` with reason `runway-data` and stores nothing):
 * - an empty answer (no day at all) for a range where stored days have spend. A POST replayed as a GET with no
 *   body, or a failed query on Runway's side, looks exactly like this; taking it would restate every stored
 *   day to zero, send a "$0.00 spent" digest and close a low-balance episode that is still open;
 * - an answer that omits a stored day with spend while it lists other days (a partial answer): losing a whole
 *   day is what a truncated or paged answer does, not what a restatement does;
 * - figures whose sum over the answer is beyond `Number.MAX_SAFE_INTEGER`, which cannot be stored exactly.
 *
 * Duplicated dates in one answer are refused earlier, by the Runway adapter's validation: every listed date
 * must be listed once. Non-finite or out-of-range numbers and negative balances or limits fail there too.
 */
import { dateRange } from './dates.ts';
import type { UsageDay, UsageReport } from './types.ts';

export type TrustVerdict =
  | { readonly trusted: true; readonly days: readonly UsageDay[] }
  | { readonly trusted: false; readonly reasons: readonly string[] };

/** True when any model of the day has non-zero net credits. */
function hasSpend(day: UsageDay): boolean {
  return day.totalCredits !== 0 || Object.values(day.credits).some((c) => c !== 0);
}

function listDates(dates: readonly string[]): string {
  const shown = dates.slice(0, 5).join(', ');
  return dates.length > 5 ? `${shown} and ${dates.length - 5} more` : shown;
}

/**
 * Judges Runway's usage answer against the stored days of the same range. `stored` may hold days outside the
 * reports' ranges; only those inside a report's `[startDate, beforeDate)` are compared with it.
 */
export function judgeUsage(stored: readonly UsageDay[], reports: readonly UsageReport[]): TrustVerdict {
  const reasons: string[] = [];
  const storedByDate = new Map(stored.map((d) => [d.date, d]));
  let magnitude = 0;
  for (const report of reports) {
    const dates = dateRange(report.startDate, report.beforeDate).slice(0, -1);
    const listed = new Set(report.days.map((d) => d.date));
    const spent = dates.filter((date) => {
      const day = storedByDate.get(date);
      return day !== undefined && hasSpend(day);
    });
    const lost = spent.filter((date) => !listed.has(date));
    const range = `${report.startDate} to ${report.beforeDate} (exclusive)`;
    if (report.days.length === 0 && lost.length > 0) {
      reasons.push(
        `Runway listed no usage at all for ${range}, but ${lost.length} stored day(s) in that range have spend (${listDates(lost)}); an empty answer does not restate history`,
      );
    } else if (lost.length > 0) {
      reasons.push(
        `Runway's answer for ${range} leaves out ${lost.length} stored day(s) with spend (${listDates(lost)}) while it lists ${report.days.length} other day(s); a partial answer does not restate history`,
      );
    }
    for (const day of report.days) {
      for (const credits of Object.values(day.credits)) magnitude += Math.abs(credits);
    }
  }
  if (!Number.isSafeInteger(Math.ceil(magnitude))) {
    reasons.push(
      `Runway's usage figures add up to more than ${Number.MAX_SAFE_INTEGER} credits, which cannot be stored exactly`,
    );
  }
  return reasons.length > 0
    ? { trusted: false, reasons }
    : { trusted: true, days: reports.flatMap((r) => r.days) };
}
