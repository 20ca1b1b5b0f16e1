/**
 * The CDK app: validates `context.budgetGuard`, builds the stack (named by `deployment.stackName`, default
 * `RunwayBudgetGuard`) and runs the cdk-nag AwsSolutions checks on every synth. An invalid config stops synth
 * with every problem listed by JSON path.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, deploymentSettings } from '../functions/config.ts';
import { CONTEXT_KEY, CONTEXT_SOURCE, readConfigContext } from '../lib/app-config.ts';
import { BudgetGuardStack } from '../lib/budget-guard-stack.ts';

const app = new App();

try {
  const config = readConfigContext(app.node.tryGetContext(CONTEXT_KEY));
  new BudgetGuardStack(app, deploymentSettings(config).stackName, {
    config,
    configSource: CONTEXT_SOURCE,
    description: 'Runway Budget Guard: budget, tier-cap and quota alerts for Runway organizations',
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A readable list, not a stack trace: the message already names every bad path.
  console.error(error.message);
  process.exit(2);
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
