/**
 * `tier-change`: the tier cap or a model's limits differ from the tier last announced (`input.previous`, built by
 * the cycle from the status's announced tier). Once per distinct change (the level is a fingerprint of the
 * changes); info when every change gives more room, else warning.
 */
import { formatDate, formatLimit, formatUsd } from '../format.ts';
import { tableName } from '../outside-text.ts';
import { ownValue } from '../records.ts';
import { formatTable, TABLE_ROWS_MAX } from '../text-layout.ts';
import type { ModelState } from '../types.ts';
import { type Draft, defineAlert, type FindingBase, type MessageContext, RUNWAY_PAGES } from './alert.ts';

export interface TierChange {
  /** {@link TIER_CAP_CHANGE}, or `<model> daily limit` / `<model> concurrency` (also for added or removed models). */
  readonly what: string;
  readonly before: number | null | 'absent';
  readonly after: number | null | 'absent';
  /** True when the change gives the organization more room. */
  readonly better: boolean;
}

/**
 * The `what` of the tier cap's change. Every model change ends in ` daily limit` or ` concurrency`, so no model
 * name, however it is spelled, makes a change read as this one.
 */
const TIER_CAP_CHANGE = 'tier cap (credits per 30 days)';

export interface TierChangeFinding extends FindingBase {
  readonly kind: 'tier-change';
  readonly changes: readonly TierChange[];
  readonly previousDate: string;
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

/** The ledger level of a set of changes. */
export function changesFingerprint(changes: readonly TierChange[]): string {
  return fingerprint(changes.map((c) => `${c.what}:${c.before}>${c.after}`).join('|'));
}

function draft(f: TierChangeFinding, ctx: MessageContext): Draft {
  const allBetter = f.changes.every((c) => c.better);
  const lowered = f.changes.filter((c) => !c.better).length;
  const first = f.changes[0];
  const subject =
    f.changes.length === 1 && first
      ? `Runway ${first.what} ${first.better ? 'raised' : 'lowered'} — ${formatLimit(first.before)} → ${formatLimit(first.after)}`
      : `Runway tier limits changed — ${f.changes.length} changes, ${
          allBetter ? 'all increases' : `${lowered} lowered`
        }`;
  const cap = f.changes.find((c) => c.what === TIER_CAP_CHANGE);
  const capDollars = (v: number | null | 'absent') =>
    typeof v === 'number' ? formatUsd(v, ctx.usdPerCredit) : formatLimit(v);
  return {
    subject,
    headline: allBetter
      ? `Good news: Runway raised ${ctx.orgName}'s limits since ${formatDate(f.previousDate)}.`
      : `Runway changed ${ctx.orgName}'s limits since ${formatDate(f.previousDate)}, and ${
          lowered === 1 ? 'one is' : `${lowered} are`
        } lower than before.`,
    facts: [
      ['Compared with', `the stored snapshot of ${formatDate(f.previousDate)}`],
      ['Changes', `${f.changes.length} (${f.changes.length - lowered} more room, ${lowered} less room)`],
      ...(cap
        ? ([
            ['Tier cap', `${capDollars(cap.before)} → ${capDollars(cap.after)} of credits per 30 days`],
          ] as const)
        : []),
    ],
    sections: [
      {
        title: 'What changed (before → now)',
        lines: formatTable(
          ['Limit', 'Before', 'Now', ''],
          f.changes.map((c) => [
            tableName(c.what),
            formatLimit(c.before),
            formatLimit(c.after),
            c.better ? 'more room' : 'LESS ROOM',
          ]),
          '  ',
          TABLE_ROWS_MAX,
        ),
      },
    ],
    advice: allBetter
      ? [
          'No action needed. Budgets in the guard are unchanged; quota and tier-cap alerts now use the new limits.',
        ]
      : [
          'Check that workloads on the lowered limits still fit: a lower daily limit means HTTP 429 errors sooner, a lower tier cap means fewer credits can be bought in 30 days. Quota and tier-cap alerts now use the new limits.',
          `If the change is unexpected, or the new limits are too tight, request a limit exception on ${RUNWAY_PAGES.usage}.`,
        ],
    footer: 'You get this alert once for each change of the limits Runway reports.',
    data: {
      previousDate: f.previousDate,
      allIncreases: allBetter,
      changes: f.changes,
    },
  };
}

/**
 * The finding for `changes` against the tier of `previousDate`. Its period is that day, not today: a change not
 * yet announced keeps that baseline, so a run on a later day that finds the same change finds the same ledger
 * item instead of a second one. Info when every change is an increase, else a warning.
 */
function tierChangeFinding(changes: readonly TierChange[], previousDate: string): TierChangeFinding {
  return {
    kind: 'tier-change',
    rule: 'tier',
    period: previousDate,
    level: changesFingerprint(changes),
    severity: changes.every((c) => c.better) ? 'info' : 'warning',
    covers: [],
    summary: `Runway changed ${changes.length} tier limit${changes.length > 1 ? 's' : ''}`,
    changes,
    previousDate,
  };
}

/** A sample: `changes` since the day before the samples' day, through the rule's own finding. */
function sample(name: string, changes: readonly TierChange[]) {
  const finding = () => tierChangeFinding(changes, '2026-11-21');
  return { name, severity: finding().severity, finding };
}

export const tierChangeAlert = defineAlert<TierChangeFinding>({
  kind: 'tier-change',
  evaluate({ input }) {
    const prev = input.previous;
    if (!prev) return [];
    const changes: TierChange[] = [];
    const cur = input.details;
    if (prev.maxMonthlyCreditSpend !== cur.maxMonthlyCreditSpend) {
      changes.push({
        what: TIER_CAP_CHANGE,
        before: prev.maxMonthlyCreditSpend,
        after: cur.maxMonthlyCreditSpend,
        better: cur.maxMonthlyCreditSpend > prev.maxMonthlyCreditSpend,
      });
    }
    // Only models the tier lists have limits to compare; a model seen only in today's usage has none.
    const tiered = (m: ModelState | undefined): m is ModelState => m !== undefined && m.inTier !== false;
    const models = [...new Set([...Object.keys(prev.models), ...Object.keys(cur.models)])].sort();
    for (const model of models) {
      const a = ownValue(prev.models, model);
      const b = ownValue(cur.models, model);
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
      } else if (tiered(b) && a === undefined && (prev.modelsOmitted ?? 0) > 0) {
        // The previous snapshot left models out to fit its item: this one may have been among them.
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
    if (changes.length === 0) return [];
    return [tierChangeFinding(changes, prev.date)];
  },
  draft,
  samples: [
    sample('tier-change', [
      { what: TIER_CAP_CHANGE, before: 200_000, after: 2_000_000, better: true },
      { what: 'gen4.5 daily limit', before: 1000, after: 5000, better: true },
      { what: 'gen4.5 concurrency', before: 5, after: 10, better: true },
    ]),
    sample('tier-change-lowered', [
      { what: 'gen4_image daily limit', before: 2000, after: null, better: true },
      { what: 'veo3.1 daily limit', before: 1000, after: 500, better: false },
    ]),
  ],
});
