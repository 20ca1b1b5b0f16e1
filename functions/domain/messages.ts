/**
 * Renders findings into notifications: a specific subject (≤ 100 characters, naming the organization and
 * the figure), a plain-text body a finance reader understands without help (what crossed, by how much,
 * since when, what to do), and a JSON document with every figure for machine subscribers.
 */
import type { AlertKind, Severity } from '../config.ts';
import { addDays, daysBetween, utcDate, utcMonth } from './dates.ts';
import { roundCredits } from './figures.ts';
import {
  formatCredits,
  formatDate,
  formatInstant,
  formatLimit,
  formatMoney,
  formatMonth,
  formatNumber,
  formatPercent,
  formatTable,
  formatUsd,
  sparkline,
} from './format.ts';
import type { Overview } from './overview.ts';
import type {
  AnomalyFinding,
  BalanceFinding,
  BudgetFinding,
  DailyQuotaFinding,
  Finding,
  ForecastFinding,
  TierCapFinding,
  TierChangeFinding,
} from './rules.ts';
import type { Message } from './types.ts';

export const MESSAGE_SCHEMA = 'runway-budget-guard/notification/v1';
const SUBJECT_MAX = 100;
const RUNWAY_USAGE_PAGE = 'the Usage page of the Runway developer portal (dev.runwayml.com)';
const RUNWAY_BILLING_PAGE = 'the Billing page of the Runway developer portal (dev.runwayml.com)';

export interface MessageContext {
  readonly orgId: string;
  readonly orgName: string;
  readonly usdPerCredit: number;
  /** When Runway's figures were read. */
  readonly now: Date;
  /** Marks the message as a test that needs no action. */
  readonly test?: boolean;
}

interface Draft {
  readonly kind: AlertKind;
  readonly rule: string;
  readonly period: string;
  readonly level: string;
  readonly severity: Severity;
  /** Subject after the `<org>: ` prefix. */
  readonly subject: string;
  readonly headline: string;
  readonly facts: readonly (readonly [string, string])[];
  readonly advice: readonly string[];
  readonly sections?: readonly { readonly title: string; readonly lines: readonly string[] }[];
  readonly data: Readonly<Record<string, unknown>>;
}

/** Builds the subject, never over 100 characters: the organization name is shortened first. */
export function buildSubject(orgName: string, rest: string, test = false): string {
  const prefix = test ? '[TEST] ' : '';
  const full = `${prefix}${orgName}: ${rest}`;
  if (full.length <= SUBJECT_MAX) return full;
  const room = SUBJECT_MAX - prefix.length - rest.length - 3;
  if (room >= 8) return `${prefix}${orgName.slice(0, room - 1)}…: ${rest}`;
  return `${full.slice(0, SUBJECT_MAX - 1)}…`;
}

/** Splits text into words for wrapping; a `backtick-quoted` command stays on one line. */
function words(text: string): string[] {
  return text.match(/(?:[^\s`]*`[^`]*`)+[^\s`]*|\S+/g) ?? [];
}

/** Wraps text to `width` columns (a word longer than the width gets a line of its own). */
function wrap(text: string, width = 78, indent = ''): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of words(text)) {
    if (line && line.length + 1 + word.length > width - indent.length) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out;
}

/** Plain-text lines stay within this many columns, except wide tables. */
const TEXT_WIDTH = 78;

function render(draft: Draft, ctx: MessageContext): Message {
  const labelWidth = Math.max(...draft.facts.map(([k]) => k.length));
  const lines: string[] = [];
  if (ctx.test) {
    lines.push(
      ...wrap(
        'TEST NOTIFICATION — sent by `budget-guard test-alert` to prove delivery and filters. The figures are examples; no action is needed.',
      ),
      '',
    );
  }
  lines.push(...wrap(draft.headline), '');
  // Facts: a label column, then the value wrapped under itself.
  const valueIndent = ' '.repeat(2 + labelWidth + 2);
  for (const [label, value] of draft.facts) {
    const [first = '', ...rest] = wrap(value, TEXT_WIDTH - valueIndent.length);
    lines.push(`  ${label.padEnd(labelWidth)}  ${first}`, ...rest.map((l) => valueIndent + l));
  }
  for (const section of draft.sections ?? []) lines.push('', section.title, ...section.lines);
  if (draft.advice.length > 0) {
    lines.push('', 'What to do');
    for (const advice of draft.advice) {
      const [first = '', ...rest] = wrap(advice, TEXT_WIDTH - 4);
      lines.push(`  - ${first}`, ...rest.map((l) => `    ${l}`));
    }
  }
  lines.push(
    '',
    '--',
    ...wrap(`Runway Budget Guard · organization "${ctx.orgName}" (${ctx.orgId})`),
    ...wrap(
      `Figures read from Runway's API at ${formatInstant(ctx.now.toISOString())}; all periods are UTC days and months; 1 credit = $${ctx.usdPerCredit}.`,
    ),
    ...wrap(`Alert ${draft.kind} · ${draft.rule} · ${draft.period} · ${draft.level}.`),
  );
  const subject = buildSubject(ctx.orgName, draft.subject, ctx.test);
  return {
    subject,
    text: `${lines.join('\n')}\n`,
    json: {
      schema: MESSAGE_SCHEMA,
      test: ctx.test === true,
      kind: draft.kind,
      rule: draft.rule,
      period: draft.period,
      level: draft.level,
      severity: draft.severity,
      org: { id: ctx.orgId, name: ctx.orgName },
      generatedAt: ctx.now.toISOString(),
      usdPerCredit: ctx.usdPerCredit,
      subject,
      headline: draft.headline,
      ...draft.data,
    },
    attributes: { kind: draft.kind, severity: draft.severity, org: ctx.orgId, rule: draft.rule },
  };
}

const ledger = (f: Finding) => ({ rule: f.rule, period: f.period, level: f.level, severity: f.severity });

function periodText(f: BudgetFinding): string {
  return f.budget.period === 'day'
    ? `today (${formatDate(f.periodStart)})`
    : formatMonth(utcMonth(f.periodStart));
}

function scopeText(model: string | undefined): string {
  return model === undefined ? 'all models' : `model ${model} only`;
}

function budgetDraft(f: BudgetFinding, ctx: MessageContext): Draft {
  const money = (c: number) => formatMoney(c, ctx.usdPerCredit);
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const over = f.spent - f.limitCredits;
  const periodWord = f.budget.period === 'day' ? 'daily' : 'monthly';
  const headline =
    f.percent >= 100
      ? `${ctx.orgName} has spent ${usd(f.spent)} against its ${usd(f.limitCredits)} ${periodWord} budget "${f.budget.id}" for ${periodText(f)}: the budget is used up${over > 0 ? `, ${usd(over)} over` : ''}.`
      : `${ctx.orgName} has spent ${usd(f.spent)} of its ${usd(f.limitCredits)} ${periodWord} budget "${f.budget.id}" for ${periodText(f)}: ${formatPercent(f.percent)} used, past the ${f.threshold}% alert line.`;
  const advice = [
    f.percent >= 100
      ? 'Runway keeps charging past this budget: it is our limit, not Runway\'s. Decide now whether to slow or pause the heaviest models (see "Spend by model") or accept the overspend.'
      : `If this pace is expected, nothing is needed now; the next alert comes at ${f.nextThreshold ?? 100}% (${usd(((f.nextThreshold ?? 100) / 100) * f.limitCredits)}).`,
    `To change the budget, edit the "limit" of budget "${f.budget.id}" in the guard's configuration (cdk.json, context.budgetGuard) and redeploy with \`cdk deploy\`.`,
    `Per-key and per-day detail is on ${RUNWAY_USAGE_PAGE}.`,
  ];
  return {
    kind: 'budget',
    ...ledger(f),
    subject: `${f.budget.id} at ${formatPercent(f.percent)}${f.budget.period === 'day' ? ' today' : ''} — ${usd(f.spent)} of ${usd(f.limitCredits)}`,
    headline,
    facts: [
      ['Budget', `${f.budget.id} (${scopeText(f.budget.model)})`],
      ['Period', periodText(f)],
      ['Spent', money(f.spent)],
      ['Limit', money(f.limitCredits)],
      [
        'Used',
        `${formatPercent(f.percent)} (alert at ${f.budget.thresholds.map((t) => `${t}%`).join(', ')})`,
      ],
      [over >= 0 ? 'Over by' : 'Remaining', money(Math.abs(over))],
      [
        'Crossed on',
        `${formatDate(f.crossedOn)} (${f.threshold}% = ${usd((f.threshold / 100) * f.limitCredits)})`,
      ],
    ],
    sections: [
      {
        title: 'Spend by model in this period',
        lines: f.byModel.length
          ? formatTable(
              ['Model', 'Dollars', 'Credits'],
              f.byModel.map((m) => [m.model, usd(m.credits), formatNumber(m.credits)]),
            )
          : ['  (no usage recorded)'],
      },
    ],
    advice,
    data: {
      budget: { id: f.budget.id, period: f.budget.period, model: f.budget.model ?? null },
      threshold: f.threshold,
      thresholds: f.budget.thresholds,
      spentCredits: f.spent,
      limitCredits: f.limitCredits,
      percent: round2(f.percent),
      remainingCredits: Math.max(0, roundCredits(f.limitCredits - f.spent)),
      overCredits: Math.max(0, roundCredits(f.spent - f.limitCredits)),
      nextThreshold: f.nextThreshold ?? null,
      periodStart: f.periodStart,
      crossedOn: f.crossedOn,
      byModel: f.byModel,
    },
  };
}

function forecastDraft(f: ForecastFinding, ctx: MessageContext): Draft {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const fc = f.forecast;
  const month = formatMonth(f.period);
  const overBy = fc.projected - f.limitCredits;
  const projectedPercent = (fc.projected / f.limitCredits) * 100;
  const maxDaily = fc.daysLeft > 0 ? Math.max(0, f.limitCredits - fc.monthToDate) / fc.daysLeft : 0;
  return {
    kind: 'forecast',
    ...ledger(f),
    subject: `${f.budget.id} forecast ${usd(fc.projected)} of ${usd(f.limitCredits)} for ${month}`,
    headline: `At the current pace, ${ctx.orgName} will spend about ${usd(fc.projected)} in ${month}, ${usd(
      overBy,
    )} (${formatPercent(projectedPercent - 100)}) over its ${usd(f.limitCredits)} budget "${f.budget.id}"${
      f.exhaustedOn ? `; the budget would run out on ${formatDate(f.exhaustedOn)}` : ''
    }. Nothing has been overspent yet: this is an early warning.`,
    facts: [
      ['Budget', `${f.budget.id} (${scopeText(f.budget.model)})`],
      ['Spent so far', formatMoney(fc.monthToDate, ctx.usdPerCredit)],
      [
        'Projection',
        `${formatMoney(fc.projected, ctx.usdPerCredit)}, ${formatPercent(projectedPercent)} of the limit`,
      ],
      ['Limit', formatMoney(f.limitCredits, ctx.usdPerCredit)],
      [
        'Basis',
        `${usd(fc.burn.meanDaily)} a day on average over the ${fc.burn.basisDays} complete days ${formatDateRange(fc.burn.from, fc.burn.to)}, × ${fc.daysLeft} days left`,
      ],
      ['Runs out on', f.exhaustedOn ? formatDate(f.exhaustedOn) : 'not this month'],
    ],
    advice: [
      `To stay within ${usd(f.limitCredits)}, daily spend for the rest of ${month} must average ${usd(
        maxDaily,
      )} or less (now ${usd(fc.burn.meanDaily)}).`,
      `If the higher spend is planned, raise the "limit" of budget "${f.budget.id}" in the guard's configuration (cdk.json, context.budgetGuard) and redeploy; otherwise ask the teams using Runway to slow the most expensive models. Per-model spend is on ${RUNWAY_USAGE_PAGE}.`,
      'You will get this forecast warning at most once a month; budget alerts still follow at each threshold.',
    ],
    data: {
      budget: { id: f.budget.id, period: f.budget.period, model: f.budget.model ?? null },
      monthToDateCredits: fc.monthToDate,
      projectedCredits: fc.projected,
      limitCredits: f.limitCredits,
      projectedPercent: round2(projectedPercent),
      projectedOverCredits: Math.max(0, roundCredits(overBy)),
      maxDailyCreditsToStayWithin: round2(maxDaily),
      meanDailyCredits: round2(fc.burn.meanDaily),
      basisDays: fc.burn.basisDays,
      basisFrom: fc.burn.from,
      basisTo: fc.burn.to,
      daysLeft: fc.daysLeft,
      exhaustedOn: f.exhaustedOn ?? null,
    },
  };
}

function tierCapDraft(f: TierCapFinding, ctx: MessageContext): Draft {
  return {
    kind: 'tier-cap',
    ...ledger(f),
    subject: `${formatPercent(f.percent)} of Runway tier cap used in 30 days — ${formatUsd(f.used30d, ctx.usdPerCredit)} of ${formatUsd(f.cap, ctx.usdPerCredit)}`,
    headline: `${ctx.orgName} has used ${formatCredits(f.used30d)} in the last 30 days, ${formatPercent(
      f.percent,
    )} of the ${formatCredits(f.cap)} its Runway tier allows it to buy in any 30 days. Past the cap, Runway refuses further credit purchases (including auto-recharge) until older purchases leave the window.`,
    facts: [
      ['Used, 30 days', formatMoney(f.used30d, ctx.usdPerCredit)],
      ['Window', `${formatDateRange(f.from, utcDate(ctx.now))} (today so far)`],
      ['Tier cap', `${formatMoney(f.cap, ctx.usdPerCredit)} per 30 days`],
      ['Used', `${formatPercent(f.percent)} (crossed the ${f.threshold}% alert line)`],
      f.used30d > f.cap
        ? ['Over cap by', formatMoney(f.used30d - f.cap, ctx.usdPerCredit)]
        : ['Room left', formatMoney(f.cap - f.used30d, ctx.usdPerCredit)],
    ],
    advice: [
      `If spend will keep this pace, request a tier upgrade or a limit exception on ${RUNWAY_USAGE_PAGE} now: upgrades unlock after cumulative purchases, and exceptions take time.`,
      'Make sure the current credit balance covers the coming days, since topping up may be refused once the cap is reached.',
      "This figure is credits used, the closest measure Runway's API offers; the cap itself counts credits bought.",
    ],
    data: {
      used30dCredits: f.used30d,
      capCredits: f.cap,
      percent: round2(f.percent),
      threshold: f.threshold,
      remainingCredits: Math.max(0, roundCredits(f.cap - f.used30d)),
      overCredits: Math.max(0, roundCredits(f.used30d - f.cap)),
      from: f.from,
      to: utcDate(ctx.now),
    },
  };
}

function dailyQuotaDraft(f: DailyQuotaFinding): Draft {
  return {
    kind: 'daily-quota',
    ...ledger(f),
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
      `For a higher limit, request a tier upgrade or an exception on ${RUNWAY_USAGE_PAGE}.`,
      'Make sure callers retry 429 responses with backoff rather than failing the job.',
    ],
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

/** `Sun 15 – Sat 21 Nov 2026`, `Sat 24 Oct – Sun 22 Nov 2026`, `Wed 31 Dec 2025 – Thu 1 Jan 2026`. */
function formatDateRange(from: string, to: string): string {
  const a = formatDate(from);
  const b = formatDate(to);
  if (from === to) return b;
  if (from.slice(0, 7) === to.slice(0, 7)) return `${a.split(' ').slice(0, 2).join(' ')} – ${b}`;
  if (from.slice(0, 4) === to.slice(0, 4)) return `${a.slice(0, -5)} – ${b}`;
  return `${a} – ${b}`;
}

/** `2026-11-22T09` (an hour key) → `2026-11-22 09:00 UTC`. */
function formatHourKey(key: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}$/.test(key) ? `${key.slice(0, 10)} ${key.slice(11)}:00 UTC` : key;
}

/** Whether the tier's 30-day purchase cap leaves room to buy `needed` credits, in words. */
function capRoomText(needed: number, capLeft: number, usdPerCredit: number): string {
  const room = `about ${formatMoney(capLeft, usdPerCredit)} can be bought now under the tier's 30-day purchase cap`;
  if (needed <= 0) return room;
  return needed <= capLeft
    ? `${room}: enough for that purchase`
    : `${room}: NOT enough, ${formatUsd(needed - capLeft, usdPerCredit)} short (the room grows as older purchases leave the 30-day window)`;
}

function balanceDraft(f: BalanceFinding, ctx: MessageContext): Draft {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const why = f.breached
    .map((b) =>
      b === 'credits'
        ? `below its floor of ${formatMoney(f.floorCredits ?? 0, ctx.usdPerCredit)}`
        : `less than ${f.floorDays} days of spend at the current ${usd(f.burn.meanDaily)} a day`,
    )
    .join(' and ');
  const capOk = f.creditsNeeded <= f.capLeft;
  const runsOut = f.runsOutOn
    ? ` At the current pace it runs out on about ${formatDate(f.runsOutOn)}, and then Runway stops accepting new generation tasks.`
    : ' When it reaches zero, Runway stops accepting new generation tasks.';
  return {
    kind: 'balance',
    ...ledger(f),
    subject: `credit balance low — ${usd(f.balance)} left${
      f.runsOutOn ? `, runs out ~${formatDate(f.runsOutOn).slice(4)}` : ''
    }`,
    headline: `${ctx.orgName}'s prepaid Runway balance is ${formatMoney(f.balance, ctx.usdPerCredit)}, ${why}.${runsOut}`,
    facts: [
      ['Balance', formatMoney(f.balance, ctx.usdPerCredit)],
      ['Low since', `${formatHourKey(f.period)} (first check that saw it)`],
      [
        'Spend rate',
        f.burn.basisDays > 0
          ? `${usd(f.burn.meanDaily)} a day (mean of the ${f.burn.basisDays} complete days ${formatDateRange(f.burn.from, f.burn.to)})`
          : 'no complete day of history yet',
      ],
      [
        'Runs out',
        f.runsOutOn && f.daysLeft !== undefined
          ? `about ${formatDate(f.runsOutOn)} (${dayCount(f.daysLeft)} of spend left)`
          : 'no recent spend',
      ],
      [
        'Floors',
        [
          f.floorCredits !== undefined ? formatCredits(f.floorCredits) : '',
          f.floorDays !== undefined ? `${f.floorDays} days of spend` : '',
        ]
          .filter(Boolean)
          .join(', '),
      ],
      ['To buy', `${formatMoney(f.creditsNeeded, ctx.usdPerCredit)} covers the floors plus 30 days of spend`],
      ['Tier room', capRoomText(f.creditsNeeded, f.capLeft, ctx.usdPerCredit)],
    ],
    advice: [
      `Buy credits on ${RUNWAY_BILLING_PAGE}: ${usd(f.creditsNeeded)} keeps the balance above the floors for the next 30 days at the current pace.`,
      capOk
        ? "The tier's 30-day purchase cap leaves room for that purchase."
        : `That is more than the roughly ${usd(f.capLeft)} the tier's 30-day purchase cap still allows: buy ${usd(
            f.capLeft,
          )} now and request a tier upgrade or a limit exception on ${RUNWAY_USAGE_PAGE}, or slow the most expensive models until the cap frees up.`,
      'This alert is sent once; it re-arms after the balance is back above the floors.',
    ],
    data: {
      creditBalance: f.balance,
      since: f.period,
      floorCredits: f.floorCredits ?? null,
      floorDays: f.floorDays ?? null,
      breached: f.breached,
      meanDailyCredits: round2(f.burn.meanDaily),
      basisDays: f.burn.basisDays,
      basisFrom: f.burn.basisDays > 0 ? f.burn.from : null,
      basisTo: f.burn.basisDays > 0 ? f.burn.to : null,
      daysLeft: f.daysLeft === undefined ? null : round2(f.daysLeft),
      runsOutOn: f.runsOutOn ?? null,
      creditsNeeded: f.creditsNeeded,
      capLeftCredits: f.capLeft,
      capAllowsTopUp: capOk,
    },
  };
}

function tierChangeDraft(f: TierChangeFinding, ctx: MessageContext): Draft {
  const allBetter = f.changes.every((c) => c.better);
  const lowered = f.changes.filter((c) => !c.better).length;
  const first = f.changes[0];
  const subject =
    f.changes.length === 1 && first
      ? `Runway ${first.what} ${first.better ? 'raised' : 'lowered'} — ${formatLimit(first.before)} → ${formatLimit(first.after)}`
      : `Runway tier limits changed — ${f.changes.length} changes, ${
          allBetter ? 'all increases' : `${lowered} lowered`
        }`;
  const cap = f.changes.find((c) => c.what.startsWith('tier cap'));
  const capDollars = (v: number | null | 'absent') =>
    typeof v === 'number' ? formatUsd(v, ctx.usdPerCredit) : formatLimit(v);
  return {
    kind: 'tier-change',
    ...ledger(f),
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
            c.what,
            formatLimit(c.before),
            formatLimit(c.after),
            c.better ? 'more room' : 'LESS ROOM',
          ]),
        ),
      },
    ],
    advice: allBetter
      ? [
          'No action needed. Budgets in the guard are unchanged; quota and tier-cap alerts now use the new limits.',
        ]
      : [
          'Check that workloads on the lowered limits still fit: a lower daily limit means HTTP 429 errors sooner, a lower tier cap means fewer credits can be bought in 30 days. Quota and tier-cap alerts now use the new limits.',
          `If the change is unexpected, or the new limits are too tight, request a limit exception on ${RUNWAY_USAGE_PAGE}.`,
        ],
    data: {
      previousDate: f.previousDate,
      allIncreases: allBetter,
      changes: f.changes,
    },
  };
}

const RUNWAY_KEYS_PAGE = 'the API Keys page of the Runway developer portal (dev.runwayml.com)';

function anomalyDraft(f: AnomalyFinding, ctx: MessageContext): Draft {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const ratio = f.median > 0 ? `${(f.spend / f.median).toFixed(1)}×` : 'far above';
  const scope = f.scope === 'total' ? 'total spend' : `${f.scope} spend`;
  const today = utcDate(ctx.now);
  const when =
    f.date === today
      ? `${formatDate(f.date)} (today, so far)`
      : f.date === addDays(today, -1)
        ? `${formatDate(f.date)} (yesterday)`
        : formatDate(f.date);
  const baseline =
    f.baselineFrom !== undefined
      ? `median of the ${daysBetween(f.baselineFrom, f.date)} days ${formatDateRange(f.baselineFrom, addDays(f.date, -1))}`
      : 'median of the previous 14 days';
  return {
    kind: 'anomaly',
    ...ledger(f),
    subject: `unusual ${f.scope === 'total' ? 'spend' : `${f.scope} spend`} on ${formatDate(f.date).slice(4)} — ${usd(f.spend)}, ${ratio} usual`,
    headline: `${ctx.orgName}'s ${scope} on ${when} is ${usd(f.spend)}, ${ratio} the usual day (${usd(
      f.median,
    )}) and ${usd(f.spend - f.median)} above it. ${f.driver.model} drove it: ${usd(f.driver.spend)} against a usual ${usd(f.driver.median)}.`,
    facts: [
      ['Day', when],
      ['Spend', formatMoney(f.spend, ctx.usdPerCredit)],
      ['Usual day', `${formatMoney(f.median, ctx.usdPerCredit)}, the ${baseline}`],
      ['Above usual', formatMoney(f.spend - f.median, ctx.usdPerCredit)],
      ['Driven by', `${f.driver.model}: ${usd(f.driver.spend)} (usual ${usd(f.driver.median)})`],
      ['Alert rule', `over ${f.multiple}× the usual day and over ${formatCredits(f.floorCredits)}`],
    ],
    advice: [
      `Ask the team that runs ${f.driver.model} whether this is planned (a launch, a batch job) or a runaway loop or leaked key; if it is not planned, slow or stop those jobs now.`,
      `If a key may have leaked, revoke or rotate it on ${RUNWAY_KEYS_PAGE}; per-key usage is on the portal's Usage page.`,
      "If this is the new normal, raise the affected budgets, or anomaly.floorCredits, in the guard's configuration (cdk.json, context.budgetGuard).",
    ],
    data: {
      date: f.date,
      scope: f.scope,
      spendCredits: f.spend,
      medianCredits: f.median,
      aboveMedianCredits: roundCredits(f.spend - f.median),
      ratio: f.median > 0 ? round2(f.spend / f.median) : null,
      baselineFrom: f.baselineFrom ?? null,
      multiple: f.multiple,
      floorCredits: f.floorCredits,
      driver: f.driver,
    },
  };
}

/** Renders a rule finding. */
export function renderFinding(finding: Finding, ctx: MessageContext): Message {
  switch (finding.kind) {
    case 'budget':
      return render(budgetDraft(finding, ctx), ctx);
    case 'forecast':
      return render(forecastDraft(finding, ctx), ctx);
    case 'tier-cap':
      return render(tierCapDraft(finding, ctx), ctx);
    case 'daily-quota':
      return render(dailyQuotaDraft(finding), ctx);
    case 'balance':
      return render(balanceDraft(finding, ctx), ctx);
    case 'tier-change':
      return render(tierChangeDraft(finding, ctx), ctx);
    case 'anomaly':
      return render(anomalyDraft(finding, ctx), ctx);
  }
}

export type GuardErrorReason = 'runway-auth' | 'runway-data' | 'api-key';

export interface GuardErrorInfo {
  readonly reason: GuardErrorReason;
  /** What went wrong, already free of secrets. */
  readonly detail: string;
  readonly status?: number | undefined;
  /** Where the key comes from, for the fix (a secret name or the environment variable). */
  readonly keySource: string;
  /** When the guard last read this organization successfully (ISO instant), if ever. */
  readonly lastSuccessAt?: string | undefined;
}

/** The `guard-error` notification: the guard cannot watch this organization until someone acts. */
export function renderGuardError(info: GuardErrorInfo, ctx: MessageContext, period: string): Message {
  const subject =
    info.reason === 'runway-data'
      ? 'budget guard stopped — Runway returned invalid data'
      : info.reason === 'api-key'
        ? 'budget guard stopped — Runway API key not set'
        : `budget guard stopped — Runway rejected the API key (${info.status ?? 'auth'})`;
  const advice =
    info.reason === 'runway-data'
      ? [
          'Nothing was stored from this answer, and the previous history is intact. The guard retries every scheduled run.',
          'If it persists, Runway may have changed its API: check for a newer Runway Budget Guard release, and send this message to the engineers.',
        ]
      : [
          `Put a valid Runway API key in ${info.keySource}${
            info.keySource.startsWith('Secrets Manager')
              ? ` (aws secretsmanager put-secret-value --secret-id ${info.keySource.replace(/^Secrets Manager secret /, '')} --secret-string <your Runway key>)`
              : ''
          }. Keys are created on the API Keys page of the Runway developer portal (dev.runwayml.com).`,
          'A 401 means the key is wrong, disabled or the account is suspended; a 403 means the key may not read this organization.',
          'Until this is fixed, no budget, balance or quota alerts can be sent for this organization.',
        ];
  return render(
    {
      kind: 'guard-error',
      rule: info.reason,
      period,
      level: 'critical',
      severity: 'critical',
      subject,
      headline: `The budget guard could not check ${ctx.orgName} and cannot send budget alerts for it until this is fixed: ${info.detail}`,
      facts: [
        [
          'Problem',
          info.reason === 'runway-data'
            ? 'invalid data from Runway'
            : info.reason === 'api-key'
              ? 'API key not set'
              : 'API key rejected',
        ],
        ['Key source', info.keySource],
        ...(info.status ? ([['HTTP status', String(info.status)]] as const) : []),
        ['Failed at', formatInstant(ctx.now.toISOString())],
        ...(info.lastSuccessAt
          ? ([
              ['Last good read', `${formatInstant(info.lastSuccessAt)}: alerts cover figures up to then`],
            ] as const)
          : []),
      ],
      advice,
      data: {
        reason: info.reason,
        detail: info.detail,
        status: info.status ?? null,
        keySource: info.keySource,
        lastSuccessAt: info.lastSuccessAt ?? null,
      },
    },
    ctx,
  );
}

/** Per-model limits and today's use, as the digest and the terminal report show them. */
export function formatModelTable(models: Overview['models']): string[] {
  return formatTable(
    ['Model', 'Concurrent', 'Daily limit', 'Used', 'Left', '%'],
    models.map((m) => [
      m.model,
      m.inTier ? formatLimit(m.maxConcurrentGenerations) : 'not in tier',
      m.inTier ? formatLimit(m.maxDailyGenerations) : 'not in tier',
      formatNumber(m.usedToday),
      m.remaining === null ? '—' : formatNumber(m.remaining),
      m.percent === null ? '—' : formatPercent(m.percent),
    ]),
  );
}

/** Each budget's spend, limit, use and month-end forecast, as the digest and the terminal report show them. */
export function formatBudgetTable(budgets: Overview['budgets'], usdPerCredit: number): string[] {
  if (budgets.length === 0) return ['  (no budgets configured)'];
  const usd = (credits: number) => formatUsd(credits, usdPerCredit);
  return formatTable(
    ['Budget', 'Period', 'Spent', 'Limit', 'Used', 'Forecast'],
    budgets.map((b) => [
      `${b.id}${b.model ? ` (${b.model})` : ''}`,
      b.period === 'day' ? 'today' : 'this month',
      usd(b.spent),
      usd(b.limitCredits),
      formatPercent(b.percent),
      b.projected === undefined
        ? '—'
        : `${usd(b.projected)} (${formatPercent((b.projected / b.limitCredits) * 100)})`,
    ]),
  );
}

/** The daily digest: the whole organization at a glance. */
export function renderDigest(o: Overview, ctx: MessageContext, active: readonly string[]): Message {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const money = (c: number) => formatMoney(c, ctx.usdPerCredit);
  const { yesterday, dayBefore, sameDayLastWeek } = o.comparison;
  const versus = (b: number) => {
    if (b === 0) return '';
    const change = Math.round(((yesterday.credits - b) / Math.abs(b)) * 100);
    return `${change >= 0 ? '+' : ''}${change}%`;
  };
  const bal = o.balance;
  const daysLeft = bal.daysLeft;
  const hasFloors = bal.floorCredits !== undefined || bal.floorDays !== undefined;
  const last14To = addDays(o.today, -1);
  const spendRange = o.last14.values.length
    ? `low ${usd(Math.min(...o.last14.values))}, high ${usd(Math.max(...o.last14.values))} a day`
    : '';
  const modelTable = formatModelTable(o.models);
  const budgetTable = formatBudgetTable(o.budgets, ctx.usdPerCredit);
  const day = (label: string, date: string) => `${label} (${formatDate(date).slice(0, -5)})`;
  const dailyTable = formatTable(
    ['Day', 'Dollars', 'Credits', 'Yesterday vs'],
    [
      [day('Yesterday', yesterday.date), usd(yesterday.credits), formatNumber(yesterday.credits), ''],
      [
        day('Day before', dayBefore.date),
        usd(dayBefore.credits),
        formatNumber(dayBefore.credits),
        versus(dayBefore.credits),
      ],
      [
        day('Same day last week', sameDayLastWeek.date),
        usd(sameDayLastWeek.credits),
        formatNumber(sameDayLastWeek.credits),
        versus(sameDayLastWeek.credits),
      ],
    ],
  );
  const capShort = bal.creditsNeeded > bal.capLeft;
  return render(
    {
      kind: 'digest',
      rule: 'daily',
      period: o.today,
      level: 'info',
      severity: 'info',
      subject: `daily digest — ${usd(yesterday.credits)} spent yesterday, balance ${usd(o.creditBalance)}${
        daysLeft !== undefined ? ` (${daysLeft < 1 ? 'under a day' : `~${dayCount(daysLeft)}`})` : ''
      }`,
      headline: `Daily Runway spend digest for ${ctx.orgName}, ${formatDate(o.today)}: ${usd(
        yesterday.credits,
      )} spent yesterday, ${usd(o.monthToDate)} so far this month. ${
        active.length
          ? `${active.length} open ${active.length === 1 ? 'issue' : 'issues'}, listed under "Needs attention".`
          : 'Nothing needs attention.'
      }`,
      facts: [
        ['Balance', money(o.creditBalance)],
        [
          'Runs out',
          daysLeft === undefined || bal.runsOutOn === undefined
            ? 'not at the current pace (no recent spend)'
            : `about ${formatDate(bal.runsOutOn)}: ${dayCount(daysLeft)} at ${usd(bal.burn.meanDaily)} a day (mean of the last ${bal.burn.basisDays} complete ${bal.burn.basisDays === 1 ? 'day' : 'days'})`,
        ],
        [
          'To buy',
          bal.creditsNeeded > 0
            ? `${money(bal.creditsNeeded)} covers the next 30 days of spend${hasFloors ? ' and the balance floors' : ''}`
            : `nothing: the balance covers the next 30 days${hasFloors ? ' and its floors' : ''}`,
        ],
        ['Tier room', capRoomText(bal.creditsNeeded, bal.capLeft, ctx.usdPerCredit)],
        ['Tier cap', `${money(o.maxMonthlyCreditSpend)} per 30 days`],
        ['Used, 30 days', `${money(o.used30d)}, ${formatPercent(o.capPercent)} of the cap`],
        ['Month to date', money(o.monthToDate)],
        [
          'Month forecast',
          o.forecast
            ? `${money(o.forecast.projected)}, at ${usd(o.forecast.burn.meanDaily)} a day for the ${o.forecast.daysLeft} days left`
            : 'needs 3 complete days of history',
        ],
      ],
      sections: [
        ...(active.length
          ? [
              {
                title: 'Needs attention',
                lines: active.flatMap((a) => {
                  const [first = '', ...rest] = wrap(a, TEXT_WIDTH - 4);
                  return [`  - ${first}`, ...rest.map((l) => `    ${l}`)];
                }),
              },
            ]
          : []),
        {
          title: 'Daily spend',
          lines: [
            ...dailyTable,
            '',
            `  Last 14 days  ${sparkline(o.last14.values)}  ${formatDateRange(o.last14.from, last14To)}`,
            ...(spendRange ? [`                ${spendRange}`] : []),
          ],
        },
        { title: 'Budgets', lines: budgetTable },
        {
          title: "Models (generations in Runway's rolling daily window)",
          lines: [
            ...modelTable,
            ...wrap(
              `Concurrent: generations that may run at once. Daily limit, Used, Left: generations per rolling 24 hours. unlimited: Runway sets no limit.${
                o.models.some((m) => !m.inTier)
                  ? ' not in tier: used today, but the tier Runway returned does not list the model.'
                  : ''
              }`,
              TEXT_WIDTH,
              '  ',
            ),
          ],
        },
      ],
      advice: capShort
        ? [
            `The balance needs more credits than the tier's 30-day purchase cap lets you buy now: buy what the cap allows on ${RUNWAY_BILLING_PAGE}, and request a tier upgrade or limit exception on the portal's Usage page${
              bal.runsOutOn ? ` before ${formatDate(bal.runsOutOn)}` : ''
            }.`,
          ]
        : [],
      data: {
        date: o.today,
        creditBalance: o.creditBalance,
        meanDailyCredits: round2(bal.burn.meanDaily),
        basisDays: bal.burn.basisDays,
        daysLeft: daysLeft === undefined ? null : round2(daysLeft),
        runsOutOn: bal.runsOutOn ?? null,
        creditsNeeded: bal.creditsNeeded,
        capLeftCredits: bal.capLeft,
        capAllowsTopUp: bal.creditsNeeded <= bal.capLeft,
        monthToDateCredits: o.monthToDate,
        forecastMonthCredits: o.forecast?.projected ?? null,
        maxMonthlyCreditSpend: o.maxMonthlyCreditSpend,
        used30dCredits: o.used30d,
        capPercent: round2(o.capPercent),
        budgets: o.budgets.map((b) => ({
          id: b.id,
          period: b.period,
          model: b.model ?? null,
          spentCredits: b.spent,
          limitCredits: b.limitCredits,
          percent: round2(b.percent),
          projectedCredits: b.projected ?? null,
        })),
        models: o.models.map((m) => ({ ...m, percent: m.percent === null ? null : round2(m.percent) })),
        yesterday,
        dayBefore,
        sameDayLastWeek,
        last14: { from: o.last14.from, to: last14To, values: o.last14.values },
        active,
      },
    },
    ctx,
  );
}

/** `1 day`, `9 days` (whole days, rounded down). */
function dayCount(days: number): string {
  const n = Math.floor(days);
  if (n < 1) return 'less than a day';
  return `${n} ${n === 1 ? 'day' : 'days'}`;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
