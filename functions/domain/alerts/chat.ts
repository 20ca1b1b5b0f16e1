/**
 * The chat card: a notification in AWS Chatbot's custom-notification format, which Chatbot turns into a
 * Slack or Microsoft Teams message (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html).
 *
 * - `version` "1.0" and `source` "custom" are required; `content.textType` "client-markdown" renders the text
 *   in the channel's own markdown.
 * - title = the subject; description = the headline and the key facts; nextSteps = the advice;
 *   keywords = kind, severity and organization.
 * - `metadata.threadId` is one per organization, kind, rule and period, so a budget's 50 %, 80 % and 100 %
 *   of one month land in one thread (when the channel's preferences allow threads).
 *
 * Text stays platform-neutral (no `*bold*` or `**bold**`, which Slack and Teams spell differently) and within
 * conservative bounds, so a card never outgrows what a Slack section shows without a "see more".
 */
import { cutText, plainLines, plainText } from '../outside-text.ts';
import type { Message } from '../types.ts';
import { type Draft, type FindingBase, type MessageContext, TEST_NOTIFICATION_BANNER } from './alert.ts';

export const CHAT_CARD_VERSION = '1.0';
/** Slack shows at most 3,000 characters of one text section; a longer description would be cut by Slack. */
export const CHAT_DESCRIPTION_MAX = 3000;
export const CHAT_TITLE_MAX = 250;
export const CHAT_NEXT_STEPS_MAX = 5;
export const CHAT_NEXT_STEP_MAX_CHARS = 350;
export const CHAT_KEYWORD_MAX_CHARS = 75;
/** Facts shown in the description; the rest stay in the email and the JSON body. */
const CHAT_FACTS_MAX = 8;

/** AWS Chatbot's custom notification. */
export interface ChatCard {
  readonly version: '1.0';
  readonly source: 'custom';
  /** Unique per alert and render: the ledger identity. */
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

/** Builds the chat card of a rendered alert. `subject` is the final subject (with any [TEST] prefix). */
export function renderChatCard(
  finding: FindingBase,
  draft: Draft,
  ctx: MessageContext,
  subject: string,
): ChatCard {
  const facts = draft.facts.slice(0, CHAT_FACTS_MAX).map(([label, value]) => `• ${label}: ${value}`);
  const banner = ctx.test ? [TEST_NOTIFICATION_BANNER, ''] : [];
  // Names in the draft come from outside (Runway's model names): the card gets them as the email text does,
  // without control or bidirectional characters.
  const description = cutText(
    plainLines([...banner, draft.headline, '', ...facts].join('\n')),
    CHAT_DESCRIPTION_MAX,
  );
  return {
    version: CHAT_CARD_VERSION,
    source: 'custom',
    id: `${ctx.orgId}:${finding.kind}:${finding.rule}:${finding.period}:${finding.level}${ctx.test ? ':test' : ''}`,
    content: {
      textType: 'client-markdown',
      title: cutText(subject, CHAT_TITLE_MAX),
      description,
      nextSteps: draft.advice
        .slice(0, CHAT_NEXT_STEPS_MAX)
        .map((a) => cutText(plainText(a), CHAT_NEXT_STEP_MAX_CHARS)),
      keywords: [finding.kind, finding.severity, ctx.orgId].map((k) => cutText(k, CHAT_KEYWORD_MAX_CHARS)),
    },
    metadata: {
      threadId: chatThreadId(ctx.orgId, finding),
      summary: cutText(subject, CHAT_TITLE_MAX),
      eventType: `runway-budget-guard.${finding.kind}`,
      relatedResources: [],
      additionalContext: {
        org: ctx.orgId,
        kind: finding.kind,
        rule: plainText(finding.rule),
        period: finding.period,
        level: finding.level,
        severity: finding.severity,
      },
    },
  };
}

/** One thread per organization, kind, rule and period: every threshold of one budget month together. */
export function chatThreadId(orgId: string, finding: Pick<FindingBase, 'kind' | 'rule' | 'period'>): string {
  return `runway-budget-guard/${orgId}/${finding.kind}/${finding.rule}/${finding.period}`;
}

/**
 * The chat card of a message, or a minimal one from its subject and JSON body for a message stored before chat
 * cards existed (a pending alert of an older version).
 */
export function chatCardOf(message: Message): ChatCard {
  if (message.chat) return message.chat;
  const { kind, severity, org, rule } = message.attributes;
  const json = message.json as { headline?: unknown; period?: unknown; level?: unknown };
  const period = typeof json.period === 'string' ? json.period : 'unknown';
  const headline = typeof json.headline === 'string' ? json.headline : message.subject;
  return {
    version: CHAT_CARD_VERSION,
    source: 'custom',
    id: `${org}:${kind}:${rule}:${period}:${typeof json.level === 'string' ? json.level : ''}`,
    content: {
      textType: 'client-markdown',
      title: cutText(message.subject, CHAT_TITLE_MAX),
      description: cutText(headline, CHAT_DESCRIPTION_MAX),
      nextSteps: [],
      keywords: [kind, severity, org].map((k) => cutText(k, CHAT_KEYWORD_MAX_CHARS)),
    },
    metadata: {
      threadId: chatThreadId(org, { kind, rule, period }),
      summary: cutText(message.subject, CHAT_TITLE_MAX),
      eventType: `runway-budget-guard.${kind}`,
      relatedResources: [],
      additionalContext: { org, kind, rule, period, severity },
    },
  };
}
