/**
 * Builds the stack for tests without bundling the guard (bundling is covered by one test of its own), from
 * the example config in cdk.json or a variant of it.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type ConfigInput, deploymentSettings, parseConfig } from '../../functions/config.ts';
import { BudgetGuardStack } from '../../lib/budget-guard-stack.ts';

export const PROJECT_ROOT = new URL('../../', import.meta.url);

/** The example config shipped in cdk.json, as written there. */
export function exampleConfigInput(): ConfigInput {
  const cdkJson = JSON.parse(readFileSync(new URL('cdk.json', PROJECT_ROOT), 'utf8')) as {
    context: { budgetGuard: ConfigInput };
  };
  return structuredClone(cdkJson.context.budgetGuard);
}

export interface SynthesizedStack {
  readonly app: App;
  readonly stack: BudgetGuardStack;
  readonly template: Template;
}

/** Synthesizes the stack with bundling skipped (the guard's code is a placeholder asset). */
export function synthStack(input: ConfigInput = exampleConfigInput()): SynthesizedStack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = parseConfig(input, 'test config');
  const stack = new BudgetGuardStack(app, deploymentSettings(config).stackName, { config });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The one resource of a type; fails when there is not exactly one. */
export function onlyResource(
  template: Template,
  type: string,
): { logicalId: string; properties: Record<string, unknown> } {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  const [logicalId, resource] = found[0] as [string, { Properties: Record<string, unknown> }];
  return { logicalId, properties: resource.Properties };
}

/**
 * An agency's fleet: `count` organizations, each with 3 budgets and a low-balance floor, and 5 subscribers
 * (one also gets guard errors). Secrets are created outside the stack, as a fleet this size needs.
 */
export function fleetConfigInput(count: number): ConfigInput {
  const organizations = Array.from({ length: count }, (_, i) => {
    const id = `client-${String(i + 1).padStart(3, '0')}`;
    return {
      id,
      name: `Client ${i + 1} production`,
      apiKeySecretName: `budget-guard/runway/${id}`,
      budgets: [
        {
          id: 'monthly-total',
          period: 'month' as const,
          limit: { usd: 5000 },
          thresholds: [50, 80, 100],
          forecast: true,
        },
        { id: 'daily-total', period: 'day' as const, limit: { usd: 400 }, thresholds: [80, 100] },
        {
          id: 'veo-daily',
          period: 'day' as const,
          model: 'veo3.1',
          limit: { credits: 40000 },
          thresholds: [80, 100],
        },
      ],
      lowBalance: { credits: 50000, days: 7 },
    };
  });
  return {
    organizations,
    schedule: 'rate(5 minutes)',
    subscriptions: [
      { email: 'finance@agency.example', kinds: ['budget', 'forecast', 'balance', 'digest'] },
      { email: 'cfo@agency.example', kinds: ['budget', 'tier-cap'], severities: ['critical'] },
      { email: 'platform@agency.example', kinds: ['daily-quota', 'tier-change', 'guard-error'] },
      { email: 'accounts@agency.example', kinds: ['digest'] },
      { email: 'oncall@agency.example', kinds: ['anomaly', 'balance'], severities: ['warning', 'critical'] },
    ],
    deployment: { createSecrets: false },
  };
}
