/**
 * Builds the stack for tests without bundling the guard (bundling is covered by one test of its own), from
 * the example config in cdk.json or a variant of it.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type ConfigInput, parseConfig } from '../../functions/config.ts';
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
  const stack = new BudgetGuardStack(app, 'RunwayBudgetGuard', { config: parseConfig(input, 'test config') });
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
