/**
 * Names from outside as data: ledger keys stay distinct whatever the names, records have no prototype, and
 * text that reaches a subject or an email is cut on grapheme boundaries and free of control characters.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.ts';
import { modelRule } from '../../functions/domain/alerts/alert.ts';
import { dailyQuotaAlert } from '../../functions/domain/alerts/daily-quota.ts';
import { type Finding, renderFinding } from '../../functions/domain/alerts/registry.ts';
import { buildSubject } from '../../functions/domain/alerts/render.ts';
import { tierChangeAlert } from '../../functions/domain/alerts/tier-change.ts';
import { encodeKeyPart, KEY_PART_MAX_BYTES } from '../../functions/domain/ledger-key.ts';
import { plainText, shownName } from '../../functions/domain/outside-text.ts';
import { formatModelTable } from '../../functions/domain/overview-tables.ts';
import { recordFrom } from '../../functions/domain/records.ts';
import { alertKey } from '../../functions/domain/types.ts';

const BIDI = '\u202E\u2066\u200F\u061C';

describe('ledger keys', () => {
  const names = [
    'a#b',
    'a_b',
    'a%23b',
    '%23',
    '#',
    '%',
    'total',
    'model:total',
    '',
    '\u0000',
    '\ud800',
    'x'.repeat(600),
    `${'x'.repeat(600)}y`,
  ];

  it('encode every part injectively, with no separator inside a part', () => {
    const keys = names.map((rule) =>
      alertKey({ kind: 'daily-quota', rule, period: '2026-11-20', level: '80' }),
    );
    expect(new Set(keys).size).toBe(names.length);
    for (const key of keys) expect(key.split('#')).toHaveLength(4);
    for (const name of names)
      expect(Buffer.byteLength(encodeKeyPart(name))).toBeLessThanOrEqual(KEY_PART_MAX_BYTES);
  });

  it('leave ordinary names as they are, so keys written before the encoding still match', () => {
    for (const name of [
      'gen4.5',
      'veo3.1',
      'gen4_turbo',
      'monthly-total',
      'max-monthly-credit-spend',
      '2026-11-22T09',
    ])
      expect(encodeKeyPart(name)).toBe(name);
    expect(alertKey({ kind: 'budget', rule: 'monthly-total', period: '2026-11', level: '80' })).toBe(
      'budget#monthly-total#2026-11#80',
    );
  });

  it('give a model named like an organization-wide rule its own rule', () => {
    expect(modelRule('total', ['total'])).not.toBe('total');
    expect(modelRule('gen4.5', ['total'])).toBe('gen4.5');
    expect(
      new Set(['total', 'model:total', 'model:model:total'].map((m) => modelRule(m, ['total']))).size,
    ).toBe(3);
  });
});

describe('records without a prototype', () => {
  it('keep __proto__ and constructor as entries and never reach Object.prototype', () => {
    const r = recordFrom<number>([
      ['__proto__', 1],
      ['constructor', 2],
    ]);
    expect(Object.keys(r)).toEqual(['__proto__', 'constructor']);
    expect(r.toString).toBeUndefined();
    expect(JSON.parse(JSON.stringify(r))).toEqual(JSON.parse('{"__proto__":1,"constructor":2}'));
  });
});

describe('text from outside', () => {
  it('cuts an emoji organization name on a grapheme boundary and keeps it in the subject', () => {
    const org = '👩‍👩‍👧‍👦'.repeat(30);
    const subject = buildSubject(org, 'monthly budget at 80% — $400.00 of $500.00');
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject.startsWith('👩‍👩‍👧‍👦')).toBe(true);
    expect(subject).toContain('…: monthly budget');
    expect(subject).not.toMatch(/\p{Cs}/u);
  });

  it('never splits a letter from its combining marks', () => {
    const org = 'e\u0301\u0302'.repeat(60);
    const subject = buildSubject(org, 'x'.repeat(60));
    const name = subject.slice(0, subject.indexOf('…'));
    expect(name.length % 3).toBe(0);
  });

  it('strips bidirectional and control characters; a name of only controls stays recognizable', () => {
    expect(plainText(`gen${BIDI}4.5\u0007\n`)).toBe('gen4.5');
    expect(shownName('\u0001\u0002')).toBe('U+0001 U+0002');
    expect(buildSubject(`Acme${BIDI}\u0000`, 'x')).toBe('Acme: x');
  });

  it('shortens a 500-character model name in tables, keeping the full name in the JSON body', () => {
    const long = `m${'o'.repeat(499)}`;
    const lines = formatModelTable([
      {
        model: long,
        inTier: true,
        maxConcurrentGenerations: 1,
        maxDailyGenerations: 10,
        usedToday: 1,
        remaining: 9,
        percent: 10,
      },
    ]);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    const sample = dailyQuotaAlert.samples[0];
    if (!sample) throw new Error('no daily-quota sample');
    const ctx = {
      orgId: 'studio',
      orgName: `Studio${BIDI}`,
      usdPerCredit: 0.01,
      now: new Date('2026-11-22T09:30:00Z'),
    };
    const finding = { ...sample.finding(ctx), model: `${long}${BIDI}\u0007`, rule: `${long}${BIDI}` };
    const message = renderFinding(finding as Finding, ctx);
    // No control character but the line break, and no bidirectional control.
    const unwanted = /[\p{Cc}\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u;
    expect([...message.text].filter((c) => c !== '\n' && unwanted.test(c))).toEqual([]);
    expect(message.subject).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/u);
    // The chat card shows the same names: cleaned as the text is.
    const card = message.chat;
    if (!card) throw new Error('no chat card');
    for (const shown of [card.content.title, card.content.description, ...card.content.nextSteps]) {
      expect([...shown].filter((c) => c !== '\n' && unwanted.test(c))).toEqual([]);
    }
    expect(card.metadata.additionalContext.rule).not.toMatch(unwanted);
    expect(message.json.model).toBe(`${long}${BIDI}\u0007`);
  });

  it('a model named like the tier cap does not read as the tier cap in a tier-change message', () => {
    const sample = tierChangeAlert.samples[0];
    if (!sample) throw new Error('no tier-change sample');
    const ctx = {
      orgId: 'studio',
      orgName: 'Studio',
      usdPerCredit: 0.01,
      now: new Date('2026-11-22T09:30:00Z'),
    };
    for (const name of ['tier cap', 'tier cap (credits per 30 days)']) {
      const finding = {
        ...sample.finding(ctx),
        changes: [{ what: `${name} daily limit`, before: 100, after: 50, better: false }],
      };
      const message = renderFinding(finding as Finding, ctx);
      expect(message.text).toContain(name);
      expect(message.text).not.toMatch(/^ {2}Tier cap /m);
    }
  });

  it('the config refuses an organization name with control characters, clearly', () => {
    const config = (name: string) => ({
      organizations: [{ id: 'acme', name, apiKeySecretName: 'runway/acme' }],
    });
    expect(() => parseConfig(config(`Acme${'\u202E'}`), 'test')).toThrow(/control characters/);
    expect(() => parseConfig(config('\u0001\u0002'), 'test')).toThrow(/control characters/);
    expect(parseConfig(config('Acme 🎬 Films'), 'test').organizations[0]?.name).toBe('Acme 🎬 Films');
  });
});
