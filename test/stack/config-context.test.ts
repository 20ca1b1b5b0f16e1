import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../functions/config.ts';
import { readConfigContext } from '../../lib/app-config.ts';
import { deploymentProblems } from '../../lib/budget-guard-stack.ts';
import { exampleConfigInput, fleetConfigInput, PROJECT_ROOT } from './stack-fixture.ts';

const run = promisify(execFile);

/** The example config with a threshold of 120 and an unknown budget period. */
function badConfigInput(): unknown {
  const input = exampleConfigInput();
  const [org] = input.organizations;
  if (!org?.budgets?.[0] || !org.budgets[1]) throw new Error('the example config lost its budgets');
  org.budgets[0].thresholds = [50, 120];
  (org.budgets[1] as { period: string }).period = 'fortnight';
  return input;
}

function problemsOf(action: () => unknown): readonly string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('readConfigContext', () => {
  it('accepts the object that cdk.json gives', () => {
    expect(readConfigContext(exampleConfigInput())).toEqual(parseConfig(exampleConfigInput(), 'x'));
  });

  it('accepts the JSON text that -c budgetGuard=... gives', () => {
    expect(readConfigContext(JSON.stringify(exampleConfigInput()))).toEqual(
      parseConfig(exampleConfigInput(), 'x'),
    );
  });

  it('lists every problem by path', () => {
    expect(problemsOf(() => readConfigContext(badConfigInput()))).toEqual([
      '$.organizations[0].budgets[0].thresholds[1]: a threshold must be at most 100 (it is a percentage of the limit)',
      '$.organizations[0].budgets[1].period: period must be "day", "week", "month" or "quarter"',
    ]);
  });

  it('explains a missing config and text that is not JSON', () => {
    expect(problemsOf(() => readConfigContext(undefined))[0]).toMatch(/^\$: is required; add "budgetGuard"/);
    expect(problemsOf(() => readConfigContext('{"organizations": ['))[0]).toMatch(/^\$: not valid JSON/);
  });
});

describe('deploymentProblems', () => {
  it('finds none in the example config', () => {
    expect(deploymentProblems(parseConfig(exampleConfigInput(), 'x'))).toEqual([]);
  });

  it('refuses a schedule too slow for the heartbeat alarm', () => {
    const config = parseConfig({ ...exampleConfigInput(), schedule: 'rate(5 days)' }, 'x');
    expect(deploymentProblems(config)).toEqual([
      expect.stringMatching(/^\$\.schedule: the schedule runs every 5 days/),
    ]);
  });

  it('refuses one address subscribed twice, which SNS cannot hold', () => {
    const input = exampleConfigInput();
    input.subscriptions = [
      { email: 'finance@example.com', kinds: ['budget'] },
      { email: 'Finance@example.com', kinds: ['digest'] },
    ];
    expect(deploymentProblems(parseConfig(input, 'x'))).toEqual([
      expect.stringMatching(
        /^\$\.subscriptions\[1\]\.email: Finance@example\.com is already subscribed by \$\.subscriptions\[0\]/,
      ),
    ]);
  });

  it('accepts 500 organizations: the config travels in the code asset, not the environment', () => {
    expect(deploymentProblems(parseConfig(fleetConfigInput(500), 'x'))).toEqual([]);
  });

  it('refuses to create more secrets than a stack can hold, naming the way out', () => {
    const input = fleetConfigInput(500);
    input.deployment = { createSecrets: true };
    expect(deploymentProblems(parseConfig(input, 'x'))).toEqual([
      expect.stringMatching(
        /^\$\.deployment\.createSecrets: the stack would create 500 secrets, .* at most 400 organizations\. Set createSecrets to false/,
      ),
    ]);
  });

  it('refuses more secret grants than a role can hold', () => {
    const input = fleetConfigInput(700);
    for (const org of input.organizations) org.apiKeySecretName = `agency/clients/${org.id}/runway-api-key`;
    expect(deploymentProblems(parseConfig(input, 'x'))).toEqual([
      expect.stringMatching(/^\$\.organizations: reading 700 secrets takes 1\d IAM policy statements/),
    ]);
  });

  it('refuses a per-organization dashboard with more rows than CloudWatch allows', () => {
    const input = fleetConfigInput(124);
    input.deployment = { createSecrets: false, dashboard: true, perOrganizationMetrics: true };
    expect(deploymentProblems(parseConfig(input, 'x'))).toEqual([
      expect.stringMatching(/^\$\.deployment\.dashboard: .* at most 123 organizations \(there are 124\)/),
    ]);
    input.organizations.pop();
    expect(deploymentProblems(parseConfig(input, 'x'))).toEqual([]);
  });
});

describe('cdk synth with a bad config', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'budget-guard-synth-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('fails, naming each bad path, with no stack trace', async () => {
    const cdk = fileURLToPath(new URL('node_modules/.bin/cdk', PROJECT_ROOT));
    const failure = await run(
      cdk,
      ['synth', '--quiet', '--output', outdir, '-c', `budgetGuard=${JSON.stringify(badConfigInput())}`],
      { cwd: fileURLToPath(PROJECT_ROOT), env: { ...process.env, CI: 'true' } },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toContain('Invalid configuration in CDK context "budgetGuard"');
    expect(failure?.stderr).toContain(
      '$.organizations[0].budgets[0].thresholds[1]: a threshold must be at most 100',
    );
    expect(failure?.stderr).toContain(
      '$.organizations[0].budgets[1].period: period must be "day", "week", "month" or "quarter"',
    );
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
