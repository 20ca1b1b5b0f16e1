/**
 * The Lambda bundle as deployed (`lib/guard-bundling.ts`: one ESM file, the AWS SDK inside), imported in a
 * fresh Node process and invoked the way Lambda does, against the Runway simulator, dynalite, fauxqs and a
 * local Secrets Manager. The SDK clients find them through `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SNS`
 * and `AWS_ENDPOINT_URL_SECRETS_MANAGER`, and sign with the credentials in the environment (the default chain),
 * as in Lambda; the Secrets Manager checks every signature. The stack test checks how the bundle is built;
 * this one checks that what was built runs: a first cold start sends the demo's alerts, a second one sends
 * nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoConfig, createDemoOrganization } from '../../functions/simulator/demo.ts';
import { type RunwaySimulator, startRunwaySimulator } from '../../functions/simulator/server.ts';
import { guardEsbuildOptions } from '../../lib/guard-bundling.ts';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo.ts';
import { uniqueApiKey } from '../helpers/runway.ts';
import { type SecretsManagerServer, startSecretsManagerServer } from '../helpers/secrets-manager.ts';
import { type SnsTestServer, type SubscribedQueue, startSnsTestServer } from '../helpers/sns.ts';

const SECRET_NAME = 'budget-guard/runway/studio';

interface Invocation {
  readonly code: number | null;
  /** What the handler returned, or the error it threw. */
  readonly outcome: { result?: { organizations: number; notificationsSent: number }; error?: string };
  /** The JSON log lines the handler wrote to stdout (EMF metric lines included). */
  readonly logs: readonly Record<string, unknown>[];
  readonly stderr: string;
}

let workDir: string;
let bundleFile: string;
let runway: RunwaySimulator;
let dynamo: TestDynamo;
let sns: SnsTestServer;
let secrets: SecretsManagerServer;
let queue: SubscribedQueue;
let env: Record<string, string>;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'budget-guard-bundle-'));
  bundleFile = join(workDir, 'index.mjs');
  await build({ ...guardEsbuildOptions(bundleFile), logLevel: 'warning' });
  // As the stack ships it: the config next to index.mjs in the code asset, not in the environment.
  await writeFile(join(workDir, 'config.json'), JSON.stringify(createDemoConfig()));

  const apiKey = uniqueApiKey();
  runway = await startRunwaySimulator({
    organizations: [createDemoOrganization({ apiKey, now: new Date() })],
  });
  dynamo = await startTestDynamo();
  sns = await startSnsTestServer();
  secrets = await startSecretsManagerServer();
  secrets.set(SECRET_NAME, JSON.stringify({ apiKey }));
  const topicArn = await sns.createTopic();
  queue = await sns.subscribeQueue({ topicArn });

  env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: secrets.region,
    AWS_ACCESS_KEY_ID: secrets.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: secrets.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: secrets.credentials.sessionToken ?? '',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    RUNWAYML_BASE_URL: runway.url,
    TABLE_NAME: await dynamo.newTable(),
    TOPIC_ARN: topicArn,
    STACK_NAME: 'RunwayBudgetGuard',
  };
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([runway?.close(), dynamo?.close(), sns?.stop(), secrets?.close()]);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** One cold start: a new Node process imports the bundle and calls `handler()` once, as Lambda does. */
async function invokeColdStart(): Promise<Invocation> {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundleFile).href)});
    let outcome;
    try { outcome = { result: await handler({}) }; } catch (error) { outcome = { error: String(error?.message ?? error) }; }
    process.stderr.write('\\nOUTCOME ' + JSON.stringify(outcome) + '\\n');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, cwd: workDir });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const outcomeLine = stderr.split('\n').find((line) => line.startsWith('OUTCOME '));
  if (outcomeLine === undefined)
    throw new Error(`the bundle did not run to the end (exit ${code}):\n${stderr}`);
  const logs = stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, outcome: JSON.parse(outcomeLine.slice('OUTCOME '.length)), logs, stderr };
}

describe('the Lambda bundle', () => {
  it('sends the demo alerts on its first cold start and nothing on the next', async () => {
    const first = await invokeColdStart();
    expect(first.stderr).not.toMatch(/Error|Warning/);
    expect(first.outcome.error).toBeUndefined();
    expect(first.code).toBe(0);
    expect(first.outcome.result?.organizations).toBe(1);
    const sent = first.outcome.result?.notificationsSent ?? 0;
    expect(sent).toBeGreaterThanOrEqual(3);
    expect(first.logs.filter((line) => line.level === 'error')).toEqual([]);
    // Metrics carry the stack's name; per-organization metrics are opt-in and the demo does not opt in.
    const emf = first.logs.filter((line) => '_aws' in line);
    expect(emf.map((line) => line.stack)).toEqual(emf.map(() => 'RunwayBudgetGuard'));
    expect(emf.filter((line) => 'org' in line)).toEqual([]);
    expect(emf.find((line) => 'NotificationsSent' in line)?.NotificationsSent).toBe(sent);

    const delivered = await queue.receive({ count: sent, timeoutMs: 5000 });
    expect(delivered).toHaveLength(sent);
    for (const message of delivered) {
      expect(message.subject).toContain('Studio production');
      expect(message.messageAttributes.kind?.Value).toBeDefined();
    }

    const second = await invokeColdStart();
    expect(second.outcome).toEqual({ result: { organizations: 1, notificationsSent: 0 } });
    expect(await queue.receive({ count: 0 })).toEqual([]);
    // Each cold start read the key once: the value is cached per container, not across them.
    expect(secrets.requests()).toBe(2);
  }, 60_000);
});
