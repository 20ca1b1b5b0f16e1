/**
 * The Lambda's adapters, built once per container from the environment the stack sets: TABLE_NAME,
 * TOPIC_ARN, CHAT_TOPIC_ARNS, BUDGET_GUARD_CONFIG; each organization's key comes from Secrets Manager by name.
 */

import { chatTargetsFrom, FanoutNotifier, SnsChatPublisher } from '../adapters/chat-notifier.ts';
import { createDocumentClient, DynamoStore } from '../adapters/dynamo-store.ts';
import { createRunwayClient } from '../adapters/runway-client.ts';
import { createSecretsManagerClient, SdkSecretValueSource } from '../adapters/sdk-secret-source.ts';
import { ApiKeyNotSetError, ApiKeySecretMissingError, SecretKeyReader } from '../adapters/secrets.ts';
import { createSnsClient, SnsNotifier } from '../adapters/sns-notifier.ts';
import { createSsmClient, SsmStateParameters } from '../adapters/ssm-state.ts';
import { parseConfigText } from '../config.ts';
import { ApiKeyUnavailableError, type GuardDeps, type OrgTarget } from './cycle.ts';

export interface LambdaWiring {
  readonly deps: Omit<GuardDeps, 'now' | 'log' | 'metrics'>;
  readonly targets: readonly OrgTarget[];
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`Environment variable ${name} is not set; the stack sets it on the function.`);
  return value;
}

/** @throws ConfigError when BUDGET_GUARD_CONFIG is invalid; Error when a variable is missing. */
export function wireLambda(env: NodeJS.ProcessEnv): LambdaWiring {
  const config = parseConfigText(required(env, 'BUDGET_GUARD_CONFIG'), 'BUDGET_GUARD_CONFIG');
  const store = new DynamoStore({ client: createDocumentClient(), tableName: required(env, 'TABLE_NAME') });
  const snsClient = createSnsClient();
  const alerts = new SnsNotifier({ client: snsClient, topicArn: required(env, 'TOPIC_ARN') });
  // CHAT_TOPIC_ARNS: one topic per chat channel of the config, in order; unset when the config has none.
  const chatTargets = chatTargetsFrom(env.CHAT_TOPIC_ARNS, config.chat);
  const notifier =
    chatTargets.length === 0
      ? alerts
      : new FanoutNotifier({ main: alerts, chat: new SnsChatPublisher(snsClient), targets: chatTargets });
  const secrets = new SecretKeyReader({
    // Credentials from the SDK's default chain: in Lambda, the function role's, from the environment.
    source: new SdkSecretValueSource({
      client: createSecretsManagerClient({ region: required(env, 'AWS_REGION') }),
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
  const prefix = env.STATE_PARAMETER_PREFIX?.trim();
  const statePublisher = prefix ? new SsmStateParameters({ client: createSsmClient(), prefix }) : undefined;
  return { deps: { config, store, notifier, statePublisher }, targets };
}
