/** The terminal report of `budget-guard check`: the organization overview, then what was notified. */

import type { TierCapState } from '../domain/figures.ts';
import {
  formatDate,
  formatInstant,
  formatMoney,
  formatNumber,
  formatPercent,
  formatSpan,
  formatUsd,
} from '../domain/format.ts';
import { tableName } from '../domain/outside-text.ts';
import { formatBudgetTable, formatModelTable } from '../domain/overview-tables.ts';
import { formatTable, TABLE_ROWS_MAX } from '../domain/text-layout.ts';
import type { OrgCycleResult } from '../guard/cycle.ts';
import { DEFAULT_LEASE_MS } from '../guard/delivery.ts';

export interface ReportContext {
  readonly usdPerCredit: number;
  readonly runwayDescription: string;
  readonly storeDescription: string;
  readonly notifierDescription: string;
  readonly simulated: boolean;
  /** Where the config came from (`loadConfig`'s source), e.g. `cdk.json context.budgetGuard`. */
  readonly configSource?: string | undefined;
  /** Problems with the config this run can see but not fix, e.g. a budget on a model never seen. */
  readonly warnings?: readonly string[] | undefined;
}

const OUTCOME_TEXT = {
  sent: 'sent',
  duplicate: 'already sent earlier, not repeated',
  'in-flight': 'NOT SENT by this run: another run holds it and is sending it',
  failed: 'FAILED to publish; stays pending for the next run',
  undeliverable: 'UNDELIVERABLE: SNS rejected it for good; reported as a guard-error',
} as const;

export function renderReport(result: OrgCycleResult, ctx: ReportContext): string {
  const usd = (c: number) => formatUsd(c, ctx.usdPerCredit);
  const money = (c: number) => formatMoney(c, ctx.usdPerCredit);
  const lines: string[] = [];
  lines.push(`Runway Budget Guard — ${result.orgName} (${result.orgId}) — ${formatInstant(result.now)}`);
  if (ctx.simulated) {
    lines.push(
      '',
      '  SIMULATED DATA: no RUNWAYML_API_SECRET is set (or --demo was given), so this run reads the built-in',
      '  Runway simulator. Set RUNWAYML_API_SECRET to check your real organization. Simulated data stays in',
      '  its own store and outbox (.budget-guard/demo/): TABLE_NAME and TOPIC_ARN are never used in demo mode.',
    );
  }
  lines.push('', `  Runway         ${ctx.runwayDescription}`, `  History        ${ctx.storeDescription}`);
  lines.push(`  Notifications  ${ctx.notifierDescription}`);
  if (ctx.configSource) lines.push(`  Config         ${ctx.configSource}`);

  if (result.readOnly) {
    lines.push('', `READ-ONLY RUN: ${result.readOnly.reason}.`);
  }
  const o = result.overview;
  if (!o || !result.ok) {
    lines.push('', `CHECK FAILED: ${result.error?.message ?? 'unknown error'}`);
    if (!o) lines.push('  Nothing was stored from this run; earlier history is intact.');
  }
  if (o) {
    const b = o.balance;
    lines.push(
      '',
      `Balance        ${money(o.creditBalance)}${
        b.daysLeft === undefined
          ? ''
          : ` — about ${Math.floor(b.daysLeft)} days at ${usd(b.burn.meanDaily)} a day${b.runsOutOn ? ` (runs out ~${formatDate(b.runsOutOn)})` : ''}`
      }`,
      `Tier cap       ${tierCapText(o.maxMonthlyCreditSpend, o.tierCap)}`,
      `Month to date  ${money(o.monthToDate)}${o.forecast ? `; forecast for the month ${usd(o.forecast.projected)}` : ''}`,
      '',
      'Models (Runway daily window)',
      ...formatModelTable(o.models),
      '',
      'Recent usage (credits per UTC day; negative = refunds)',
      ...formatTable(
        [
          'Model',
          ...o.recent.dates.map((d, i) =>
            i === o.recent.dates.length - 1 ? 'Today' : formatDate(d).slice(0, 6),
          ),
        ],
        o.recent.rows.map((r) => [tableName(r.model), ...r.credits.map((c) => formatNumber(c))]),
        '  ',
        TABLE_ROWS_MAX,
        [['Total', ...o.recent.totals.map((c) => formatNumber(c))]],
      ),
      '',
      'Budgets',
      ...formatBudgetTable(o.budgets, ctx.usdPerCredit),
    );
  }
  if (ctx.warnings && ctx.warnings.length > 0) {
    lines.push('', 'Warnings', ...ctx.warnings.map((w) => `  - ${w}`));
  }
  if (o) {
    if (result.status && !result.readOnly) {
      lines.push(
        '',
        `Status: ${result.status.state.toUpperCase()}`,
        ...result.status.reasons.map((r) => `  - ${r}`),
      );
    }
    lines.push(
      '',
      result.readOnly
        ? 'Stored: nothing (read-only run); notifications: none sent.'
        : `Stored: snapshot for ${o.today}, ${result.usageDaysWritten} usage ${
            result.usageDaysWritten === 1 ? 'day' : 'days'
          } written${
            result.backfilled
              ? ` (first run: asked Runway for the last 90 days; it reported usage on ${result.usageDaysWritten} of them, and days without usage are not stored)`
              : ''
          }, ${result.writeRequests} write ${result.writeRequests === 1 ? 'request' : 'requests'}.`,
    );
  }
  const n = result.notifications;
  const sent = n.filter((x) => x.outcome === 'sent').length;
  lines.push(
    '',
    n.length === 0 ? 'Notifications: none' : `Notifications: ${sent} sent, ${n.length - sent} not sent again`,
  );
  const inFlight = n.filter((x) => x.outcome === 'in-flight').length;
  if (inFlight > 0) {
    lines.push(
      `  ${inFlight} alert(s) were not sent by this run: another run is sending them right now (it holds their`,
      `  lease for up to ${formatSpan(DEFAULT_LEASE_MS / 1000)}). If no other run is active, run \`check\` again after that and they go out.`,
    );
  }
  for (const x of n) {
    lines.push(
      `  [${x.severity.toUpperCase()}] ${x.subject}`,
      `      ${OUTCOME_TEXT[x.outcome]}${x.redelivery ? ' (left pending by an earlier run)' : ''}${x.messageId ? ` · ${x.messageId}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `200,000 credits per 30 days; 131,839 used in the last 30 days (65%)`: the figure and its percent are what
 * the cap counts, credits bought once purchases are known and credits used until then.
 */
export function tierCapText(
  cap: number,
  tierCap: Pick<TierCapState, 'basis' | 'counted' | 'percent'>,
): string {
  const counted = tierCap.basis === 'purchases' ? 'bought' : 'used';
  return `${formatNumber(cap)} credits per 30 days; ${formatNumber(tierCap.counted)} ${counted} in the last 30 days (${formatPercent(tierCap.percent)})`;
}
