/**
 * Reads the budget guard config from CDK context. `cdk.json` gives an object; `cdk synth -c budgetGuard=...`
 * gives the JSON text as a string. Either way the one schema validates it.
 */
import { type Config, ConfigError, parseConfig, parseConfigText } from '../functions/config.ts';
import { deploymentProblems } from './budget-guard-stack.ts';

export const CONTEXT_KEY = 'budgetGuard';
export const CONTEXT_SOURCE = 'CDK context "budgetGuard" (cdk.json, or -c budgetGuard=JSON)';

/**
 * Validates the context value and checks it can be deployed.
 * @throws ConfigError listing every problem by JSON path (the value is missing, not JSON, invalid, or
 * cannot be deployed).
 */
export function readConfigContext(value: unknown): Config {
  if (value === undefined || value === null) {
    throw new ConfigError(CONTEXT_SOURCE, [
      '$: is required; add "budgetGuard" under "context" in cdk.json (see the README configuration reference)',
    ]);
  }
  const config =
    typeof value === 'string' ? parseConfigText(value, CONTEXT_SOURCE) : parseConfig(value, CONTEXT_SOURCE);
  const problems = deploymentProblems(config);
  if (problems.length > 0) throw new ConfigError(CONTEXT_SOURCE, problems);
  return config;
}
