/**
 * Notification rendering: every kind renders a specific subject of at most 100 characters (long
 * organization names are shortened, not the figure), a plain-text body and a JSON body with no "undefined",
 * "NaN" or "Infinity" anywhere, and the four attributes the subscriptions filter on.
 */
import { describe, expect, it } from 'vitest';
import { type AlertKind, parseConfig } from '../../functions/config.ts';
import { digestFinding } from '../../functions/domain/alerts/digest.ts';
import { guardErrorFinding } from '../../functions/domain/alerts/guard-error.ts';
import {
  buildSubject,
  evaluateRules,
  type Finding,
  type GuardErrorInfo,
  MESSAGE_SCHEMA,
  type MessageContext,
  type RuleInput,
  renderFinding,
} from '../../functions/domain/alerts/registry.ts';
import { addDays } from '../../functions/domain/dates.ts';
import { indexUsage } from '../../functions/domain/figures.ts';
import { computeOverview } from '../../functions/domain/overview.ts';
import type { Message, UsageDay } from '../../functions/domain/types.ts';
import { ruleInputOf } from '../helpers/rule-input.ts';

const NOW = new Date('2026-11-20T12:00:00Z');
const LONG_NAME = 'Northern Lights Animation & Visual Effects Studio — Europe'; // 58 characters

/**
 * One organization that trips every rule at once: a critical month budget, a day budget at 100%, a forecast,
 * the tier cap at 80%, a daily quota, a low balance, a tier change and a spend spike.
 */
function everything(name: string, usage: readonly UsageDay[] = spikyUsage()): RuleInput {
  const config = parseConfig(
    {
      organizations: [
        {
          id: 'northern-lights',
          name,
          apiKeySecretName: 'runway/northern-lights',
          budgets: [
            { id: 'monthly-total', period: 'month', limit: { usd: 200 }, thresholds: [50, 80, 100] },
            {
              id: 'monthly-soft',
              period: 'month',
              limit: { credits: 40_000 },
              thresholds: [100],
              forecast: true,
            },
            {
              id: 'veo-daily',
              period: 'day',
              model: 'veo3.1',
              limit: { credits: 4000 },
              thresholds: [80, 100],
            },
          ],
          lowBalance: { credits: 50_000, days: 7 },
        },
      ],
    },
    'test',
  );
  return ruleInputOf(config, {
    now: NOW,
    details: {
      creditBalance: 3000,
      maxMonthlyCreditSpend: 30_000,
      models: {
        'gen4.5': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000, dailyGenerations: 950 },
        'veo3.1': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000, dailyGenerations: 120 },
        magnific: { maxConcurrentGenerations: null, maxDailyGenerations: null, dailyGenerations: 40 },
      },
    },
    usage: indexUsage(usage),
    historyStart: '2026-08-23',
    previous: {
      orgId: 'northern-lights',
      date: '2026-11-19',
      fetchedAt: '2026-11-19T12:00:00.000Z',
      creditBalance: 4500,
      maxMonthlyCreditSpend: 20_000,
      models: {
        'gen4.5': { maxConcurrentGenerations: 5, maxDailyGenerations: 2000, dailyGenerations: 0 },
        'veo3.1': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000, dailyGenerations: 0 },
      },
      monthToDateCredits: 21_000,
      rolling30dCredits: 21_000,
      forecastMonthCredits: 36_000,
    },
  });
}

/** 1 500 credits a day from Nov 6 to 19 (one refund), then a veo3.1 spike today. */
function spikyUsage(): UsageDay[] {
  const days: UsageDay[] = [];
  for (let d = '2026-11-06'; d < '2026-11-20'; d = addDays(d, 1)) {
    const credits =
      d === '2026-11-12' ? { 'gen4.5': -200, 'veo3.1': 1700 } : { 'gen4.5': 1000, 'veo3.1': 500 };
    days.push({ date: d, credits, totalCredits: credits['gen4.5'] + credits['veo3.1'] });
  }
  days.push({ date: '2026-11-20', credits: { 'gen4.5': 1000, 'veo3.1': 4000 }, totalCredits: 5000 });
  return days;
}

function contextFor(input: RuleInput, over: Partial<MessageContext> = {}): MessageContext {
  return {
    orgId: input.org.id,
    orgName: input.org.name,
    usdPerCredit: input.config.usdPerCredit,
    now: NOW,
    ...over,
  };
}

const GUARD_ERRORS: readonly GuardErrorInfo[] = [
  {
    reason: 'runway-auth',
    detail: 'Runway rejected the API key (401 on GET /v1/organization: The API key provided is not valid.)',
    status: 401,
    keySource: 'Secrets Manager secret runway/northern-lights',
  },
  {
    reason: 'runway-data',
    detail: 'Runway returned data that fails validation (GET /v1/organization): $.tier: is required',
    keySource: 'the RUNWAYML_API_SECRET environment variable',
  },
  { reason: 'api-key', detail: 'The secret has no value', keySource: 'Secrets Manager secret runway/x' },
];

/** Every message the guard can send for `input`: one per finding, the three guard errors and the digest. */
function renderAll(input: RuleInput, over: Partial<MessageContext> = {}) {
  const ctx = contextFor(input, over);
  const { findings } = evaluateRules(input);
  const overview = computeOverview(input);
  return {
    findings,
    messages: [
      ...findings.map((f) => ({ finding: f as Finding | undefined, message: renderFinding(f, ctx) })),
      ...GUARD_ERRORS.map((info) => ({
        finding: undefined,
        message: renderFinding(guardErrorFinding(info, '2026-11-20'), ctx),
      })),
      {
        finding: undefined,
        message: renderFinding(
          digestFinding(
            overview,
            findings.map((f) => f.summary),
          ),
          ctx,
        ),
      },
    ],
  };
}

function expectClean(message: Message): void {
  for (const [what, text] of [
    ['subject', message.subject],
    ['text', message.text],
    ['json', JSON.stringify(message.json)],
  ] as const) {
    expect(text, `${what} of "${message.subject}"`).not.toMatch(/undefined|NaN|Infinity|\[object Object\]/);
  }
}

describe('every kind renders', () => {
  const input = everything('Acme');
  const { findings, messages } = renderAll(input);

  it('the scenario trips every rule', () => {
    const kinds = new Set(findings.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(
      ['anomaly', 'balance', 'budget', 'daily-quota', 'forecast', 'tier-cap', 'tier-change'].sort(),
    );
    expect(new Set(messages.map((m) => m.message.attributes.kind))).toEqual(
      new Set<AlertKind>([...kinds, 'guard-error', 'digest']),
    );
  });

  it.each(messages.map((m) => [`${m.message.attributes.kind} ${m.message.attributes.rule}`, m] as const))(
    '%s: subject, attributes, text and JSON',
    (_, { finding, message }) => {
      expect(message.subject.length).toBeLessThanOrEqual(100);
      expect(message.subject.startsWith('Acme: ')).toBe(true);
      expect(message.subject.length).toBeGreaterThan('Acme: '.length + 10);
      expectClean(message);

      const { kind, severity, org, rule } = message.attributes;
      expect(org).toBe('northern-lights');
      expect(rule).not.toBe('');
      expect(message.json).toMatchObject({
        schema: MESSAGE_SCHEMA,
        test: false,
        kind,
        rule,
        severity,
        org: { id: 'northern-lights', name: 'Acme' },
        generatedAt: NOW.toISOString(),
        usdPerCredit: 0.01,
      });
      if (finding) {
        expect(message.attributes).toEqual({
          kind: finding.kind,
          severity: finding.severity,
          org: 'northern-lights',
          rule: finding.rule,
        });
        expect(message.json).toMatchObject({ period: finding.period, level: finding.level });
      }
      // A plain-text body: names the organization, ends with a newline, no markup.
      expect(message.text).toContain('Acme');
      expect(message.text.endsWith('\n')).toBe(true);
      expect(message.text).not.toMatch(/<[a-z]+>|\*\*/i);
    },
  );

  it('money figures are in dollars and credits', () => {
    const budget = messages.find((m) => m.finding?.kind === 'budget' && m.finding.rule === 'monthly-total');
    // 26 000 credits against a $200 (20 000-credit) limit.
    expect(budget?.message.subject).toBe('Acme: monthly-total at 130% — $260.00 of $200.00');
    expect(budget?.message.text).toContain('$260.00 (26,000 credits)');
    expect(budget?.message.text).toContain('$200.00 (20,000 credits)');
    expect(budget?.message.json).toMatchObject({
      spentCredits: 26_000,
      limitCredits: 20_000,
      threshold: 100,
    });
  });

  it('guard errors say what to fix and never carry more than the key source', () => {
    const auth = messages.find((m) => m.message.attributes.rule === 'runway-auth')?.message;
    expect(auth?.attributes).toEqual({
      kind: 'guard-error',
      severity: 'critical',
      org: 'northern-lights',
      rule: 'runway-auth',
    });
    expect(auth?.subject).toContain('401');
    expect(auth?.text).toContain('Secrets Manager secret runway/northern-lights');
    expect(auth?.json).toMatchObject({ reason: 'runway-auth', status: 401, period: '2026-11-20' });
  });
});

describe('subjects stay within 100 characters', () => {
  it('with the longest organization name the config allows, every subject keeps its figure', () => {
    const short = renderAll(everything('Acme')).messages;
    const long = renderAll(everything(LONG_NAME)).messages;
    expect(long).toHaveLength(short.length);
    long.forEach(({ message }, i) => {
      const rest = short[i]?.message.subject.slice('Acme: '.length) ?? '';
      expect(message.subject.length, message.subject).toBeLessThanOrEqual(100);
      expect(message.subject.endsWith(`: ${rest}`), message.subject).toBe(true);
      expect(message.subject.startsWith(LONG_NAME.slice(0, 8))).toBe(true);
      expect(message.text.replace(/\s+/g, ' ')).toContain(LONG_NAME);
      expectClean(message);
    });
  });

  it('with an absurdly long name and as a test message', () => {
    const input = everything('Acme');
    const { messages } = renderAll(input, { orgName: 'X'.repeat(300), test: true });
    for (const { message } of messages) {
      expect(message.subject.length).toBeLessThanOrEqual(100);
      expect(message.subject.startsWith('[TEST] ')).toBe(true);
      expect(message.text).toMatch(/TEST NOTIFICATION/);
      expect(message.json.test).toBe(true);
      expectClean(message);
    }
  });

  it('buildSubject shortens the organization name first', () => {
    expect(buildSubject('Studio', 'veo-daily at 84% today')).toBe('Studio: veo-daily at 84% today');
    const subject = buildSubject('N'.repeat(95), 'budget at 80%');
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^N{80,}…: budget at 80%$/);
  });

  it('buildSubject cuts the whole line when even the figure is too long', () => {
    const subject = buildSubject('Studio', 'x'.repeat(150));
    expect(subject).toHaveLength(100);
    expect(subject.endsWith('…')).toBe(true);
    expect(buildSubject('Studio', 'x'.repeat(150), true).startsWith('[TEST] Studio')).toBe(true);
  });
});

describe('thin data renders cleanly', () => {
  it('a brand-new organization with no usage, no limits and no previous snapshot', () => {
    const input: RuleInput = {
      ...everything('Fresh org', []),
      previous: undefined,
      historyStart: '2026-11-20',
      details: {
        creditBalance: 0,
        maxMonthlyCreditSpend: 0,
        models: {
          magnific: { maxConcurrentGenerations: null, maxDailyGenerations: null, dailyGenerations: 0 },
        },
      },
    };
    const { findings, messages } = renderAll(input);
    // Only the credits floor can fire: no spend means no days floor, no ratio against a zero cap.
    expect(findings.map((f) => f.kind)).toEqual(['balance']);
    for (const { message } of messages) {
      expect(message.subject.length).toBeLessThanOrEqual(100);
      expectClean(message);
    }
    const digest = messages.at(-1)?.message;
    expect(digest?.attributes.kind).toBe('digest');
    expect(digest?.json).toMatchObject({ daysLeft: null, forecastMonthCredits: null, creditBalance: 0 });
  });

  it('a refund-only day, a negative balance and fractional credits', () => {
    const usage: UsageDay[] = [
      { date: '2026-11-18', credits: { 'gen4.5': 1234.56 }, totalCredits: 1234.56 },
      { date: '2026-11-19', credits: { 'gen4.5': -300 }, totalCredits: -300 },
      { date: '2026-11-20', credits: { 'veo3.1': 4000.5 }, totalCredits: 4000.5 },
    ];
    const input: RuleInput = {
      ...everything('Acme', usage),
      details: { ...everything('Acme').details, creditBalance: -120 },
    };
    const { messages } = renderAll(input);
    for (const { message } of messages) expectClean(message);
    const balance = messages.find((m) => m.message.attributes.kind === 'balance')?.message;
    expect(balance?.text).toContain('-$1.20');
  });
});
