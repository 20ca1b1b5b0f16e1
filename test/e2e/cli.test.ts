/**
 * `budget-guard` end to end: the real command in a child process, in a temporary working directory.
 * - The default demo (no key, no table, no topic) twice: the second run sends nothing.
 * - `check --config F --now T --json` against servers the project did not write (dynalite, fauxqs) and the
 *   simulator over HTTP: the documented items, one SNS message per alert with its four attributes, nothing twice.
 * - Bad input: exit 2 for arguments and config, exit 1 with a guard-error for a rejected key, exit 1 and
 *   nothing stored for malformed JSON from Runway.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoConfig, createDemoOrganization, DEMO_API_KEY } from '../../functions/simulator/demo.ts';
import { type RunwaySimulator, startRunwaySimulator } from '../../functions/simulator/server.ts';
import { type CliResult, expectPrinted, runCli, tempWorkdir } from '../helpers/cli.ts';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo.ts';
import { uniqueApiKey } from '../helpers/runway.ts';
import { type SnsTestServer, startSnsTestServer } from '../helpers/sns.ts';

const NOW = '2026-11-25T09:30:00Z';
const TODAY = NOW.slice(0, 10);

let work: Awaited<ReturnType<typeof tempWorkdir>>;
let configPath: string;
beforeAll(async () => {
  work = await tempWorkdir();
  configPath = join(work.dir, 'budget-guard.json');
  await writeFile(configPath, JSON.stringify(createDemoConfig(), null, 2));
});
afterAll(async () => {
  await work?.remove();
});

interface CheckJson {
  ok: boolean;
  simulated: boolean;
  results: {
    orgId: string;
    ok: boolean;
    error?: { name: string; message: string };
    notifications: {
      key: string;
      kind: string;
      severity: string;
      subject: string;
      outcome: string;
      messageId?: string;
      message: { attributes: Record<string, string> };
    }[];
  }[];
}

function parseJson(result: CliResult): CheckJson {
  try {
    return JSON.parse(result.stdout) as CheckJson;
  } catch {
    throw new Error(
      `stdout is not one JSON object (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean);
}

describe('the default demo, twice', () => {
  it('prints the overview and the alerts, then sends nothing the second time', async () => {
    const { dir, remove } = await tempWorkdir('budget-guard-demo');
    try {
      const first = await runCli(['check', '--now', NOW], { cwd: dir });
      expectPrinted(first, [
        'SIMULATED DATA',
        'Config         the built-in demo config',
        'Balance ',
        'Tier cap ',
        'Models (Runway daily window)',
        'Recent usage',
        'Budgets',
        'monthly-total',
        'veo-daily',
        'Notifications as delivered',
      ]);
      const sent = Number(/Notifications: (\d+) sent/.exec(first.stdout)?.[1]);
      expect(sent).toBeGreaterThanOrEqual(3);
      expect(first.stdout).not.toMatch(/undefined|NaN/);
      // Demo mode keeps its outbox (and store) in a directory of its own.
      const outbox = join(dir, '.budget-guard', 'demo', 'outbox.jsonl');
      expect(await lines(outbox)).toHaveLength(sent);
      await expect(readFile(join(dir, '.budget-guard', 'outbox.jsonl'))).rejects.toMatchObject({
        code: 'ENOENT',
      });

      const second = await runCli(['check', '--now', NOW], { cwd: dir });
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('Notifications: 0 sent');
      expect(second.stdout).not.toContain('Notifications as delivered');
      expect(await lines(outbox)).toHaveLength(sent);
    } finally {
      await remove();
    }
  });
});

describe('against a simulator, dynalite and fauxqs over HTTP', () => {
  let simulator: RunwaySimulator;
  let dynamo: TestDynamo;
  let sns: SnsTestServer;
  const malformedKey = uniqueApiKey('malformed');

  beforeAll(async () => {
    const now = new Date(NOW);
    [simulator, dynamo, sns] = await Promise.all([
      startRunwaySimulator({
        now: () => now,
        organizations: [
          createDemoOrganization({ now }),
          createDemoOrganization({ apiKey: malformedKey, now }),
        ],
      }),
      startTestDynamo(),
      startSnsTestServer(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([simulator?.close(), dynamo?.close(), sns?.stop()]);
  });

  async function awsEnv(topicArn?: string) {
    const tableName = await dynamo.newTable();
    const env: Record<string, string> = {
      RUNWAYML_BASE_URL: simulator.url,
      RUNWAYML_API_SECRET: DEMO_API_KEY,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      TABLE_NAME: tableName,
      ...(topicArn ? { AWS_ENDPOINT_URL_SNS: sns.endpoint, TOPIC_ARN: topicArn } : {}),
    };
    const items = async () => {
      const { Items = [] } = await dynamo.client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'ORG#studio' },
        }),
      );
      return new Map(Items.map((item) => [String(item.sk), item]));
    };
    return { env, items };
  }

  /** `awsEnv` with a new topic that a queue is subscribed to. */
  async function awsEnvWithTopic() {
    const topicArn = await sns.createTopic();
    const queue = await sns.subscribeQueue({ topicArn });
    return { ...(await awsEnv(topicArn)), topicArn, queue };
  }

  it('check --json stores the documented items and publishes one SNS message per alert, once', async () => {
    const { env, items, queue } = await awsEnvWithTopic();
    const args = ['check', '--config', configPath, '--now', NOW, '--json'];

    const first = await runCli(args, { cwd: work.dir, env });
    expect(first.code, first.stderr).toBe(0);
    const output = parseJson(first);
    expect(output).toMatchObject({ ok: true, simulated: false });
    const notifications = output.results[0]?.notifications ?? [];
    expect(notifications.length).toBeGreaterThanOrEqual(3);
    expect(notifications.every((n) => n.outcome === 'sent')).toBe(true);

    const stored = await items();
    expect(stored.get(`SNAPSHOT#${TODAY}`)).toMatchObject({
      orgId: 'studio',
      date: TODAY,
      fetchedAt: new Date(NOW).toISOString(),
      creditBalance: expect.any(Number),
      maxMonthlyCreditSpend: 200_000,
      // A list of entries: model names are data, not map keys.
      models: expect.arrayContaining([
        {
          name: 'veo3.1',
          maxConcurrentGenerations: 5,
          maxDailyGenerations: 1000,
          dailyGenerations: expect.any(Number),
        },
        {
          name: 'magnific_precision_upscaler_v2',
          maxConcurrentGenerations: null,
          maxDailyGenerations: null,
          dailyGenerations: expect.any(Number),
        },
      ]),
      monthToDateCredits: expect.any(Number),
      rolling30dCredits: expect.any(Number),
      forecastMonthCredits: expect.any(Number),
    });
    const usage = [...stored.keys()].filter((sk) => sk.startsWith('USAGE#'));
    expect(usage).toHaveLength(60);
    expect(stored.get(`USAGE#${TODAY}`)).toMatchObject({
      date: TODAY,
      credits: expect.any(Object),
      totalCredits: expect.any(Number),
      fetchedAt: expect.any(String),
    });
    expect(stored.get('STATUS')).toMatchObject({
      state: expect.stringMatching(/^(ok|warn|critical)$/),
      reasons: expect.any(Array),
      updatedAt: new Date(NOW).toISOString(),
    });
    for (const n of notifications) {
      expect(stored.get(`ALERT#${n.key}`), n.key).toMatchObject({
        state: 'sent',
        messageId: n.messageId,
        sentAt: expect.any(String),
        expiresAt: expect.any(Number),
      });
    }

    const received = await queue.receive({ count: notifications.length });
    expect(received).toHaveLength(notifications.length);
    for (const n of notifications) {
      const message = received.find((r) => r.messageId === n.messageId);
      expect(message?.subject, n.key).toBe(n.subject);
      expect(message?.subject?.length).toBeLessThanOrEqual(100);
      expect(message?.messageAttributes).toEqual({
        kind: { Type: 'String', Value: n.kind },
        severity: { Type: 'String', Value: n.severity },
        org: { Type: 'String', Value: 'studio' },
        rule: { Type: 'String', Value: n.message.attributes.rule },
      });
    }

    const second = await runCli(args, { cwd: work.dir, env });
    expect(second.code, second.stderr).toBe(0);
    const again = parseJson(second).results[0]?.notifications ?? [];
    expect(again.map((n) => n.outcome)).toEqual(notifications.map(() => 'duplicate'));
    expect(await queue.receive({ count: 0 })).toEqual([]);
  });

  it('demo mode never opens TABLE_NAME or TOPIC_ARN: check, backfill and history, without a key or with --demo', async () => {
    const { dir, remove } = await tempWorkdir('budget-guard-demo-aws');
    try {
      const { env, items, topicArn, queue } = await awsEnvWithTopic();
      const { RUNWAYML_API_SECRET: _key, RUNWAYML_BASE_URL: _url, ...noKey } = env;
      const runs = [
        await runCli(['check', '--now', NOW, '--json'], { cwd: dir, env: noKey }),
        await runCli(['check', '--demo', '--now', NOW], { cwd: dir, env }),
        await runCli(['backfill', '--days', '30'], { cwd: dir, env: noKey }),
        await runCli(['backfill', '--demo', '--days', '30'], { cwd: dir, env }),
        await runCli(['history', '--demo', '--to', TODAY, '--format', 'json'], { cwd: dir, env }),
      ];
      for (const run of runs) expect(run.code, run.stderr).toBe(0);
      const [json, text, , , history] = runs;
      const output = JSON.parse(json?.stdout ?? '') as CheckJson & { store: string; notifier: string };
      expect(output.simulated).toBe(true);
      expect(
        output.results[0]?.notifications.filter((n) => n.outcome === 'sent').length,
      ).toBeGreaterThanOrEqual(3);
      expect(output.store).toContain(`TABLE_NAME ${env.TABLE_NAME} is not used in demo mode`);
      expect(output.notifier).toContain(`TOPIC_ARN ${topicArn} is not used`);
      expect(text?.stdout).toContain('TABLE_NAME and TOPIC_ARN are never used in demo mode');
      // The demo's history is there, in the demo store.
      expect(
        (JSON.parse(history?.stdout ?? '') as { totals: { daysWithUsage: number } }).totals.daysWithUsage,
      ).toBe(30);
      expect(history?.stderr).toContain(
        'reading the simulated history in the demo store .budget-guard/demo/dynamo',
      );

      expect([...(await items()).keys()]).toEqual([]);
      expect(await queue.receive({ count: 0 })).toEqual([]);
      expect(await lines(join(dir, '.budget-guard', 'demo', 'outbox.jsonl'))).not.toHaveLength(0);
    } finally {
      await remove();
    }
  });

  it('a real check after the demo in the same folder sends its first alerts', async () => {
    const { dir, remove } = await tempWorkdir('budget-guard-demo-then-real');
    try {
      // The quick start: the demo, organization "studio", in this folder.
      const demo = await runCli(['check', '--now', NOW, '--json'], { cwd: dir });
      expect(demo.code, demo.stderr).toBe(0);
      const demoSent = parseJson(demo).results[0]?.notifications.filter((n) => n.outcome === 'sent') ?? [];
      expect(demoSent.length).toBeGreaterThanOrEqual(3);

      // Then a real check of an organization also called "studio", with the same alerts due, in the same folder.
      const { env } = await awsEnv();
      const { TABLE_NAME: _table, ...local } = env;
      const real = await runCli(['check', '--config', configPath, '--now', NOW, '--json'], {
        cwd: dir,
        env: local,
      });
      expect(real.code, real.stderr).toBe(0);
      const output = parseJson(real);
      expect(output.simulated).toBe(false);
      const outcomes = output.results[0]?.notifications.map((n) => [n.key, n.outcome]) ?? [];
      expect(outcomes).toEqual(demoSent.map((n) => [n.key, 'sent']));
      expect(await lines(join(dir, '.budget-guard', 'outbox.jsonl'))).toHaveLength(demoSent.length);
    } finally {
      await remove();
    }
  });

  it('check --now earlier than the last stored run: exit 0, read-only, says so, writes and publishes nothing', async () => {
    const { dir, remove } = await tempWorkdir('budget-guard-backdated');
    try {
      const { env, items, queue } = await awsEnvWithTopic();
      const first = await runCli(['check', '--config', configPath, '--now', NOW, '--json'], {
        cwd: dir,
        env,
      });
      expect(first.code, first.stderr).toBe(0);
      const sent = parseJson(first).results[0]?.notifications.length ?? 0;
      expect(await queue.receive({ count: sent })).toHaveLength(sent);
      const before = await items();

      const earlier = '2026-11-20T09:30:00Z';
      const json = await runCli(['check', '--config', configPath, '--now', earlier, '--json'], {
        cwd: dir,
        env,
      });
      const text = await runCli(['check', '--config', configPath, '--now', earlier], { cwd: dir, env });

      expect(json.code, json.stderr).toBe(0);
      const [org] = (
        JSON.parse(json.stdout) as { results: { readOnly?: { reason: string }; notifications: [] }[] }
      ).results;
      expect(org?.readOnly?.reason).toContain(
        'is earlier than the last successful run (2026-11-25T09:30:00.000Z)',
      );
      expect(org?.notifications).toEqual([]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('READ-ONLY RUN: the clock (2026-11-20T09:30:00.000Z) is earlier than');
      expect(text.stdout).toContain('Stored: nothing (read-only run)');
      expect(await items()).toEqual(before);
      expect(await queue.receive({ count: 0 })).toEqual([]);
    } finally {
      await remove();
    }
  });

  it('a rejected key: exit 1 and a guard-error notification', async () => {
    const { dir, remove } = await tempWorkdir('budget-guard-401');
    try {
      const { env, items } = await awsEnv();
      const wrongKey = uniqueApiKey('wrong');
      const result = await runCli(['check', '--config', configPath, '--now', NOW, '--json'], {
        cwd: dir,
        env: { ...env, RUNWAYML_API_SECRET: wrongKey },
      });
      expect(result.code).toBe(1);
      const [org] = parseJson(result).results;
      expect(org?.error?.name).toBe('RunwayAuthError');
      expect(org?.notifications.map((n) => [n.kind, n.message.attributes.rule, n.outcome])).toEqual([
        ['guard-error', 'runway-auth', 'sent'],
      ]);
      const outbox = (await lines(join(dir, '.budget-guard', 'outbox.jsonl'))).map(
        (line) => JSON.parse(line) as { attributes: Record<string, string>; text: string },
      );
      expect(outbox.map((e) => e.attributes.kind)).toEqual(['guard-error']);
      expect(result.stdout + result.stderr + (outbox[0]?.text ?? '')).not.toContain(wrongKey);
      expect([...(await items()).keys()].filter((sk) => !sk.startsWith('ALERT#'))).toEqual([]);
    } finally {
      await remove();
    }
  });

  it('malformed JSON from Runway: exit 1 with a clear message, nothing stored', async () => {
    const { dir, remove } = await tempWorkdir('budget-guard-malformed');
    try {
      simulator.setFault({ kind: 'malformedJson', apiKey: malformedKey });
      const { env, items } = await awsEnv();
      const result = await runCli(['check', '--config', configPath, '--now', NOW], {
        cwd: dir,
        env: { ...env, RUNWAYML_API_SECRET: malformedKey },
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /CHECK FAILED: Runway returned data that fails validation .*not valid JSON/,
      );
      expect(result.stdout).toContain('Nothing was stored from this run');
      expect([...(await items()).keys()].filter((sk) => !sk.startsWith('ALERT#'))).toEqual([]);
    } finally {
      simulator.setFault(undefined);
      await remove();
    }
  });
});

describe('bad arguments and configuration exit 2 with the reason', () => {
  it('invalid config, unknown option, a bad --now and an unknown --org', async () => {
    const bad = createDemoConfig() as {
      organizations: { budgets: { thresholds: number[] }[] }[];
    };
    const first = bad.organizations[0]?.budgets[0];
    if (first) first.thresholds = [120];
    const badPath = join(work.dir, 'bad-config.json');
    await writeFile(badPath, JSON.stringify(bad));
    const cwd = work.dir;
    const [invalid, unknownOption, badNow, unknownOrg] = await Promise.all([
      runCli(['check', '--config', badPath, '--now', NOW], { cwd }),
      runCli(['check', '--frobnicate'], { cwd }),
      runCli(['check', '--demo', '--now', 'garbage'], { cwd }),
      runCli(['check', '--demo', '--org', 'nope', '--now', NOW], { cwd }),
    ]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('$.organizations[0].budgets[0].thresholds[0]');
    expect(invalid.stderr).toContain('at most 100');
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toMatch(/frobnicate/);
    expect(badNow.code).toBe(2);
    expect(badNow.stderr).toMatch(/--now must be an ISO 8601 date/);
    expect(unknownOrg.code).toBe(2);
    expect(unknownOrg.stderr).toMatch(/Unknown organization "nope"/);
    for (const r of [invalid, unknownOption, badNow, unknownOrg]) expect(r.stdout).toBe('');
  });
});

describe('usage from the command line', () => {
  it('usage errors exit 2 with the reason on stderr, before anything runs', async () => {
    const cwd = work.dir;
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /^budget-guard: unknown command 'frobnicate'\n/],
      [['history', '--frobnicate'], /^budget-guard: unknown option '--frobnicate'\n/],
      [
        ['check', '--demo', '--now', '2026-02-30'],
        /^budget-guard: --now must be .*\(got "2026-02-30": February 2026/,
      ],
      [
        ['history', '--format', 'xml'],
        /^budget-guard: .*'xml' is invalid\. Allowed choices are table, csv, json, jsonl\.\n/,
      ],
      [['backfill', '--days', '0'], /^budget-guard: --days must be a whole number from 1 to 90 .*"0"\n$/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, { cwd })));
    results.forEach((result, i) => {
      const [args, stderr] = cases[i] ?? [[], /$^/];
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(stderr);
      expect(result.stdout, args.join(' ')).toBe('');
    });
  });

  it('help and <command> --help exit 0 and print the usage on stdout', async () => {
    const cwd = work.dir;
    const [help, check] = await Promise.all([
      runCli(['help'], { cwd }),
      runCli(['check', '--help'], { cwd }),
    ]);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: budget-guard <command> [options]');
    expect(help.stdout).toMatch(/^ {2}backfill \[options\] +stores the last N days/m);
    expect(help.stdout).toMatch(
      /Exit codes: 0 done, 1 the cycle failed, 2 bad arguments or configuration\.\n$/,
    );
    expect(check).toMatchObject({ code: 0, stderr: '' });
    expect(check.stdout).toContain('Usage: budget-guard check [options]');
    for (const option of ['--config <file>', '--org <id>', '--now <iso>', '--json', '--demo', '--verbose']) {
      expect(check.stdout, option).toContain(option);
    }
  });
});
