/**
 * The budget state pipelines enforce, with real components: cycles through the Runway simulator and dynalite
 * write the state parameter once per change (a recording publisher stands in for SSM, which has no local
 * server here), and `budget-guard gate` reads the state from the table, or from SSM (aws-sdk-client-mock),
 * through ok, warn, stop, stale and missing.
 */
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { runGate } from '../../functions/cli/gate.ts';
import { UsageError } from '../../functions/cli/wiring.ts';
import { type ConfigInput, parseConfig } from '../../functions/config.ts';
import { addDays, utcDate } from '../../functions/domain/dates.ts';
import type {
  Message,
  NotifierPort,
  StateParameterValue,
  StatePublisherPort,
} from '../../functions/domain/types.ts';
import { runOrgCycle } from '../../functions/guard/cycle.ts';
import { createSimulatedOrganization } from '../../functions/simulator/organization.ts';
import { useTestDynamo } from '../helpers/dynamo.ts';
import { simulatorTarget, uniqueApiKey, useRunwaySimulator } from '../helpers/runway.ts';

const NOW = new Date('2026-11-20T10:00:00Z');
const TODAY = utcDate(NOW);
const simulator = useRunwaySimulator({ now: () => NOW });
// The command builds its own clients from the environment, as the CLI does.
const dynamo = useTestDynamo({ stubEndpoint: true });

class Notifier implements NotifierPort {
  async publish(_message: Message): Promise<string> {
    return 'id';
  }
}

/** Records every write; `failing` makes the next writes throw. */
class RecordingPublisher implements StatePublisherPort {
  readonly writes: { orgId: string; value: StateParameterValue }[] = [];
  failing = false;
  async write(orgId: string, value: StateParameterValue): Promise<void> {
    if (this.failing) throw new Error('AccessDeniedException: not allowed (test)');
    this.writes.push({ orgId, value });
  }
}

/** 1 000 credits a day; today (Nov 20) 500 so far: the month is at 19 500 credits. */
function addOrganization(): string {
  const apiKey = uniqueApiKey('gate');
  const usage: Record<string, Record<string, number>> = {};
  for (let back = 95; back >= 1; back--) usage[addDays(TODAY, -back)] = { 'gen4.5': 1000 };
  usage[TODAY] = { 'gen4.5': 500 };
  simulator().addOrganization(
    createSimulatedOrganization({ apiKey, creditBalance: 500_000, maxMonthlyCreditSpend: 10_000_000, usage }),
  );
  return apiKey;
}

function configWith(limit: number, extra: Partial<ConfigInput> = {}) {
  return {
    organizations: [
      {
        id: 'acme',
        name: 'Acme Films',
        apiKeySecretName: 'runway/acme',
        budgets: [
          { id: 'monthly', period: 'month', limit: { credits: limit }, thresholds: [50, 80], stopAt: 100 },
        ],
      },
    ],
    digest: { hourUtc: 23 },
    ...extra,
  } satisfies ConfigInput;
}

async function harness() {
  const apiKey = addOrganization();
  const { tableName, store } = await dynamo().newStore();
  const publisher = new RecordingPublisher();
  const run = (limit: number, now: Date) => {
    const config = parseConfig(configWith(limit), 'test');
    const org = config.organizations[0];
    if (!org) throw new Error('no organization');
    return runOrgCycle(simulatorTarget(org, apiKey, simulator().url, 'test'), {
      config,
      store,
      notifier: new Notifier(),
      statePublisher: publisher,
      now: () => now,
    });
  };
  return { store, publisher, run, tableName };
}

const hoursLater = (h: number) => new Date(NOW.getTime() + h * 3_600_000);

describe('the state parameter, across runs', () => {
  it('is written once per change, not once per run, and a failed write is retried by the next run', async () => {
    const h = await harness();

    // ok (19 500 of 100 000): the first run writes it; the next runs do not.
    expect((await h.run(100_000, NOW)).status?.state).toBe('ok');
    await h.run(100_000, hoursLater(1));
    await h.run(100_000, hoursLater(2));
    expect(h.publisher.writes.map((w) => w.value.state)).toEqual(['ok']);

    // The limit drops to 19 000: past stopAt 100%, the state is stop, written once.
    const stopped = await h.run(19_000, hoursLater(3));
    expect(stopped.status).toMatchObject({ state: 'stop', stopBudget: 'monthly' });
    expect(stopped.status?.reasons[0]).toMatch(/^budget monthly at 102%, past its stop line of 100%/);
    await h.run(19_000, hoursLater(4));
    expect(h.publisher.writes.map((w) => w.value.state)).toEqual(['ok', 'stop']);
    expect(h.publisher.writes[1]?.value).toMatchObject({
      budget: 'monthly',
      updatedAt: hoursLater(3).toISOString(),
    });

    // Raised again, but the write fails: the run fails, and the next run writes it.
    h.publisher.failing = true;
    const failed = await h.run(100_000, hoursLater(5));
    expect(failed.ok).toBe(false);
    expect(failed.error?.message).toMatch(/writing the state parameter failed: AccessDeniedException/);
    h.publisher.failing = false;
    await h.run(100_000, hoursLater(5.5));
    expect(h.publisher.writes.map((w) => w.value.state)).toEqual(['ok', 'stop', 'ok']);

    // An unchanged state is rewritten only once the refresh interval has passed, keeping when it began.
    await h.run(100_000, hoursLater(11.6));
    expect(h.publisher.writes).toHaveLength(4);
    expect(h.publisher.writes[3]?.value).toMatchObject({
      state: 'ok',
      updatedAt: hoursLater(5.5).toISOString(),
      refreshedAt: hoursLater(11.6).toISOString(),
    });
  });
});

describe('budget-guard gate', () => {
  const ssm = mockClient(SSMClient);
  afterEach(() => ssm.reset());

  async function gate(
    tableName: string,
    args: { now: Date; maxAgeMs?: number; fromParameter?: boolean; prefix?: string },
  ) {
    let out = '';
    const code = await runGate(
      {
        orgId: 'acme',
        now: args.now,
        maxAgeMs: args.maxAgeMs,
        fromParameter: args.fromParameter === true,
        json: false,
        demo: false,
      },
      {
        env: {
          TABLE_NAME: tableName,
          BUDGET_GUARD_CONFIG: JSON.stringify(configWith(19_000)),
          STATE_PARAMETER_PREFIX: args.prefix ?? '/RunwayBudgetGuard/state/',
        },
        cwd: '/nonexistent',
        stdout: (t) => {
          out += t;
        },
        stderr: (t) => {
          out += t;
        },
      },
    );
    return { code, out };
  }

  it('holds when no state is stored yet', async () => {
    const h = await harness();
    const { code, out } = await gate(h.tableName, { now: NOW });
    expect(code).toBe(1);
    expect(out).toMatch(/^HOLD: Acme Films \(acme\): no state is stored for this organization/);
  });

  it('goes on ok and warn, holds on stop, and holds when the state is too old', async () => {
    const h = await harness();
    await h.run(100_000, NOW);
    expect(await gate(h.tableName, { now: hoursLater(1) })).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^GO: .* is ok/),
    });

    await h.run(24_000, hoursLater(1)); // 80% (warn)
    expect(await gate(h.tableName, { now: hoursLater(1.5) })).toMatchObject({
      code: 0,
      out: expect.stringMatching(/is warn/),
    });

    await h.run(19_000, hoursLater(2)); // stop
    const stop = await gate(h.tableName, { now: hoursLater(2.5) });
    expect(stop.code).toBe(1);
    expect(stop.out).toMatch(/HOLD: .*the state is stop/);
    expect(stop.out).toMatch(/- budget monthly at 102%, past its stop line of 100%/);

    // The default max age is two schedule periods (2 h for rate(1 hour)); --max-age overrides it.
    expect((await gate(h.tableName, { now: hoursLater(4.5) })).out).toMatch(/older than the allowed 2 hours/);
    expect((await gate(h.tableName, { now: hoursLater(2.5), maxAgeMs: 60_000 })).out).toMatch(
      /older than the allowed 1 minute/,
    );
  });

  it('reads the SSM parameter with --from-parameter, for a role that may read only that', async () => {
    const value: StateParameterValue = {
      state: 'stop',
      reasons: ['budget monthly at 102%, past its stop line of 100%'],
      updatedAt: NOW.toISOString(),
      refreshedAt: NOW.toISOString(),
      budget: 'monthly',
    };
    ssm.on(GetParameterCommand, { Name: '/RunwayBudgetGuard/state/acme' }).resolves({
      Parameter: { Value: JSON.stringify(value) },
    });
    const held = await gate('unused', { now: hoursLater(1), fromParameter: true });
    expect(held.code).toBe(1);
    expect(held.out).toMatch(/State read from SSM parameter \/RunwayBudgetGuard\/state\/acme/);

    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ ...value, state: 'ok' }) } });
    expect((await gate('unused', { now: hoursLater(1), fromParameter: true })).code).toBe(0);
    // An unchanged state is refreshed every 6 hours, so the default allows 2 schedule periods + 6 h.
    expect((await gate('unused', { now: hoursLater(7.9), fromParameter: true })).code).toBe(0);
    expect((await gate('unused', { now: hoursLater(8.1), fromParameter: true })).code).toBe(1);

    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    expect((await gate('unused', { now: NOW, fromParameter: true })).out).toMatch(/no state is stored/);
  });

  it.each(['RunwayBudgetGuard/state', '/RunwayBudgetGuard/state'])(
    'refuses a malformed STATE_PARAMETER_PREFIX (%s) as a usage error (exit 2), never as HOLD',
    async (prefix) => {
      const refused = gate('unused', { now: NOW, fromParameter: true, prefix });
      await expect(refused).rejects.toThrow(UsageError);
      await expect(refused).rejects.toThrow(
        /^STATE_PARAMETER_PREFIX: The state parameter prefix must start and end with "\/".*StateParameterPrefix$/,
      );
    },
  );
});
