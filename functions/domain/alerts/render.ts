/**
 * Lays a draft out as a notification: a specific subject (≤ 100 characters, naming the organization and the
 * figure), a plain-text body a finance reader understands without help, and a JSON body with every figure
 * for machine subscribers. The four message attributes come from the finding's ledger identity.
 */
import { formatInstant } from '../format.ts';
import { bullet, factLines, wrap } from '../text-layout.ts';
import type { Message } from '../types.ts';
import type { Draft, FindingBase, MessageContext } from './alert.ts';
import { renderChatCard } from './chat.ts';

export const MESSAGE_SCHEMA = 'runway-budget-guard/notification/v1';
const SUBJECT_MAX = 100;

/** Builds the subject, never over 100 characters: the organization name is shortened first. */
export function buildSubject(orgName: string, rest: string, test = false): string {
  const prefix = test ? '[TEST] ' : '';
  const full = `${prefix}${orgName}: ${rest}`;
  if (full.length <= SUBJECT_MAX) return full;
  const room = SUBJECT_MAX - prefix.length - rest.length - 3;
  if (room >= 8) return `${prefix}${orgName.slice(0, room - 1)}…: ${rest}`;
  return `${full.slice(0, SUBJECT_MAX - 1)}…`;
}

/** Renders `draft` for `finding` (its kind, rule, period, level and severity) in `ctx`. */
export function render(finding: FindingBase, draft: Draft, ctx: MessageContext): Message {
  const lines: string[] = [];
  if (ctx.test) {
    lines.push(
      ...wrap(
        'TEST NOTIFICATION — sent by `budget-guard test-alert` to prove delivery and filters. The figures are examples; no action is needed.',
      ),
      '',
    );
  }
  lines.push(...wrap(draft.headline), '', ...factLines(draft.facts));
  for (const section of draft.sections ?? []) lines.push('', section.title, ...section.lines);
  if (draft.advice.length > 0) {
    lines.push('', 'What to do');
    for (const advice of draft.advice) lines.push(...bullet(advice));
  }
  lines.push(
    '',
    '--',
    ...wrap(`Runway Budget Guard · organization "${ctx.orgName}" (${ctx.orgId})`),
    ...wrap(
      `${draft.source ?? `Figures read from Runway's API at ${formatInstant(ctx.now.toISOString())}`}; all periods are UTC; 1 credit = $${ctx.usdPerCredit}.`,
    ),
    ...(draft.footer ? wrap(draft.footer) : []),
  );
  const subject = buildSubject(ctx.orgName, draft.subject, ctx.test);
  return {
    subject,
    text: `${lines.join('\n')}\n`,
    json: {
      schema: MESSAGE_SCHEMA,
      test: ctx.test === true,
      kind: finding.kind,
      rule: finding.rule,
      period: finding.period,
      level: finding.level,
      severity: finding.severity,
      org: { id: ctx.orgId, name: ctx.orgName },
      generatedAt: ctx.now.toISOString(),
      usdPerCredit: ctx.usdPerCredit,
      subject,
      headline: draft.headline,
      ...draft.data,
    },
    chat: renderChatCard(finding, draft, ctx, subject),
    attributes: {
      kind: finding.kind as Message['attributes']['kind'],
      severity: finding.severity,
      org: ctx.orgId,
      rule: finding.rule,
    },
  };
}
