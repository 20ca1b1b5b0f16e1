/**
 * Renders findings into notifications: a specific subject (≤ 100 characters, naming the organization and
 * the figure), a plain-text body a finance reader understands without help (what crossed, by how much,
 * since when, what to do), and a JSON document with every figure for machine subscribers.
 */
import type { AlertKind, Severity } from '../config.ts';
import { utcMonth } from './dates.ts';
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

function wrap(text: string, width = 78, indent = ''): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width - indent.length) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out;
}

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
  for (const [label, value] of draft.facts) lines.push(`  ${label.padEnd(labelWidth)}  ${value}`);
  for (const section of draft.sections ?? []) lines.push('', section.title, ...section.lines);
  if (draft.advice.length > 0) {
    lines.push('', 'What to do');
    for (const advice of draft.advice) {
      const [first = '', ...rest] = wrap(advice, 76);
      lines.push(`  - ${first}`, ...rest.map((l) => `    ${l}`));
    }
  }
  lines.push(
    '',
    '--',
    `Runway Budget Guard · organization "${ctx.orgName}" (${ctx.orgId})`,
    `Figures read from Runway's API at ${formatInstant(ctx.now.toISOString())}. All periods are UTC days and months.`,
    `1 credit = $${ctx.usdPerCredit}. Alert ${draft.kind} · ${draft.rule} · ${draft.period} · ${draft.level}.`,
  );
  return {
    subject: buildSubject(ctx.orgName, draft.subject, ctx.test),
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
      ? 'Runway keeps charging past this budget: it is our limit, not Runway\'s. Decide now whether to slow or pause the heavy workloads (see "Spend by model") or accept the overspend.'
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
  return {
    kind: 'forecast',
    ...ledger(f),
    subject: `${f.budget.id} forecast ${usd(fc.projected)} of ${usd(f.limitCredits)} for ${month}`,
    headline: `At the current pace, ${ctx.orgName} will spend about ${usd(fc.projected)} in ${month}, over its ${usd(
      f.limitCredits,
    )} budget "${f.budget.id}"${f.exhaustedOn ? `; the budget would run out on ${formatDate(f.exhaustedOn)}` : ''}. Nothing has been overspent yet: this is an early warning.`,
    facts: [
      ['Budget', `${f.budget.id} (${scopeText(f.budget.model)})`],
      ['Spent so far', formatMoney(fc.monthToDate, ctx.usdPerCredit)],
      [
        'Projection',
        `${formatMoney(fc.projected, ctx.usdPerCredit)}, ${formatPercent((fc.projected / f.limitCredits) * 100)} of the limit`,
      ],
      ['Limit', formatMoney(f.limitCredits, ctx.usdPerCredit)],
      [
        'Basis',
        `${usd(fc.burn.meanDaily)} a day on average over the ${fc.burn.basisDays} complete days ${formatDate(fc.burn.from)} – ${formatDate(fc.burn.to)}, × ${fc.daysLeft} days left`,
      ],
      ['Runs out on', f.exhaustedOn ? formatDate(f.exhaustedOn) : 'not this month'],
    ],
    advice: [
      `To stay within ${usd(f.limitCredits)}, daily spend for the rest of ${month} must average ${
        fc.daysLeft > 0 ? usd(Math.max(0, f.limitCredits - fc.monthToDate) / fc.daysLeft) : usd(0)
      } or less (now ${usd(fc.burn.meanDaily)}).`,
      `If the higher spend is planned, raise the "limit" of budget "${f.budget.id}" in the guard's configuration and redeploy; otherwise ask the teams using Runway to slow the most expensive models.`,
      'You will get this forecast warning at most once a month; budget alerts still follow at each threshold.',
    ],
    data: {
      budget: { id: f.budget.id, period: f.budget.period, model: f.budget.model ?? null },
      monthToDateCredits: fc.monthToDate,
      projectedCredits: fc.projected,
      limitCredits: f.limitCredits,
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
    subject: `${formatPercent(f.percent)} of Runway tier cap used in 30 days — ${formatNumber(f.used30d)} of ${formatNumber(f.cap)} credits`,
    headline: `${ctx.orgName} has used ${formatCredits(f.used30d)} in the last 30 days, ${formatPercent(
      f.percent,
    )} of the ${formatCredits(f.cap)} its Runway tier allows it to buy in any 30 days. Past the cap, Runway refuses further credit purchases (including auto-recharge) until older purchases leave the window.`,
    facts: [
      ['Used, 30 days', `${formatMoney(f.used30d, ctx.usdPerCredit)} (${formatDate(f.from)} – today)`],
      ['Tier cap', `${formatMoney(f.cap, ctx.usdPerCredit)} per 30 days`],
      ['Used', `${formatPercent(f.percent)} (crossed the ${f.threshold}% alert line)`],
      ['Room left', formatMoney(Math.max(0, f.cap - f.used30d), ctx.usdPerCredit)],
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
      from: f.from,
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
      percent: round2(f.percent),
      threshold: f.threshold,
    },
  };
}

function balanceDraft(f: BalanceFinding, ctx: MessageContext): Draft {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const why = f.breached
    .map((b) =>
      b === 'credits'
        ? `below the ${formatCredits(f.floorCredits ?? 0)} floor`
        : `less than ${f.floorDays} days of spend at the current ${usd(f.burn.meanDaily)} a day`,
    )
    .join(' and ');
  const capOk = f.creditsNeeded <= f.capLeft;
  return {
    kind: 'balance',
    ...ledger(f),
    subject: `credit balance low — ${usd(f.balance)} left${f.daysLeft !== undefined ? `, about ${Math.floor(f.daysLeft)} days of spend` : ''}`,
    headline: `${ctx.orgName}'s prepaid Runway balance is ${formatMoney(f.balance, ctx.usdPerCredit)}, ${why}. When it reaches zero, Runway stops accepting new generation tasks.`,
    facts: [
      ['Balance', formatMoney(f.balance, ctx.usdPerCredit)],
      ['Spend rate', `${usd(f.burn.meanDaily)} a day (mean of ${f.burn.basisDays} complete days)`],
      ['Lasts until', f.runsOutOn ? `about ${formatDate(f.runsOutOn)}` : 'no recent spend'],
      [
        'Floors',
        [
          f.floorCredits !== undefined ? formatCredits(f.floorCredits) : '',
          f.floorDays !== undefined ? `${f.floorDays} days of spend` : '',
        ]
          .filter(Boolean)
          .join(', '),
      ],
      ['To buy', `${formatMoney(f.creditsNeeded, ctx.usdPerCredit)} covers the floors plus 30 days`],
      ['Tier room', `about ${formatMoney(f.capLeft, ctx.usdPerCredit)} under the tier's 30-day purchase cap`],
    ],
    advice: [
      `Buy credits on ${RUNWAY_BILLING_PAGE}: ${usd(f.creditsNeeded)} keeps the balance above the floors for the next 30 days at the current pace.`,
      capOk
        ? "The tier's 30-day purchase cap leaves room for that purchase."
        : `That is more than the roughly ${usd(f.capLeft)} the tier's 30-day purchase cap still allows: buy what you can now and request a tier upgrade or exception on ${RUNWAY_USAGE_PAGE}.`,
      'This alert is sent once; it re-arms after the balance is back above the floors.',
    ],
    data: {
      creditBalance: f.balance,
      floorCredits: f.floorCredits ?? null,
      floorDays: f.floorDays ?? null,
      breached: f.breached,
      meanDailyCredits: round2(f.burn.meanDaily),
      basisDays: f.burn.basisDays,
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
  const first = f.changes[0];
  const subject =
    f.changes.length === 1 && first
      ? `Runway ${first.what} ${first.better ? 'raised' : 'lowered'} — ${formatLimit(first.before)} → ${formatLimit(first.after)}`
      : `Runway tier limits changed (${f.changes.length} changes${allBetter ? ', all increases' : ''})`;
  return {
    kind: 'tier-change',
    ...ledger(f),
    subject,
    headline: allBetter
      ? `Good news: Runway raised ${ctx.orgName}'s limits since ${formatDate(f.previousDate)}.`
      : `Runway changed ${ctx.orgName}'s limits since ${formatDate(f.previousDate)}, and at least one is lower than before.`,
    facts: [['Changes', String(f.changes.length)]],
    sections: [
      {
        title: 'What changed',
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
      ? ['No action needed. Budgets in the guard are unchanged; quota alerts now use the new limits.']
      : [
          'Check that workloads on the lowered limits still fit; quota alerts now use the new limits.',
          `If the change is unexpected, contact Runway through ${RUNWAY_USAGE_PAGE}.`,
        ],
    data: { previousDate: f.previousDate, changes: f.changes },
  };
}

function anomalyDraft(f: AnomalyFinding, ctx: MessageContext): Draft {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const ratio = f.median > 0 ? `${(f.spend / f.median).toFixed(1)}×` : 'far above';
  const scope = f.scope === 'total' ? 'total spend' : `${f.scope} spend`;
  return {
    kind: 'anomaly',
    ...ledger(f),
    subject: `unusual ${f.scope === 'total' ? 'spend' : `${f.scope} spend`} on ${formatDate(f.date).slice(4)} — ${usd(f.spend)}, ${ratio} usual`,
    headline: `${ctx.orgName}'s ${scope} on ${formatDate(f.date)} is ${usd(f.spend)}, ${ratio} the median day of the previous two weeks (${usd(
      f.median,
    )}). ${f.driver.model} drove it: ${usd(f.driver.spend)} against a usual ${usd(f.driver.median)}.`,
    facts: [
      ['Day', formatDate(f.date)],
      ['Spend', formatMoney(f.spend, ctx.usdPerCredit)],
      ['Usual day', `${formatMoney(f.median, ctx.usdPerCredit)} (median of the previous 14 days)`],
      ['Driven by', `${f.driver.model}: ${usd(f.driver.spend)} (usual ${usd(f.driver.median)})`],
      ['Alert rule', `over ${f.multiple}× the usual day and over ${formatCredits(f.floorCredits)}`],
    ],
    advice: [
      `Ask the team that runs ${f.driver.model} whether this is planned (a launch, a batch job) or a runaway loop or leaked key.`,
      `If it is not planned, revoke or rotate the API key on ${RUNWAY_USAGE_PAGE} and check the per-key usage there.`,
    ],
    data: {
      date: f.date,
      scope: f.scope,
      spendCredits: f.spend,
      medianCredits: f.median,
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
      ],
      advice,
      data: { reason: info.reason, detail: info.detail, status: info.status ?? null },
    },
    ctx,
  );
}

/** The daily digest: the whole organization at a glance. */
export function renderDigest(o: Overview, ctx: MessageContext, active: readonly string[]): Message {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const { yesterday, dayBefore, sameDayLastWeek } = o.comparison;
  const change = (a: number, b: number) =>
    b !== 0 ? ` (${a >= b ? '+' : ''}${Math.round(((a - b) / Math.abs(b)) * 100)}%)` : '';
  const daysLeft = o.balance.daysLeft;
  const lines = {
    models: formatTable(
      ['Model', 'Concurrency', 'Daily limit', 'Used today', 'Remaining', 'Used %'],
      o.models.map((m) => [
        m.model,
        formatLimit(m.maxConcurrentGenerations),
        formatLimit(m.maxDailyGenerations),
        formatNumber(m.usedToday),
        m.remaining === null ? '—' : formatNumber(m.remaining),
        m.percent === null ? '—' : formatPercent(m.percent),
      ]),
    ),
    budgets: o.budgets.length
      ? formatTable(
          ['Budget', 'Period', 'Spent', 'Limit', 'Used', 'Forecast'],
          o.budgets.map((b) => [
            `${b.id}${b.model ? ` (${b.model})` : ''}`,
            b.period === 'day' ? 'today' : 'this month',
            usd(b.spent),
            usd(b.limitCredits),
            formatPercent(b.percent),
            b.projected === undefined ? '—' : usd(b.projected),
          ]),
        )
      : ['  (no budgets configured)'],
  };
  return render(
    {
      kind: 'digest',
      rule: 'daily',
      period: o.today,
      level: 'info',
      severity: 'info',
      subject: `daily digest — ${usd(yesterday.credits)} spent yesterday, balance ${usd(o.creditBalance)}${
        daysLeft !== undefined ? ` (~${Math.floor(daysLeft)} days)` : ''
      }`,
      headline: `Daily Runway spend digest for ${ctx.orgName}, ${formatDate(o.today)}.${
        active.length ? ` Open issues: ${active.join('; ')}.` : ' Nothing needs attention.'
      }`,
      facts: [
        ['Balance', formatMoney(o.creditBalance, ctx.usdPerCredit)],
        [
          'Days left',
          daysLeft === undefined
            ? 'no recent spend'
            : `about ${Math.floor(daysLeft)} at ${usd(o.balance.burn.meanDaily)} a day${o.balance.runsOutOn ? ` (runs out ~${formatDate(o.balance.runsOutOn)})` : ''}`,
        ],
        ['Month to date', formatMoney(o.monthToDate, ctx.usdPerCredit)],
        [
          'Month forecast',
          o.forecast ? formatMoney(o.forecast.projected, ctx.usdPerCredit) : 'needs 3 days of history',
        ],
        [
          'Tier cap',
          `${formatCredits(o.maxMonthlyCreditSpend)} per 30 days; ${formatCredits(o.used30d)} used (${formatPercent(o.capPercent)})`,
        ],
        [
          'Yesterday',
          `${usd(yesterday.credits)}${change(yesterday.credits, dayBefore.credits)} vs day before`,
        ],
        ['Day before', usd(dayBefore.credits)],
        ['Week earlier', `${usd(sameDayLastWeek.credits)} (${formatDate(sameDayLastWeek.date)})`],
        ['Last 14 days', `${sparkline(o.last14.values)}  ${formatDate(o.last14.from)} – yesterday`],
      ],
      sections: [
        { title: 'Budgets', lines: lines.budgets },
        { title: 'Models (Runway daily window)', lines: lines.models },
      ],
      advice: [],
      data: {
        date: o.today,
        creditBalance: o.creditBalance,
        daysLeft: daysLeft === undefined ? null : round2(daysLeft),
        runsOutOn: o.balance.runsOutOn ?? null,
        monthToDateCredits: o.monthToDate,
        forecastMonthCredits: o.forecast?.projected ?? null,
        maxMonthlyCreditSpend: o.maxMonthlyCreditSpend,
        used30dCredits: o.used30d,
        budgets: o.budgets,
        models: o.models,
        yesterday,
        dayBefore,
        sameDayLastWeek,
        last14: o.last14,
        active,
      },
    },
    ctx,
  );
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
