/**
 * The Lambda's adapters, built once per container from the config file in the code asset (`config.json` next
 * to the bundle) and the environment the stack sets: TABLE_NAME, TOPIC_ARN, STACK_NAME; each organization's
 * key comes from Secrets Manager by name.
 */
import { readFileSync } from 'node:fs';
import { createDocumentClient, DynamoStore } from '../adapters/dynamo-store.ts';
import { createRunwayClient } from '../adapters/runway-client.ts';
import { ApiKeyNotSetError, ApiKeySecretMissingError, SecretKeyReader } from '../adapters/secrets.ts';
import { SecretsManagerHttp } from '../adapters/secrets-manager.ts';
import { createSnsClient, SnsNotifier } from '../adapters/sns-notifier.ts';
import { parseConfigText } from '../config.ts';
import { GUARD_CONFIG_FILE, STACK_NAME_ENV } from '../contract.ts';
import { ApiKeyUnavailableError, type GuardDeps, type OrgTarget } from './cycle.ts';
import { defaultProvider as lambdaCredentials } from './lambda-credentials.ts';

export interface LambdaWiring {
  readonly deps: Omit<GuardDeps, 'now' | 'log' | 'metrics'>;
  readonly targets: readonly OrgTarget[];
  /** The stack's name, the `stack` dimension of every metric. */
  readonly stackName: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`Environment variable ${name} is not set; the stack sets it on the function.`);
  return value;
}

/** @throws ConfigError when the config file is invalid; Error when it or a variable is missing. */
export function wireLambda(env: NodeJS.ProcessEnv): LambdaWiring {
  // The stack ships the validated config next to the bundle (index.mjs) in the code asset.
  const config = parseConfigText(
    readFileSync(new URL(GUARD_CONFIG_FILE, import.meta.url), 'utf8'),
    GUARD_CONFIG_FILE,
  );
  const store = new DynamoStore({ client: createDocumentClient(), tableName: required(env, 'TABLE_NAME') });
  const notifier = new SnsNotifier({ client: createSnsClient(), topicArn: required(env, 'TOPIC_ARN') });
  const secrets = new SecretKeyReader({
    source: new SecretsManagerHttp({
      region: required(env, 'AWS_REGION'),
      credentials: lambdaCredentials(),
      env,
    }),
  });
  const baseURL = env.RUNWAYML_BASE_URL || undefined;
  const targets = config.organizations.map(
    (org): OrgTarget => ({
      org,
      keySource: `Secrets Manager secret ${org.apiKeySecretName}`,
      connect: async (signal) => {
        let apiKey: string;
        try {
          apiKey = await secrets.getApiKey(org.apiKeySecretName);
        } catch (error) {
          if (error instanceof ApiKeyNotSetError || error instanceof ApiKeySecretMissingError) {
            throw new ApiKeyUnavailableError(error.message, { cause: error });
          }
          throw error;
        }
        return createRunwayClient({ apiKey, baseURL, signal });
      },
    }),
  );
  return { deps: { config, store, notifier }, targets, stackName: required(env, STACK_NAME_ENV) };
}
