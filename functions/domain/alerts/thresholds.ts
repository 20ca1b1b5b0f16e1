/**
 * The threshold logic shared by the `budget`, `tier-cap` and `daily-quota` rules: which of a rule's
 * percentages a figure has reached, the highest one (the alert that is sent), the lower ones it covers
 * (recorded in the ledger without a message) and the severity (critical at 100% or more).
 */
import type { Severity } from '../../config.ts';

export interface Crossing {
  /** The highest threshold reached. */
  readonly threshold: number;
  /** Lower thresholds reached in the same evaluation, as ledger levels. */
  readonly covers: readonly string[];
  readonly severity: Severity;
  /** The next threshold above, if any. */
  readonly next?: number | undefined;
}

/**
 * The highest of `thresholds` (ascending percentages) that `percent` reaches, or undefined when none is.
 * A rounding guard keeps float dust (79.99999999) from counting as 80.
 */
export function highestCrossed(thresholds: readonly number[], percent: number): Crossing | undefined {
  const hit = thresholds.filter((t) => percent + 1e-9 >= t);
  const threshold = hit.at(-1);
  if (threshold === undefined) return undefined;
  return {
    threshold,
    covers: hit.slice(0, -1).map(String),
    severity: threshold >= 100 ? 'critical' : 'warning',
    next: thresholds.find((t) => t > threshold),
  };
}
