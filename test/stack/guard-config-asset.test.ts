/**
 * The configuration ships in the guard's code asset, as `config.json` next to `index.mjs`, not in the
 * environment. Two stacks of one app, each with its own 500-organization config, bundled for real: each
 * asset holds its own config exactly, the same code, and a different asset hash (so a changed config
 * deploys new code).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConfigInput, parseConfig, parseConfigText } from '../../functions/config.ts';
import { GUARD_CONFIG_FILE } from '../../functions/contract.ts';
import { BudgetGuardStack } from '../../lib/budget-guard-stack.ts';
import { fleetConfigInput, onlyResource } from './stack-fixture.ts';

describe('the config file in the code asset', () => {
  const app = new App();
  afterAll(() => rmSync(app.outdir, { recursive: true, force: true }));

  const inputA = fleetConfigInput(500);
  const inputB: ConfigInput = structuredClone(inputA);
  const lastOrg = inputB.organizations.at(-1);
  if (!lastOrg?.budgets?.[0]) throw new Error('the fleet config lost its budgets');
  lastOrg.budgets[0].limit = { usd: 6000 };
  const configA = parseConfig({ ...inputA, deployment: { createSecrets: false, stackName: 'AgencyA' } }, 'A');
  const configB = parseConfig({ ...inputB, deployment: { createSecrets: false, stackName: 'AgencyB' } }, 'B');

  /** The asset directory of one stack's function, and its asset hash. */
  function assetOf(stack: BudgetGuardStack): { dir: string; hash: string; environment: unknown } {
    const fn = onlyResource(Template.fromStack(stack), 'AWS::Lambda::Function');
    const key = (fn.properties.Code as { S3Key: string }).S3Key;
    const hash = key.replace(/\.zip$/, '');
    return { dir: join(app.outdir, `asset.${hash}`), hash, environment: fn.properties.Environment };
  }

  it('holds the exact validated config of its stack, and changes its hash when the config changes', () => {
    const stackA = new BudgetGuardStack(app, 'AgencyA', { config: configA });
    const stackB = new BudgetGuardStack(app, 'AgencyB', { config: configB });
    app.synth();
    const a = assetOf(stackA);
    const b = assetOf(stackB);

    for (const [asset, config] of [
      [a, configA],
      [b, configB],
    ] as const) {
      expect(readdirSync(asset.dir).sort()).toEqual([GUARD_CONFIG_FILE, 'index.mjs']);
      const text = readFileSync(join(asset.dir, GUARD_CONFIG_FILE), 'utf8');
      // Exactly what the stack validated, and what the guard's cold start accepts.
      expect(text).toBe(`${JSON.stringify(config)}\n`);
      expect(parseConfigText(text, GUARD_CONFIG_FILE)).toEqual(config);
      expect(JSON.stringify(asset.environment)).not.toContain('client-001');
    }
    expect(a.hash).not.toBe(b.hash);
    expect(readFileSync(join(a.dir, 'index.mjs'))).toEqual(readFileSync(join(b.dir, 'index.mjs')));
  }, 120_000);
});
