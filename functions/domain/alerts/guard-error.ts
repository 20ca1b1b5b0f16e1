/**
 * `guard-error`: the guard cannot watch an organization until someone acts — Runway rejects the key
 * (401/403), the key is not set, or Runway answers with data that fails validation. Raised from a failed
 * read, not by a rule. Once per organization × reason × UTC day; critical.
 */
import { utcDate } from '../dates.ts';
import { formatInstant } from '../format.ts';
import { type Draft, defineAlert, type FindingBase, type MessageContext, RUNWAY_PAGES } from './alert.ts';

export type GuardErrorReason = 'runway-auth' | 'runway-data' | 'api-key' | 'undeliverable';

export interface GuardErrorInfo {
  readonly reason: GuardErrorReason;
  /** What went wrong, already free of secrets. */
  readonly detail: string;
  readonly status?: number | undefined;
  /** Where the key comes from, for the fix (a secret name or the environment variable). */
  readonly keySource: string;
  /** When the guard last read this organization successfully (ISO instant), if ever. */
  readonly lastSuccessAt?: string | undefined;
  /** For `undeliverable`: the alert SNS rejected for good. */
  readonly undelivered?:
    | { readonly key: string; readonly subject: string; readonly attempts: number }
    | undefined;
}

export interface GuardErrorFinding extends FindingBase, GuardErrorInfo {
  readonly kind: 'guard-error';
}

const SECRETS_MANAGER = 'Secrets Manager secret ';

/** The fix for a missing or rejected key, with the command when the key lives in Secrets Manager. */
function putKeyAdvice(keySource: string): string {
  const command = keySource.startsWith(SECRETS_MANAGER)
    ? ` (aws secretsmanager put-secret-value --secret-id ${keySource.slice(SECRETS_MANAGER.length)} --secret-string <your Runway key>)`
    : '';
  return `Put a valid Runway API key in ${keySource}${command}. Keys are created on ${RUNWAY_PAGES.keys}.`;
}

/** What to do about a key that is missing or rejected: both stop the guard until someone puts a good one. */
function keyAdvice(info: GuardErrorInfo): readonly string[] {
  return [
    putKeyAdvice(info.keySource),
    'A 401 means the key is wrong, disabled or the account is suspended; a 403 means the key may not read this organization.',
    'Until this is fixed, no budget, balance or quota alerts can be sent for this organization.',
  ];
}

/** Per reason: the subject, the problem in two words, and what to do. */
const REASONS: Readonly<
  Record<
    GuardErrorReason,
    {
      readonly subject: (info: GuardErrorInfo) => string;
      readonly problem: string;
      readonly advice: (info: GuardErrorInfo) => readonly string[];
      readonly headline?: (info: GuardErrorInfo, orgName: string) => string;
    }
  >
> = {
  'runway-auth': {
    subject: (info) => `budget guard stopped — Runway rejected the API key (${info.status ?? 'auth'})`,
    problem: 'API key rejected',
    advice: keyAdvice,
  },
  'api-key': {
    subject: () => 'budget guard stopped — Runway API key not set',
    problem: 'API key not set',
    advice: keyAdvice,
  },
  'runway-data': {
    subject: () => 'budget guard stopped — Runway returned invalid data',
    problem: 'invalid data from Runway',
    advice: () => [
      'Nothing was stored from this answer, and the previous history is intact. The guard retries every scheduled run.',
      'If it persists, Runway may have changed its API: check for a newer Runway Budget Guard release, and send this message to the engineers.',
    ],
  },
  undeliverable: {
    subject: () => 'an alert could not be delivered — SNS rejected it',
    problem: 'alert rejected by SNS',
    headline: (info, orgName) =>
      `SNS rejected an alert for ${orgName} ${info.undelivered?.attempts ?? 'several'} times as invalid, so the guard stopped retrying it: "${info.undelivered?.subject ?? ''}". ${info.detail}`,
    advice: () => [
      "Read the alert's figures with `budget-guard check` (or on the Usage page of the Runway developer portal): this is the one message that did not reach you.",
      'Send this message to the engineers: the alert should never have been rejected. Other alerts are not affected and keep going out.',
    ],
  },
};

/** The finding for a failed read on `today`. */
export function guardErrorFinding(info: GuardErrorInfo, today: string): GuardErrorFinding {
  return {
    kind: 'guard-error',
    rule: info.reason,
    // One report per undeliverable alert: its ledger key is the period.
    period: info.undelivered?.key ?? today,
    level: 'critical',
    severity: 'critical',
    covers: [],
    summary: `the guard could not check the organization: ${REASONS[info.reason].problem}`,
    ...info,
  };
}

function draft(f: GuardErrorFinding, ctx: MessageContext): Draft {
  const reason = REASONS[f.reason];
  return {
    subject: reason.subject(f),
    headline:
      reason.headline?.(f, ctx.orgName) ??
      `The budget guard could not check ${ctx.orgName} and cannot send budget alerts for it until this is fixed: ${f.detail}`,
    facts: f.undelivered
      ? [
          ['Problem', reason.problem],
          ['Alert', f.undelivered.subject],
          ['Ledger key', `ALERT#${f.undelivered.key}`],
          ['Attempts', String(f.undelivered.attempts)],
          ['Given up at', formatInstant(ctx.now.toISOString())],
        ]
      : [
          ['Problem', reason.problem],
          ['Key source', f.keySource],
          ...(f.status ? ([['HTTP status', String(f.status)]] as const) : []),
          ['Failed at', formatInstant(ctx.now.toISOString())],
          ...(f.lastSuccessAt
            ? ([
                ['Last good read', `${formatInstant(f.lastSuccessAt)}: alerts cover figures up to then`],
              ] as const)
            : []),
        ],
    advice: reason.advice(f),
    // An undeliverable alert is about SNS, not Runway: the run read Runway as usual.
    ...(f.undelivered
      ? {
          footer:
            'You get this report once per alert SNS refused; the alert itself is not retried again (its ledger item is undeliverable).',
        }
      : {
          source: `Nothing could be read from Runway at ${formatInstant(ctx.now.toISOString())}${
            f.lastSuccessAt ? `; the last good read was at ${formatInstant(f.lastSuccessAt)}` : ''
          }`,
          footer:
            'You get this alert at most once per organization and UTC day while the problem lasts; it stops once a check succeeds.',
        }),
    data: {
      reason: f.reason,
      detail: f.detail,
      status: f.status ?? null,
      keySource: f.keySource,
      lastSuccessAt: f.lastSuccessAt ?? null,
      ...(f.undelivered ? { undelivered: f.undelivered } : {}),
    },
  };
}

export const guardErrorAlert = defineAlert<GuardErrorFinding>({
  kind: 'guard-error',
  draft,
  samples: [
    {
      name: 'guard-error',
      severity: 'critical',
      finding: (ctx) =>
        guardErrorFinding(
          {
            reason: 'runway-auth',
            detail: 'Runway answered 401 Unauthorized: the API key is not valid.',
            status: 401,
            keySource: `Secrets Manager secret budget-guard/runway/${ctx.orgId}`,
            lastSuccessAt: new Date(ctx.now.getTime() - 3_600_000).toISOString(),
          },
          utcDate(ctx.now),
        ),
    },
    {
      name: 'guard-error-undeliverable',
      severity: 'critical',
      finding: (ctx) =>
        guardErrorFinding(
          {
            reason: 'undeliverable',
            detail:
              'SNS answered InvalidParameter: Invalid parameter: Message too long (3 publishes, the last at 09:30 UTC).',
            keySource: 'SNS topic budget-guard-alerts',
            undelivered: {
              key: 'digest#daily#2026-11-22#info',
              subject: `${ctx.orgName}: daily digest — $1,854.00 spent yesterday, balance $3,820.00 (~1 day)`,
              attempts: 3,
            },
          },
          utcDate(ctx.now),
        ),
    },
  ],
});
