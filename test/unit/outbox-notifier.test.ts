import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OutboxEntry, OutboxNotifier } from '../../functions/adapters/outbox-notifier.ts';
import { chatCardOf } from '../../functions/domain/alerts/chat.ts';
import type { Message } from '../../functions/domain/types.ts';

const MESSAGE: Message = {
  subject: 'Studio: monthly-total at 80% — $400.12 of $500.00',
  text: 'Studio production spent $400.12 of its $500.00 monthly budget (80%).\nPeriod: 2026-11 (UTC).',
  json: { kind: 'budget', rule: 'monthly-total', period: '2026-11', level: '80', spentUsd: 400.12 },
  attributes: { kind: 'budget', severity: 'warning', org: 'studio', rule: 'monthly-total' },
};

describe('OutboxNotifier.publish', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'budget-guard-outbox-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function newNotifier(outboxPath: string, printed: string[]): OutboxNotifier {
    let n = 0;
    return new OutboxNotifier({
      outboxPath,
      write: (text) => printed.push(text),
      clock: () => new Date('2026-11-22T08:15:00.000Z'),
      idFactory: () => `outbox-${++n}`,
    });
  }

  it('prints the notification readably and appends it as one JSON line, creating the directory', async () => {
    // Prepare
    const outboxPath = join(dir, '.budget-guard', 'outbox.jsonl');
    const printed: string[] = [];
    const notifier = newNotifier(outboxPath, printed);

    // Act
    const id = await notifier.publish(MESSAGE);

    // Assess
    expect(id).toBe('outbox-1');
    expect(printed.join('')).toBe(
      [
        '[WARNING] budget · Studio: monthly-total at 80% — $400.12 of $500.00',
        '  │ Studio production spent $400.12 of its $500.00 monthly budget (80%).',
        '  │ Period: 2026-11 (UTC).',
        '',
        '',
      ].join('\n'),
    );
    const lines = (await readFile(outboxPath, 'utf8')).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    const entry = JSON.parse(lines[0] ?? '') as OutboxEntry;
    expect(entry).toEqual({
      id: 'outbox-1',
      publishedAt: '2026-11-22T08:15:00.000Z',
      subject: MESSAGE.subject,
      attributes: MESSAGE.attributes,
      text: MESSAGE.text,
      json: MESSAGE.json,
      chat: chatCardOf(MESSAGE),
    });
    // A message without a rendered card (stored before chat existed) still records a valid one.
    expect(entry.chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: MESSAGE.subject,
        keywords: ['budget', 'warning', 'studio'],
      },
      metadata: { threadId: 'runway-budget-guard/studio/budget/monthly-total/2026-11' },
    });
  });

  it('appends to an existing outbox and never truncates it', async () => {
    // Prepare
    const outboxPath = join(dir, 'outbox.jsonl');
    const printed: string[] = [];
    await newNotifier(outboxPath, printed).publish(MESSAGE);
    const second = newNotifier(outboxPath, printed);

    // Act
    await second.publish({ ...MESSAGE, subject: 'Studio: tier cap at 95%' });
    await second.publish({ ...MESSAGE, subject: 'Studio: tier cap at 100%' });

    // Assess
    const entries = (await readFile(outboxPath, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as OutboxEntry);
    expect(entries.map((e) => e.subject)).toEqual([
      MESSAGE.subject,
      'Studio: tier cap at 95%',
      'Studio: tier cap at 100%',
    ]);
    expect(printed).toHaveLength(3);
  });

  it('returns a unique outbox-<uuid> id by default', async () => {
    // Prepare
    const notifier = new OutboxNotifier({ outboxPath: join(dir, 'outbox.jsonl'), write: () => {} });

    // Act
    const ids = [await notifier.publish(MESSAGE), await notifier.publish(MESSAGE)];

    // Assess
    for (const id of ids)
      expect(id).toMatch(/^outbox-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('fails, printing nothing, when the outbox cannot be written', async () => {
    // Prepare: the outbox's parent is a file, so the directory cannot be created.
    const printed: string[] = [];
    await newNotifier(join(dir, 'blocker'), printed).publish(MESSAGE);
    printed.length = 0;
    const notifier = newNotifier(join(dir, 'blocker', 'outbox.jsonl'), printed);

    // Act
    const publishing = notifier.publish(MESSAGE);

    // Assess
    await expect(publishing).rejects.toThrow();
    expect(printed).toEqual([]);
  });
});
