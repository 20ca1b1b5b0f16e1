/**
 * `daily-quota`: a model's generations in Runway's daily window reach a threshold of its non-null daily limit
 * (Runway answers 429 at 100%). Once per model × UTC day × threshold; warning, critical at 100%.
 */

import { utcDate } from '../dates.ts';
import { percentOf } from '../figures.ts';
import { formatNumber, formatPercent, round2 } from '../format.ts';
import { type Draft, defineAlert, type FindingBase, RUNWAY_PAGES } from './alert.ts';
import { highestCrossed } from './thresholds.ts';

export interface DailyQuotaFinding extends FindingBase {
  readonly kind: 'daily-quota';
  readonly model: string;
  readonly used: number;
  readonly limit: number;
  readonly percent: number;
  readonly threshold: number;
}

function draft(f: DailyQuotaFinding): Draft {
  return {
    subject: `${f.model} at ${formatPercent(f.percent)} of daily limit — ${formatNumber(f.used)} of ${formatNumber(f.limit)} generations`,
    headline: `${f.model} has run ${formatNumber(f.used)} generations in Runway's current daily window, ${formatPercent(
      f.percent,
    )} of the ${formatNumber(f.limit)} the tier allows. ${
      f.percent >= 100
        ? 'Runway now rejects new tasks for this model with HTTP 429 until the window rolls over.'
        : 'At the limit, Runway rejects new tasks for this model with HTTP 429.'
    }`,
    facts: [
      ['Model', f.model],
      ['Generations', `${formatNumber(f.used)} of ${formatNumber(f.limit)} (${formatPercent(f.percent)})`],
      ['Remaining', formatNumber(Math.max(0, f.limit - f.used))],
      ['Window', "Runway's rolling daily window (resets gradually over 24 hours)"],
    ],
    advice: [
      'Slow or queue non-urgent jobs for this model, or move them to a model with room left (see the daily digest).',
      `For a higher limit, request a tier upgrade or an exception on ${RUNWAY_PAGES.usage}.`,
      'Make sure callers retry 429 responses with backoff rather than failing the job.',
    ],
    footer: `You get this alert once per model, UTC day and alert line (${f.threshold}% this time).`,
    data: {
      model: f.model,
      dailyGenerations: f.used,
      maxDailyGenerations: f.limit,
      remainingGenerations: Math.max(0, f.limit - f.used),
      percent: round2(f.percent),
      threshold: f.threshold,
    },
  };
}

export const dailyQuotaAlert = defineAlert<DailyQuotaFinding>({
  kind: 'daily-quota',
  evaluate({ input }) {
    const today = utcDate(input.now);
    const out: DailyQuotaFinding[] = [];
    for (const [model, state] of Object.entries(input.details.models)) {
      const limit = state.maxDailyGenerations;
      if (limit === null || limit <= 0) continue;
      const percent = percentOf(state.dailyGenerations, limit);
      const crossing = highestCrossed(input.config.dailyQuotaThresholds, percent);
      if (!crossing) continue;
      out.push({
        kind: 'daily-quota',
        rule: model,
        period: today,
        level: String(crossing.threshold),
        severity: crossing.severity,
        covers: crossing.covers,
        summary: `${model} at ${formatPercent(percent)} of its daily generation limit`,
        model,
        used: state.dailyGenerations,
        limit,
        percent,
        threshold: crossing.threshold,
      });
    }
    return out;
  },
  draft,
  samples: [
    {
      name: 'daily-quota',
      severity: 'warning',
      finding: () => ({
        kind: 'daily-quota',
        rule: 'gen4.5',
        period: '2026-11-22',
        level: '80',
        severity: 'warning',
        covers: [],
        summary: 'gen4.5 at 88% of its daily generation limit',
        model: 'gen4.5',
        used: 884,
        limit: 1000,
        percent: 88.4,
        threshold: 80,
      }),
    },
    {
      name: 'daily-quota-critical',
      severity: 'critical',
      finding: () => ({
        kind: 'daily-quota',
        rule: 'veo3.1',
        period: '2026-11-22',
        level: '100',
        severity: 'critical',
        covers: ['80'],
        summary: 'veo3.1 at 100% of its daily generation limit',
        model: 'veo3.1',
        used: 1000,
        limit: 1000,
        percent: 100,
        threshold: 100,
      }),
    },
  ],
});
