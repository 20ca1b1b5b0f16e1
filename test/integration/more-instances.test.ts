/**
 * Further instances of the classes of failure the trust work fixed, beyond the examples the suite was built
 * from: other names that are Object.prototype members or collide once encoded, other suspicious Runway
 * answers, and other back-dated clocks. Each goes through the real cycle: the Runway SDK against the
 * simulator, DynamoStore on dynalite.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.ts';
import { addDays } from '../../functions/domain/dates.ts';
import { publishedBytes, SNS_MAX_MESSAGE_BYTES } from '../../functions/domain/message-size.ts';
import { runOrgCycle } from '../../functions/guard/cycle.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import { useTestDynamo } from '../helpers/dynamo.ts';
import { MemoryNotifier } from '../helpers/faults.ts';
import {
  expectEveryNameKept,
  NAMES_NOW as NOW,
  setUpModelNames,
  NAMES_TODAY as TODAY,
} from '../helpers/model-names.ts';
import { simulatorTarget, uniqueApiKey, useRunwaySimulator } from '../helpers/runway.ts';

/** Names not in the original list: more prototype members, a bare `%`, separators, the anomaly scope prefix. */
const MORE_NAMES = [
  'valueOf',
  'isPrototypeOf',
  '__defineGetter__',
  '%',
  'a/b#c',
  'x#y',
  'x%23y',
  'model:total',
];

const simulator = useRunwaySimulator({ now: () => NOW });
const dynamo = useTestDynamo();

/** `names` in use (see `setUpModelNames`), no budgets, messages kept in memory; `items()` leaves out the ledger. */
async function setUp(names: readonly string[]) {
  const config = parseConfig(
    {
      organizations: [{ id: 'acme', name: 'Acme Films', apiKeySecretName: 'runway/acme' }],
      digest: { hourUtc: 23 },
    },
    'test',
  );
  const cycle = await setUpModelNames({
    simulator: simulator(),
    dynamo: dynamo(),
    names,
    config,
    keyLabel: 'more',
  });
  const notifier = new MemoryNotifier();
  const run = (now = NOW) => cycle.run(notifier, now);
  const items = async () => (await cycle.items()).filter((item) => !String(item.sk).startsWith('ALERT#'));
  return { ...cycle, run, items, notifier };
}

describe('more model names are data', () => {
  it('each gets its own alert key, usage and snapshot entry; a re-run sends nothing', async () => {
    const h = await setUp(MORE_NAMES);
    await expectEveryNameKept(h, await h.run(), MORE_NAMES);

    const again = await h.run(new Date(NOW.getTime() + 60_000));
    expect(again.notifications.filter((n) => n.outcome === 'sent')).toEqual([]);
  });
});

describe('more suspicious answers are refused, and history is kept', () => {
  async function refused(body: unknown) {
    const h = await setUp(['gen4.5']);
    await h.run();
    const before = await h.items();
    simulator().setFault({ kind: 'body', apiKey: h.apiKey, endpoint: 'usage', body });
    try {
      const result = await h.run(new Date(NOW.getTime() + 3_600_000));
      return { result, before, after: await h.items() };
    } finally {
      simulator().setFault(undefined);
    }
  }

  it('a stored day with spend listed with no usage at all', async () => {
    const day = addDays(TODAY, -3);
    const results = [];
    for (let d = addDays(TODAY, -30); d <= TODAY; d = addDays(d, 1)) {
      results.push({ date: d, usedCredits: d === day ? [] : [{ model: 'gen4.5', amount: 10 }] });
    }
    const { result, before, after } = await refused({ results });
    expect(result.ok).toBe(false);
    expect(result.notifications.map((n) => `${n.kind}:${n.message.attributes.rule}`)).toEqual([
      'guard-error:runway-data',
    ]);
    expect(after).toEqual(before);
  });

  it('a usage amount past 2^53', async () => {
    const { result, before, after } = await refused({
      results: [{ date: TODAY, usedCredits: [{ model: 'gen4.5', amount: 2 ** 53 + 2 }] }],
    });
    expect(result.ok).toBe(false);
    expect(result.error?.name).toBe('RunwayInvalidResponseError');
    expect(after).toEqual(before);
  });
});

describe('more back-dated clocks are read-only', () => {
  it('one second before the last run, and an hour before a run stamped in the future', async () => {
    const h = await setUp(['gen4.5']);
    await h.run();
    const before = await h.items();
    const second = await h.run(new Date(NOW.getTime() - 1_000));
    expect(second.readOnly?.reason).toMatch(/earlier than/);
    expect(await h.items()).toEqual(before);

    const future = new Date(NOW.getTime() + 5 * 86_400_000);
    await h.run(future);
    const afterFuture = await h.items();
    const published = h.notifier.messages.length;
    const back = await h.run(new Date(future.getTime() - 3_600_000));
    expect(back.readOnly).toBeDefined();
    expect(back.writeRequests).toBe(0);
    expect(await h.items()).toEqual(afterFuture);
    expect(h.notifier.messages).toHaveLength(published);
  });
});

describe('another limit: a configuration of 300 budgets', () => {
  it('every message of the run, the digest with its budget table included, fits SNS', async () => {
    const apiKey = uniqueApiKey('budgets');
    const usage: Record<string, Record<string, number>> = Object.create(null);
    for (let back = 39; back >= 0; back--) usage[addDays(TODAY, -back)] = { 'gen4.5': 1000 };
    simulator().addOrganization(
      createSimulatedOrganization({
        apiKey,
        creditBalance: 10_000_000,
        maxMonthlyCreditSpend: 100_000_000,
        usage,
      }),
    );
    const { store } = await dynamo().newStore();
    const budgets = Array.from({ length: 300 }, (_, i) => ({
      id: `budget-${String(i).padStart(3, '0')}-${'b'.repeat(28)}`,
      period: 'month',
      model: 'gen4.5',
      limit: { credits: 1000 + i },
      thresholds: [50, 80, 100],
    }));
    const config = parseConfig(
      {
        organizations: [{ id: 'acme', name: 'Acme Films 🎬 ✨', apiKeySecretName: 'runway/acme', budgets }],
        digest: { hourUtc: 8 },
      },
      'test',
    );
    const org = config.organizations[0];
    if (!org) throw new Error('no organization');
    const notifier = new MemoryNotifier();
    const result = await runOrgCycle(simulatorTarget(org, apiKey, simulator().url), {
      config,
      store,
      notifier,
      now: () => NOW,
    });
    expect(result.error).toBeUndefined();
    expect(notifier.messages.some((m) => m.attributes.kind === 'digest')).toBe(true);
    expect(notifier.messages.filter((m) => m.attributes.kind === 'budget')).toHaveLength(300);
    for (const message of notifier.messages) {
      expect(publishedBytes(message), message.subject).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
      expect([...message.subject].length, message.subject).toBeLessThanOrEqual(100);
      expect(message.subject.startsWith('Acme Films'), message.subject).toBe(true);
    }
    const digest = notifier.messages.find((m) => m.attributes.kind === 'digest');
    expect(digest?.text).toMatch(/and \d+ more/);
  });
});
