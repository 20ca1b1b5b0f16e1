/**
 * `budget-guard test-alert`: which samples it sends for a config, what it writes to the local outbox, and, over
 * SNS (fauxqs in process, real SNS and SQS SDK clients), that test messages carry the real kind, severity, org
 * and rule attributes, so subscription filter policies route them like real alerts, and are marked as tests.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OutboxEntry } from '../../functions/adapters/outbox-notifier.ts';
import type { Io } from '../../functions/cli/check.ts';
import { chooseSamples, runTestAlert } from '../../functions/cli/test-alert.ts';
import { UsageError } from '../../functions/cli/wiring.ts';
import { ALERT_KINDS, type ConfigInput, parseConfig } from '../../functions/config.ts';
import { protocolMessage, useSnsTestServer } from '../helpers/sns.ts';

const ORG = { id: 'studio', name: 'Studio production', apiKeySecretName: 'budget-guard/runway/studio' };

function config(subscriptions: ConfigInput['subscriptions'] = []): ConfigInput {
  return { organizations: [ORG], subscriptions };
}

type Subscription = NonNullable<ConfigInput['subscriptions']>[number];
const FINANCE: Subscription = { email: 'finance@example.com', kinds: ['budget', 'forecast', 'digest'] };
const PLATFORM: Subscription = { email: 'platform@example.com', kinds: ['daily-quota', 'guard-error'] };

describe('chooseSamples', () => {
  it('sends every kind once, in the usual shape, when no subscription is configured', () => {
    const { samples, notes } = chooseSamples(parseConfig(config(), 'test'));

    expect(samples.map((s) => s.kind)).toEqual([...ALERT_KINDS]);
    expect(samples.map((s) => s.name)).toEqual([...ALERT_KINDS]);
    expect(notes).toEqual([]);
  });

  it('sends the subscribed kinds only, in the order of the alert kinds', () => {
    const { samples } = chooseSamples(parseConfig(config([PLATFORM, FINANCE]), 'test'));

    expect(samples.map((s) => s.kind)).toEqual([
      'budget',
      'forecast',
      'daily-quota',
      'guard-error',
      'digest',
    ]);
  });

  it('sends a sample at each severity a subscription filters on, and says when a filter can never match', () => {
    const cfg = parseConfig(
      config([
        { email: 'cfo@example.com', kinds: ['budget', 'tier-cap', 'digest'], severities: ['critical'] },
        { email: 'team@example.com', kinds: ['budget'] },
      ]),
      'test',
    );

    const { samples, notes } = chooseSamples(cfg);

    expect(samples.map((s) => `${s.kind}/${s.severity}`)).toEqual([
      'budget/critical',
      'budget/warning',
      'tier-cap/critical',
    ]);
    expect(notes).toEqual([
      'cfo@example.com subscribes to digest but only at critical, and digest alerts are info: it will never receive one.',
    ]);
  });

  it('sends one kind with --kind, whatever the subscriptions say', () => {
    const { samples } = chooseSamples(parseConfig(config([FINANCE]), 'test'), 'tier-change');

    expect(samples.map((s) => s.name)).toEqual(['tier-change']);
  });
});

describe('runTestAlert', () => {
  let cwd: string;
  let out: string[];
  const io = (env: Io['env'] = {}): Io => ({
    env,
    cwd,
    stdout: (text) => void out.push(text),
    stderr: (text) => void out.push(text),
  });

  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'test-alert-'));
    out = [];
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(cwd, { recursive: true, force: true });
  });

  async function writeConfig(doc: ConfigInput): Promise<string> {
    const path = join(cwd, 'guard.json');
    await writeFile(path, JSON.stringify(doc));
    return path;
  }

  it('writes marked test messages to the outbox without opening the store', async () => {
    // Prepare
    const configPath = await writeConfig(config([FINANCE]));

    // Act
    const code = await runTestAlert({ configPath }, io());

    // Assess
    expect(code).toBe(0);
    const entries = (await readFile(join(cwd, '.budget-guard', 'outbox.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as OutboxEntry);
    expect(entries.map((e) => e.attributes.kind)).toEqual(['budget', 'forecast', 'digest']);
    for (const entry of entries) {
      expect(entry.subject).toMatch(/^\[TEST\] Studio production: /);
      expect(entry.text).toMatch(/^TEST NOTIFICATION/);
      expect(entry.json).toMatchObject({ test: true, kind: entry.attributes.kind, org: { id: 'studio' } });
      expect(entry.attributes.org).toBe('studio');
    }
    // No ledger: the embedded store was never started.
    expect(existsSync(join(cwd, '.budget-guard', 'dynamo'))).toBe(false);
    const printed = out.join('');
    expect(printed).toContain('3 of 3 sent.');
    expect(printed).toContain('[TEST] Studio production: daily digest');
  });

  it('rejects an unknown kind or organization as a usage error', async () => {
    const configPath = await writeConfig(config());

    await expect(runTestAlert({ configPath, kind: 'budgets' }, io())).rejects.toThrow(UsageError);
    await expect(runTestAlert({ configPath, orgId: 'nope' }, io())).rejects.toThrow(
      /Unknown organization "nope"/,
    );
  });

  describe('through SNS', () => {
    const sns = useSnsTestServer();

    it('publishes with the real attributes, so filter policies route test messages like real ones', async () => {
      // Prepare
      vi.stubEnv('AWS_ENDPOINT_URL_SNS', sns().endpoint);
      const topicArn = await sns().createTopic();
      const finance = await sns().subscribeQueue({ topicArn, filterPolicy: { kind: [...FINANCE.kinds] } });
      const platform = await sns().subscribeQueue({ topicArn, filterPolicy: { kind: [...PLATFORM.kinds] } });
      const configPath = await writeConfig(config([FINANCE, PLATFORM]));

      // Act
      const code = await runTestAlert({ configPath }, io({ TOPIC_ARN: topicArn }));

      // Assess
      expect(code).toBe(0);
      const financeGot = await finance.receive({ count: 3 });
      const platformGot = await platform.receive({ count: 2 });
      const attrs = (n: (typeof financeGot)[number]) =>
        Object.fromEntries(Object.entries(n.messageAttributes).map(([k, v]) => [k, v.Value]));
      expect(financeGot.map(attrs)).toEqual([
        { kind: 'budget', severity: 'warning', org: 'studio', rule: 'monthly-total' },
        { kind: 'forecast', severity: 'warning', org: 'studio', rule: 'monthly-total' },
        { kind: 'digest', severity: 'info', org: 'studio', rule: 'daily' },
      ]);
      expect(platformGot.map(attrs)).toEqual([
        { kind: 'daily-quota', severity: 'warning', org: 'studio', rule: 'gen4.5' },
        { kind: 'guard-error', severity: 'critical', org: 'studio', rule: 'runway-auth' },
      ]);
      for (const n of [...financeGot, ...platformGot]) {
        expect(n.subject).toMatch(/^\[TEST\] Studio production: /);
        const body = JSON.parse(protocolMessage(n.message, 'sqs')) as Record<string, unknown>;
        expect(body).toMatchObject({ test: true, kind: attrs(n).kind, severity: attrs(n).severity });
        expect(protocolMessage(n.message, 'email')).toMatch(/^TEST NOTIFICATION/);
      }
      expect(await finance.receive({ count: 0 })).toEqual([]);
      expect(out.join('')).toContain(`Destination: SNS topic ${topicArn}.`);
    });

    it('exits 1 and names the failure when a publish fails', async () => {
      // Prepare
      vi.stubEnv('AWS_ENDPOINT_URL_SNS', sns().endpoint);
      const configPath = await writeConfig(config());
      const missing = 'arn:aws:sns:us-east-1:000000000000:no-such-topic';

      // Act
      const code = await runTestAlert({ configPath, kind: 'balance' }, io({ TOPIC_ARN: missing }));

      // Assess
      expect(code).toBe(1);
      const printed = out.join('');
      expect(printed).toMatch(/FAILED {2}balance {5}critical rule=low-balance/);
      expect(printed).toContain('0 of 1 sent, 1 failed.');
    });
  });
});
