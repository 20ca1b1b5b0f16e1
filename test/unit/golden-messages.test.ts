/**
 * Golden files: every message kind's subject, plain-text body and JSON body, rendered from the fixed samples in
 * functions/domain/samples.ts at a fixed clock. The text is the product: a change to any wording shows up here
 * as a diff to review. `UPDATE_GOLDEN=1 npx vitest run test/unit/golden-messages.test.ts` rewrites the files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALERT_KINDS } from '../../functions/config.ts';
import {
  MESSAGE_SCHEMA,
  SAMPLE_NOW,
  SAMPLES,
  sampleContext,
} from '../../functions/domain/alerts/registry.ts';
import type { Message } from '../../functions/domain/types.ts';

const GOLDEN_DIR = join(import.meta.dirname, '..', 'fixtures', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** One reviewable file: the subject and attributes, the email text, then the JSON body. */
function goldenText(message: Message): string {
  const { kind, severity, org, rule } = message.attributes;
  return [
    `Subject: ${message.subject}`,
    `Attributes: kind=${kind} severity=${severity} org=${org} rule=${rule}`,
    '',
    '----- text body -----',
    message.text.trimEnd(),
    '',
    '----- JSON body -----',
    JSON.stringify(message.json, null, 2),
    '',
  ].join('\n');
}

/** Characters, not UTF-16 units or bytes: what a mail client lays out. */
const width = (line: string) => [...line].length;

describe('golden messages', () => {
  it('has a sample of every alert kind', () => {
    expect(new Set(SAMPLES.map((s) => s.kind))).toEqual(new Set(ALERT_KINDS));
    expect(new Set(SAMPLES.map((s) => s.name)).size).toBe(SAMPLES.length);
  });

  it.each(SAMPLES.map((s) => [s.name, s] as const))('%s matches its golden file', (name, sample) => {
    // Prepare
    const path = join(GOLDEN_DIR, `${name}.txt`);

    // Act
    const actual = goldenText(sample.render(sampleContext()));

    // Assess
    if (UPDATE || !existsSync(path)) {
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(path, actual);
    }
    expect(actual).toBe(readFileSync(path, 'utf8'));
  });

  it.each(SAMPLES.map((s) => [s.name, s] as const))('%s reads well in any mail client', (_name, sample) => {
    const message = sample.render(sampleContext());

    expect(message.subject.length).toBeLessThanOrEqual(100);
    expect(message.subject).toMatch(/^Studio production: /);
    const wide = message.text.split('\n').filter((line) => width(line) > 78);
    expect(wide).toEqual([]);
    expect(message.text).not.toMatch(/\t|\r|undefined|NaN|Infinity|\[object/);
    expect(message.text).toMatch(
      /\n\n--\nRunway Budget Guard · organization "Studio production" \(studio\)\n/,
    );
  });

  it.each(SAMPLES.map((s) => [s.name, s] as const))(
    '%s JSON body carries the common fields',
    (_name, sample) => {
      const message = sample.render(sampleContext());

      expect(message.json).toMatchObject({
        schema: MESSAGE_SCHEMA,
        test: false,
        kind: sample.kind,
        rule: message.attributes.rule,
        severity: sample.severity,
        org: { id: 'studio', name: 'Studio production' },
        generatedAt: (sample.now ?? SAMPLE_NOW).toISOString(),
        usdPerCredit: 0.01,
        subject: message.subject,
      });
      expect(message.attributes).toEqual({
        kind: sample.kind,
        severity: sample.severity,
        org: 'studio',
        rule: message.json.rule,
      });
      expect(typeof message.json.period).toBe('string');
      expect(typeof message.json.level).toBe('string');
      expect(JSON.stringify(message.json)).not.toMatch(/NaN|Infinity/);
    },
  );

  it('marks a test message in the subject, the first lines of the text and the JSON body', () => {
    for (const sample of SAMPLES) {
      const message = sample.render(sampleContext({ test: true }));

      expect(message.subject).toMatch(/^\[TEST\] Studio production: /);
      expect(message.text.startsWith('TEST NOTIFICATION — sent by `budget-guard test-alert`')).toBe(true);
      expect(message.json.test).toBe(true);
      expect(message.attributes.kind).toBe(sample.kind);
    }
  });
});
