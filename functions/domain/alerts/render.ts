/**
 * Lays a draft out as a notification: a specific subject (≤ 100 characters, naming the organization and the
 * figure), a plain-text body a finance reader understands without help, and a JSON body with every figure
 * for machine subscribers. The four message attributes come from the finding's ledger identity.
 */
import { formatInstant } from '../format.ts';
import { publishedBytes, SNS_MAX_MESSAGE_BYTES } from '../message-size.ts';
import { cutText, plainLines, plainText, shownName } from '../outside-text.ts';
import { emptyRecord } from '../records.ts';
import { bullet, factLines, wrap } from '../text-layout.ts';
import type { Message } from '../types.ts';
import { type Draft, type FindingBase, type MessageContext, TEST_NOTIFICATION_BANNER } from './alert.ts';
import { renderChatCard } from './chat.ts';

export const MESSAGE_SCHEMA = 'runway-budget-guard/notification/v1';
const SUBJECT_MAX = 100;

/**
 * Builds the subject, never over 100 characters (UTF-16 units, never fewer than what SNS counts): the
 * organization name is shortened first, keeping at least 8 units of it; cuts fall on grapheme boundaries.
 * Control and bidirectional characters are removed from both parts.
 */
export function buildSubject(orgName: string, rest: string, test = false): string {
  const prefix = test ? '[TEST] ' : '';
  const name = shownName(orgName, SUBJECT_MAX);
  const what = plainText(rest);
  const full = `${prefix}${name}: ${what}`;
  if (full.length <= SUBJECT_MAX) return full;
  const room = SUBJECT_MAX - prefix.length - what.length - 2;
  if (room >= 8) return `${prefix}${cutText(name, room)}: ${what}`;
  return `${prefix}${cutText(name, 8)}: ${cutText(what, SUBJECT_MAX - prefix.length - cutText(name, 8).length - 2)}`;
}

/** Entries a JSON body's array keeps, tried in turn until the message fits SNS's limit. */
const JSON_ARRAY_CAPS = [200, 50, 10, 0] as const;
/** The text is cut to this many UTF-8 bytes when even empty arrays do not make the message fit. */
const TEXT_MAX_BYTES = 60_000;

/**
 * `data` with every array cut to `cap` entries, each cut array followed by `<name>Omitted` (how many were left
 * out). Objects are rebuilt without a prototype-sensitive lookup, so names from outside stay data.
 */
function capArrays(value: unknown, cap: number): unknown {
  if (Array.isArray(value)) return value.slice(0, cap).map((v) => capArrays(v, cap));
  if (typeof value !== 'object' || value === null) return value;
  const out = emptyRecord<unknown>();
  for (const [name, v] of Object.entries(value)) {
    out[name] = capArrays(v, cap);
    if (Array.isArray(v) && v.length > cap) out[`${name}Omitted`] = v.length - cap;
  }
  return out;
}

/**
 * The message cut to fit SNS's 256 KiB, measured as SNS measures it: the JSON body's arrays are bounded
 * (saying how many entries were left out), then the text is cut. Tables in the text are already bounded, so
 * the last step is for the unforeseen.
 */
function fitToSns(message: Message): Message {
  if (publishedBytes(message) <= SNS_MAX_MESSAGE_BYTES) return message;
  let fitted = message;
  for (const cap of JSON_ARRAY_CAPS) {
    fitted = { ...message, json: capArrays(message.json, cap) as Message['json'] };
    if (publishedBytes(fitted) <= SNS_MAX_MESSAGE_BYTES) return fitted;
  }
  const text = `${cutText(fitted.text, TEXT_MAX_BYTES / 4)}\n[cut to fit the notification size limit]\n`;
  const json = emptyRecord<unknown>();
  for (const [name, v] of Object.entries(fitted.json)) {
    json[name] = typeof v === 'string' ? cutText(v, 2_000) : v;
  }
  return { ...fitted, text, json: json as Message['json'] };
}

/** Renders `draft` for `finding` (its kind, rule, period, level and severity) in `ctx`. */
export function render(finding: FindingBase, draft: Draft, ctx: MessageContext): Message {
  const lines: string[] = [];
  if (ctx.test) {
    lines.push(...wrap(TEST_NOTIFICATION_BANNER), '');
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
    ...wrap(`Runway Budget Guard · organization "${shownName(ctx.orgName)}" (${ctx.orgId})`),
    ...wrap(
      `${draft.source ?? `Figures read from Runway's API at ${formatInstant(ctx.now.toISOString())}`}; all periods are UTC; 1 credit = $${ctx.usdPerCredit}.`,
    ),
    ...(draft.footer ? wrap(draft.footer) : []),
  );
  const subject = buildSubject(ctx.orgName, draft.subject, ctx.test);
  return fitToSns({
    subject,
    // Every outside string (names, Runway's texts) reaches the text through here: no control characters.
    text: plainLines(`${lines.join('\n')}\n`),
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
      // Filter policies match on it: printable, and short enough to keep the message small.
      rule: shownName(finding.rule, ATTRIBUTE_RULE_MAX),
    },
  });
}

/** The `rule` attribute is cut to this many characters (the JSON body keeps the full rule). */
const ATTRIBUTE_RULE_MAX = 256;
