/**
 * Chat channels: the config's ids, the chat card of every sample, routing by each channel's filters, and a
 * partial delivery (alerts topic sent, a chat topic failed) retried without sending the alerts topic twice.
 */
import { describe, expect, it } from 'vitest';
import {
  type ChatPublisher,
  chatTargetsFrom,
  FanoutNotifier,
} from '../../functions/adapters/chat-notifier.ts';
import { ConfigError, type ConfigInput, parseConfig } from '../../functions/config.ts';
import {
  CHAT_DESCRIPTION_MAX,
  CHAT_NEXT_STEPS_MAX,
  CHAT_TITLE_MAX,
} from '../../functions/domain/alerts/chat.ts';
import { SAMPLES, sampleContext } from '../../functions/domain/alerts/registry.ts';
import {
  type Message,
  type NotifierPort,
  PartialDeliveryError,
  type PendingAlert,
  type StorePort,
} from '../../functions/domain/types.ts';
import { deliver } from '../../functions/guard/delivery.ts';
import { silentLogger } from '../../functions/observability.ts';

const TENANT = '0e7a4b1c-2d3f-4a5b-8c9d-0e1f2a3b4c5d';

function configWith(chat: unknown): ConfigInput {
  return {
    organizations: [{ id: 'studio', name: 'Studio production', apiKeySecretName: 'runway/studio' }],
    chat,
  } as ConfigInput;
}

function problems(input: ConfigInput): string[] {
  try {
    parseConfig(input, 'test');
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('chat config', () => {
  it('accepts Slack and Teams channels, with every kind by default', () => {
    const config = parseConfig(
      configWith([
        { slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' } },
        {
          teams: { tenantId: TENANT, teamId: TENANT, channelId: '19%3Aabc%40thread.tacv2' },
          severities: ['critical'],
        },
      ]),
      'test',
    );
    expect(config.chat).toHaveLength(2);
    expect(config.chat[0]?.kinds).toBeUndefined();
    expect(parseConfig(configWith(undefined), 'test').chat).toEqual([]);
  });

  it('reports bad ids by JSON path with what they look like', () => {
    const found = problems(
      configWith([
        { slack: { workspaceId: 'acme', channelId: '#budget-alerts' } },
        { teams: { tenantId: 'contoso', teamId: TENANT, channelId: 'General' } },
        { slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' }, teams: { tenantId: TENANT } },
        { slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' }, kinds: ['budgets'] },
      ]),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\$\.chat\[0\]\.slack\.workspaceId: a Slack workspace id starts with T/),
        expect.stringMatching(/^\$\.chat\[0\]\.slack\.channelId: a Slack channel id starts with C/),
        expect.stringMatching(/^\$\.chat\[1\]\.teams\.tenantId: a Microsoft Teams tenant id is a GUID/),
        expect.stringMatching(/^\$\.chat\[1\]\.teams\.channelId: .*19:abc123…@thread\.tacv2/),
        expect.stringMatching(/^\$\.chat\[3\]\.kinds\[0\]: kinds are budget/),
      ]),
    );
    expect(
      problems(
        configWith([{ slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' }, teams: undefined }, {}]),
      ),
    ).toEqual([
      expect.stringMatching(/^\$\.chat\[1\]: a chat channel takes exactly one of "slack" or "teams"/),
    ]);
  });
});

describe('chat cards', () => {
  it.each(SAMPLES.map((s) => [s.name, s] as const))('%s has a card within the bounds', (_name, sample) => {
    const message = sample.render(sampleContext());
    const card = message.chat;
    expect(card?.version).toBe('1.0');
    expect(card?.source).toBe('custom');
    expect(card?.content.title).toBe(message.subject);
    expect(card?.content.title.length).toBeLessThanOrEqual(CHAT_TITLE_MAX);
    expect([...(card?.content.description ?? '')].length).toBeLessThanOrEqual(CHAT_DESCRIPTION_MAX);
    expect(card?.content.description.startsWith(String(message.json.headline))).toBe(true);
    expect(card?.content.nextSteps.length).toBeLessThanOrEqual(CHAT_NEXT_STEPS_MAX);
    expect(card?.content.keywords).toEqual([
      message.attributes.kind,
      message.attributes.severity,
      message.attributes.org,
    ]);
    expect(card?.metadata.threadId).toBe(
      `runway-budget-guard/studio/${message.attributes.kind}/${message.attributes.rule}/${String(message.json.period)}`,
    );
  });

  it('threads every threshold of one budget period together and marks test cards', () => {
    const budget = SAMPLES.filter((s) => s.kind === 'budget').map((s) => s.render(sampleContext()));
    // The level (threshold) is not part of the thread: one thread per rule and period.
    const rulePeriods = new Set(budget.map((m) => `${m.attributes.rule}/${String(m.json.period)}`));
    expect(new Set(budget.map((m) => m.chat?.metadata.threadId)).size).toBe(rulePeriods.size);
    expect(budget.every((m) => !m.chat?.metadata.threadId.endsWith(String(m.json.level)))).toBe(true);
    const test = SAMPLES[0]?.render(sampleContext({ test: true }));
    expect(test?.chat?.content.title).toMatch(/^\[TEST\] /);
    expect(test?.chat?.content.description).toMatch(/^TEST NOTIFICATION/);
  });
});

class RecordingChat implements ChatPublisher {
  readonly sent: string[] = [];
  failing = new Set<string>();
  async publishChat(topicArn: string, message: Message): Promise<string> {
    if (this.failing.has(topicArn)) throw new Error(`${topicArn} is down`);
    this.sent.push(`${topicArn} ${message.attributes.kind}/${message.attributes.severity}`);
    return `chat-id-${this.sent.length}`;
  }
}

class RecordingMain implements NotifierPort {
  readonly sent: string[] = [];
  async publish(message: Message): Promise<string> {
    this.sent.push(message.subject);
    return `main-id-${this.sent.length}`;
  }
}

const channels = parseConfig(
  configWith([
    { slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' }, kinds: ['budget', 'forecast'] },
    { slack: { workspaceId: 'T0123ABCD', channelId: 'C0999ZZZZ' }, severities: ['critical'] },
  ]),
  'test',
).chat;

describe('routing to chat channels', () => {
  it('publishes to the channels whose kinds and severities match, after the alerts topic', async () => {
    const main = new RecordingMain();
    const chat = new RecordingChat();
    const notifier = new FanoutNotifier({ main, chat, targets: chatTargetsFrom('arn:a, arn:b', channels) });
    for (const sample of SAMPLES) await notifier.publish(sample.render(sampleContext()));
    expect(main.sent).toHaveLength(SAMPLES.length);
    const expected = SAMPLES.flatMap((s) => [
      ...(['budget', 'forecast'].includes(s.kind) ? [`arn:a ${s.kind}/${s.severity}`] : []),
      ...(s.severity === 'critical' ? [`arn:b ${s.kind}/${s.severity}`] : []),
    ]);
    expect(chat.sent).toEqual(expected);
  });

  it('refuses a CHAT_TOPIC_ARNS that does not match the chat list', () => {
    expect(() => chatTargetsFrom('arn:a', channels)).toThrow(/names 1 topic\(s\) but the config lists 2/);
    expect(chatTargetsFrom(undefined, channels)).toEqual([]);
  });
});

/** A ledger in memory with the same protocol as DynamoStore's: claims rewrite the item. */
class MemoryLedger
  implements Pick<StorePort, 'claimAlert' | 'markAlertSent' | 'recordCovered' | 'recordDelivered'>
{
  readonly items = new Map<string, { state: string; message: Message; delivered: string[] }>();
  async claimAlert(input: { key: string; message: Message }) {
    const item = this.items.get(input.key);
    if (item?.state === 'sent') return 'sent' as const;
    this.items.set(input.key, { state: 'pending', message: input.message, delivered: [] });
    return 'claimed' as const;
  }
  async markAlertSent(input: { key: string }) {
    const item = this.items.get(input.key);
    if (item) this.items.set(input.key, { ...item, state: 'sent', delivered: [] });
  }
  async recordCovered() {}
  async recordDelivered(input: { key: string; destinations: readonly string[] }) {
    const item = this.items.get(input.key);
    if (item?.state === 'pending') item.delivered = [...new Set([...item.delivered, ...input.destinations])];
  }
  pending(): PendingAlert[] {
    return [...this.items]
      .filter(([, i]) => i.state === 'pending')
      .map(([key, i]) => ({ key, message: i.message, delivered: i.delivered }));
  }
}

describe('a partial delivery', () => {
  it('stays pending, records what was reached, and the retry sends only the rest', async () => {
    // Prepare: the budget channel's topic is down.
    const ledger = new MemoryLedger();
    const main = new RecordingMain();
    const chat = new RecordingChat();
    chat.failing.add('arn:a');
    const notifier = new FanoutNotifier({ main, chat, targets: chatTargetsFrom('arn:a,arn:b', channels) });
    const message = SAMPLES.find((s) => s.kind === 'budget' && s.severity === 'critical')?.render(
      sampleContext(),
    );
    if (!message) throw new Error('no critical budget sample');
    const alert = {
      kind: 'budget' as const,
      rule: message.attributes.rule,
      period: String(message.json.period),
      level: String(message.json.level),
      severity: message.attributes.severity,
      covers: [],
      message,
    };
    const deps = {
      store: ledger as unknown as StorePort,
      notifier,
      wall: () => new Date('2026-11-22T09:30:00Z'),
      log: silentLogger,
    };

    // Act: first run.
    const [first] = await deliver('studio', [alert], [], deps);

    // Assess: alerts topic and the critical channel reached, the budget channel not; still pending.
    expect(first?.outcome).toBe('failed');
    expect(first?.error).toMatch(/chat-1/);
    expect(main.sent).toHaveLength(1);
    expect(chat.sent).toEqual(['arn:b budget/critical']);
    expect(ledger.pending()[0]?.delivered?.toSorted()).toEqual(['alerts', 'chat-2']);

    // Act: the topic is back; the next run retries the pending alert.
    chat.failing.clear();
    const [second] = await deliver('studio', [alert], ledger.pending(), deps);

    // Assess: only the budget channel is sent; the alert is marked sent.
    expect(second?.outcome).toBe('sent');
    expect(second?.redelivery).toBe(true);
    expect(main.sent).toHaveLength(1);
    expect(chat.sent).toEqual(['arn:b budget/critical', 'arn:a budget/critical']);
    expect(ledger.pending()).toEqual([]);
  });

  it('rethrows the publisher error when the only destination fails', async () => {
    const failingMain: NotifierPort = {
      publish: async () => {
        throw new Error('SNS is down');
      },
    };
    const notifier = new FanoutNotifier({ main: failingMain, chat: new RecordingChat(), targets: [] });
    const message = SAMPLES[0]?.render(sampleContext()) as Message;
    await expect(notifier.publish(message)).rejects.toThrow('SNS is down');
    await expect(notifier.publish(message)).rejects.not.toBeInstanceOf(PartialDeliveryError);
  });
});
