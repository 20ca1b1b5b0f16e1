/**
 * The report of `budget-guard status`: the figures gathered for every organization and for the topic's
 * subscriptions, what needs attention, the verdict, and the terminal text. Pure: `runStatus` gathers, this
 * shapes.
 */
import { formatInstant, formatSpan } from '../domain/format.ts';
import {
  type EmailSubscriptionFinding,
  type LastSuccess,
  type LedgerFinding,
  type NextRun,
  type ScheduleFacts,
  type TopicSubscription,
  verdict,
} from '../domain/status.ts';
import { bullet, wrap } from '../domain/text-layout.ts';
import type { StatusState } from '../domain/types.ts';
import { formatInterval } from '../schedule.ts';

export interface OrgStatusReport {
  readonly orgId: string;
  readonly orgName: string;
  /** From the STATUS item; `null` before the first successful run. */
  readonly state: StatusState | null;
  readonly reasons: readonly string[];
  readonly updatedAt: string | null;
  readonly lastSuccess: LastSuccess;
  readonly nextRun: NextRun;
  /** First UTC day of stored usage history; `null` before the first successful run. */
  readonly historyStart: string | null;
  /** Ledger items that are not `sent`. */
  readonly ledger: readonly LedgerFinding[];
}

/**
 * The topic's email subscriptions against the config:
 * - not applicable without TOPIC_ARN (the local outbox has no subscribers);
 * - `listed: true` with what SNS said;
 * - `listed: false` when SNS did not say: `known` is true when the answer itself is a problem (the topic does
 *   not exist), false when the check could not be made (access denied, no answer, an emulator without the call).
 */
export type SubscriptionsReport =
  | { readonly applicable: false; readonly reason: string }
  | {
      readonly applicable: true;
      readonly topicArn: string;
      readonly listed: true;
      readonly emails: readonly EmailSubscriptionFinding[];
      readonly others: readonly TopicSubscription[];
    }
  | {
      readonly applicable: true;
      readonly topicArn: string;
      readonly listed: false;
      readonly known: boolean;
      readonly error: string;
    };

/** One thing that needs attention (exit 1), or one check that could not be made (a warning only). */
export interface Finding {
  readonly orgId?: string | undefined;
  readonly check: 'last-success' | 'ledger' | 'subscription' | 'topic';
  readonly message: string;
}

export interface StatusReport {
  /** True when nothing needs attention (checks that could not be made do not count). */
  readonly ok: boolean;
  readonly now: string;
  readonly configSource: string;
  readonly store: string;
  readonly notifier: string;
  readonly schedule: ScheduleFacts;
  readonly organizations: readonly OrgStatusReport[];
  readonly subscriptions: SubscriptionsReport;
  readonly attention: readonly Finding[];
  readonly unknown: readonly Finding[];
  readonly verdict: string;
}

/** What needs attention and what could not be checked, in the order the report shows them. */
export function collectFindings(
  schedule: ScheduleFacts,
  organizations: readonly OrgStatusReport[],
  subscriptions: SubscriptionsReport,
): { attention: Finding[]; unknown: Finding[] } {
  const attention: Finding[] = [];
  const unknown: Finding[] = [];
  for (const org of organizations) {
    const { at, ageSeconds, stale } = org.lastSuccess;
    if (at === null) {
      attention.push({
        orgId: org.orgId,
        check: 'last-success',
        message: `${org.orgId}: no guard run has succeeded yet`,
      });
    } else if (stale) {
      attention.push({
        orgId: org.orgId,
        check: 'last-success',
        message: `${org.orgId}: the last successful run was ${formatSpan(ageSeconds ?? 0)} ago, more than ${formatInterval(schedule.staleAfterSeconds)} (two schedule periods)`,
      });
    }
    for (const item of org.ledger) {
      if (!item.attention) continue;
      attention.push({
        orgId: org.orgId,
        check: 'ledger',
        message: `${org.orgId}: alert ${item.key} is ${item.note}`,
      });
    }
  }
  if (subscriptions.applicable) {
    if (subscriptions.listed) {
      for (const e of subscriptions.emails) {
        if (!e.attention) continue;
        attention.push({ check: 'subscription', message: `${e.email}: ${SUBSCRIPTION_STATE_TEXT[e.state]}` });
      }
    } else {
      (subscriptions.known ? attention : unknown).push({
        check: 'topic',
        message: `could not list subscriptions: ${subscriptions.error}`,
      });
    }
  }
  return { attention, unknown };
}

/** Builds the report's findings and verdict from the gathered figures. */
export function buildStatusReport(
  input: Omit<StatusReport, 'ok' | 'attention' | 'unknown' | 'verdict'>,
): StatusReport {
  const { attention, unknown } = collectFindings(input.schedule, input.organizations, input.subscriptions);
  return {
    ok: attention.length === 0,
    ...input,
    attention,
    unknown,
    verdict: verdict(attention.length, unknown.length),
  };
}

const SUBSCRIPTION_STATE_TEXT = {
  confirmed: 'confirmed',
  'pending-confirmation': 'PENDING CONFIRMATION: no email is delivered until it is confirmed',
  missing: 'MISSING: not subscribed to the topic',
  other: 'NOT SUBSCRIBED',
} as const;

/** Label column width, as in the `check` report. */
const LABEL = 15;
/** Wrap prose at this many columns (commands are never wrapped). */
const WIDTH = 110;

function row(label: string, value: string, indent = '  '): string {
  return `${indent}${label.padEnd(LABEL)}${value}`.trimEnd();
}

/** Continuation lines under a row's value, `hang` further in. */
function more(text: string, hang = ''): string[] {
  const pad = `  ${' '.repeat(LABEL)}${hang}`;
  return wrap(text, WIDTH, pad);
}

function lastSuccessText(last: LastSuccess, schedule: ScheduleFacts): string {
  if (last.at === null) return 'none: no guard run has succeeded yet (NEEDS ATTENTION)';
  const age = last.ageSeconds ?? 0;
  const when = age < 0 ? `${formatSpan(age)} after the time given` : `${formatSpan(age)} ago`;
  const stale = last.stale
    ? ` (STALE: over ${formatInterval(schedule.staleAfterSeconds)}, two schedule periods)`
    : '';
  return `${formatInstant(last.at)}, ${when}${stale}`;
}

function nextRunText(next: NextRun): string {
  switch (next.kind) {
    case 'due':
      return `due by ${formatInstant(next.at)}, in ${formatSpan(next.inSeconds)}`;
    case 'overdue':
      return `overdue: due by ${formatInstant(next.at)}, ${formatSpan(next.overdueSeconds)} ago`;
    case 'cron':
      return `per ${next.expression}, UTC (cron schedules are not computed here)`;
    case 'unknown':
      return 'not known: no run has succeeded yet';
  }
}

function renderOrganization(org: OrgStatusReport, schedule: ScheduleFacts): string[] {
  const lines = [`${org.orgName} (${org.orgId})`];
  if (org.state === null) {
    lines.push(row('State', 'unknown: nothing is stored for this organization yet'));
  } else {
    lines.push(row('State', `${org.state}${org.updatedAt ? `, as of ${formatInstant(org.updatedAt)}` : ''}`));
    for (const reason of org.reasons) lines.push(...more(`- ${reason}`));
  }
  lines.push(
    row('Last success', lastSuccessText(org.lastSuccess, schedule)),
    row('Next run', nextRunText(org.nextRun)),
    row('History from', org.historyStart ?? 'nothing stored yet'),
  );
  const needing = org.ledger.filter((i) => i.attention).length;
  if (org.ledger.length === 0) {
    lines.push(row('Alerts', 'none pending'));
  } else {
    lines.push(
      row(
        'Alerts',
        `${org.ledger.length} not sent${needing > 0 ? `, ${needing} NEED${needing === 1 ? 'S' : ''} ATTENTION` : ''}`,
      ),
    );
    for (const item of org.ledger) {
      const when = [
        item.createdAt ? `claimed ${formatInstant(item.createdAt)}` : undefined,
        item.leaseUntil ? `lease until ${formatInstant(item.leaseUntil)}` : undefined,
      ].filter((x) => x !== undefined);
      lines.push(
        ...more(`- ${item.subject ? `"${item.subject}" ` : ''}(${item.key})`),
        ...more(`${item.note}${when.length > 0 ? `; ${when.join(', ')}` : ''}`, '  '),
      );
    }
  }
  return lines;
}

function renderSubscriptions(subscriptions: SubscriptionsReport): string[] {
  if (!subscriptions.applicable) {
    return ['Subscriptions', ...wrap(`not applicable: ${subscriptions.reason}`, WIDTH, '  ')];
  }
  const lines = [`Subscriptions of SNS topic ${subscriptions.topicArn}`];
  if (!subscriptions.listed) {
    const text = `could not list subscriptions: ${subscriptions.error}${subscriptions.known ? '' : ' (unknown; not counted as a problem)'}`;
    return [...lines, ...wrap(text, WIDTH, '  ')];
  }
  if (subscriptions.emails.length === 0) lines.push('  the config lists no email subscriptions');
  const width = Math.max(LABEL, ...subscriptions.emails.map((e) => e.email.length + 2));
  const pad = ' '.repeat(2 + width);
  for (const e of subscriptions.emails) {
    lines.push(`  ${e.email.padEnd(width)}${SUBSCRIPTION_STATE_TEXT[e.state]}`);
    for (const advice of e.advice) {
      // A command stays on one line, to copy.
      if (advice.startsWith('aws ')) lines.push(pad + advice);
      else lines.push(...wrap(advice, WIDTH, pad));
    }
  }
  for (const o of subscriptions.others) {
    const state = o.subscriptionArn.startsWith('arn:') ? 'confirmed' : o.subscriptionArn;
    lines.push(`  ${'(not in config)'.padEnd(width)}${o.protocol} ${o.endpoint}, ${state}`);
  }
  return lines;
}

/** The terminal text: a header, one block per organization, the subscriptions, the verdict. */
export function renderStatus(report: StatusReport): string {
  const s = report.schedule;
  const lines = [
    `Runway Budget Guard status — ${formatInstant(report.now)}`,
    '',
    row('Config', report.configSource),
    row('History', report.store),
    row('Notifications', report.notifier),
    row(
      'Schedule',
      `${s.expression}; a last success older than ${formatInterval(s.staleAfterSeconds)} is stale` +
        (s.exact ? '' : ' (hourly runs assumed for cron, as the heartbeat alarm does)'),
    ),
  ];
  for (const org of report.organizations) lines.push('', ...renderOrganization(org, s));
  lines.push('', ...renderSubscriptions(report.subscriptions));
  if (report.attention.length > 0) {
    lines.push('', 'Needs attention');
    for (const f of report.attention) lines.push(...bullet(f.message, WIDTH));
  }
  lines.push('', report.verdict);
  return `${lines.join('\n')}\n`;
}
