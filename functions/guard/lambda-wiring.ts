/**
 * The Lambda's adapters, built once per container from the config file in the code asset (`config.json` next
 * to the bundle) and the environment the stack sets: TABLE_NAME, TOPIC_ARN, STACK_NAME, CHAT_TOPIC_ARNS,
 * STATE_PARAMETER_PREFIX; each organization's key comes from Secrets Manager by name.
 */
import { readFileSync } from 'node:fs';
import { withChatChannels } from '../adapters/chat-notifier.ts';
import { createDocumentClient, DynamoStore } from '../adapters/dynamo-store.ts';
import { createRunwayClient } from '../adapters/runway-client.ts';
import { createSecretsManagerClient, SdkSecretValueSource } from '../adapters/sdk-secret-source.ts';
import { ApiKeyNotSetError, ApiKeySecretMissingError, SecretKeyReader } from '../adapters/secrets.ts';
import { createSnsClient, SnsNotifier } from '../adapters/sns-notifier.ts';
import { stateParametersAt } from '../adapters/ssm-state.ts';
import { parseConfigText } from '../config.ts';
import { GUARD_CONFIG_FILE, type GuardEnv, type GuardEnvName } from '../contract.ts';
import { ApiKeyUnavailableError, type GuardDeps, type OrgTarget } from './cycle.ts';

export interface LambdaWiring {
  readonly deps: Omit<GuardDeps, 'now' | 'log' | 'metrics'>;
  readonly targets: readonly OrgTarget[];
  /** The stack's name, the `stack` dimension of every metric. */
  readonly stackName: string;
}

function required(env: GuardEnv, name: GuardEnvName): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`Environment variable ${name} is not set; the stack sets it on the function.`);
  return value;
}

/** @throws ConfigError when the config file is invalid; Error when it or a variable is missing. */
export function wireLambda(env: GuardEnv): LambdaWiring {
  // The stack ships the validated config next to the bundle (index.mjs) in the code asset.
  const config = parseConfigText(
    readFileSync(new URL(GUARD_CONFIG_FILE, import.meta.url), 'utf8'),
    GUARD_CONFIG_FILE,
  );
  const store = new DynamoStore({ client: createDocumentClient(), tableName: required(env, 'TABLE_NAME') });
  const snsClient = createSnsClient();
  // CHAT_TOPIC_ARNS: one topic per chat channel of the config, in order; unset when the config has none.
  const { notifier } = withChatChannels(
    new SnsNotifier({ client: snsClient, topicArn: required(env, 'TOPIC_ARN') }),
    snsClient,
    env.CHAT_TOPIC_ARNS,
    config.chat,
  );
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
  const statePublisher = stateParametersAt(env.STATE_PARAMETER_PREFIX);
  return {
    deps: { config, store, notifier, statePublisher },
    targets,
    stackName: required(env, 'STACK_NAME'),
  };
}
