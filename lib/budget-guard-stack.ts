/**
 * The whole product in one stack: the table, the alerts and ops topics, one secret per Runway organization,
 * the guard function on a schedule, its alarms and a dashboard. Everything is derived from the validated
 * config; nothing here runs in Lambda.
 */
import {
  Aws,
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { type Config, ConfigError, type Subscription } from '../functions/config.ts';
import { API_KEY_PLACEHOLDER } from '../functions/contract.ts';
import { GuardAlarms } from './alarms.ts';
import { ChatChannels } from './chat-channels.ts';
import { GuardDashboard } from './dashboard.ts';
import { GuardFunction } from './guard-function.ts';
import { guardTimeout, heartbeatWindow, readSchedulePeriod } from './schedule-period.ts';
import { StateParameters } from './state-parameters.ts';

export interface BudgetGuardStackProps extends StackProps {
  /** The config, already validated by `parseConfig`. */
  readonly config: Config;
  /** Where the config came from, for error messages. */
  readonly configSource?: string;
}

/** Lambda allows 4 KiB of environment in total; the rest of the guard's variables fit in 512 bytes. */
const MAX_CONFIG_JSON_BYTES = 4096 - 512;

/**
 * Problems that the config schema cannot see but the deployment would hit, one line per problem by JSON
 * path, in the same form as `parseConfig`'s.
 */
export function deploymentProblems(config: Config): string[] {
  const problems: string[] = [];
  try {
    heartbeatWindow(readSchedulePeriod(config.schedule));
  } catch (error) {
    problems.push(`$.schedule: ${(error as Error).message}`);
  }
  const firstUse = new Map<string, number>();
  for (const [index, subscription] of config.subscriptions.entries()) {
    const address = subscription.email.toLowerCase();
    const first = firstUse.get(address);
    if (first === undefined) firstUse.set(address, index);
    else {
      problems.push(
        `$.subscriptions[${index}].email: ${subscription.email} is already subscribed by $.subscriptions[${first}]; ` +
          'SNS keeps one subscription per address and topic, so merge the two entries',
      );
    }
  }
  const configBytes = Buffer.byteLength(JSON.stringify(config));
  if (configBytes > MAX_CONFIG_JSON_BYTES) {
    problems.push(
      `$: the config is ${configBytes} bytes as JSON; the guard receives it in a Lambda environment variable, ` +
        `which leaves room for ${MAX_CONFIG_JSON_BYTES}. Shorten names or split organizations across stacks`,
    );
  }
  return problems;
}

export class BudgetGuardStack extends Stack {
  readonly table: TableV2;
  readonly alertsTopic: Topic;
  readonly opsTopic: Topic;
  readonly secrets: ReadonlyMap<string, Secret>;
  readonly guard: GuardFunction;
  readonly alarms: GuardAlarms;
  readonly dashboard: GuardDashboard;
  readonly stateParameters: StateParameters;
  readonly chat: ChatChannels;

  /** @throws ConfigError when the config cannot be deployed (see `deploymentProblems`). */
  constructor(scope: Construct, id: string, props: BudgetGuardStackProps) {
    super(scope, id, props);
    const { config } = props;
    const problems = deploymentProblems(config);
    if (problems.length > 0) throw new ConfigError(props.configSource ?? 'the budget guard config', problems);

    const schedule = readSchedulePeriod(config.schedule);
    if (!schedule.exact) {
      Validations.of(this).addWarning(
        'budget-guard:cron-heartbeat',
        `The heartbeat alarm assumes ${config.schedule} runs at least hourly; with a less frequent cron ` +
          'schedule it fires between runs. Prefer rate(...) for schedules slower than hourly.',
      );
    }

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: 'expiresAt',
      // The history and the alert ledger outlive the stack: a redeploy must not re-send old alerts.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // One customer-managed key for both topics: the AWS-managed SNS key cannot be used by CloudWatch
    // alarms, and a key of our own costs $1 a month.
    const topicKey = new Key(this, 'TopicKey', {
      description: 'Runway Budget Guard: encrypts the alerts and ops topics',
      enableKeyRotation: true,
      // Nothing outlives the topics encrypted with it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // Alarms publish to the encrypted ops topic as the CloudWatch service. A key-policy statement must not
    // carry caller conditions here: CloudWatch's calls fail them.
    topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.alertsTopic = new Topic(this, 'AlertsTopic', {
      displayName: 'Runway Budget Guard',
      masterKey: topicKey,
      enforceSSL: true,
    });
    this.opsTopic = new Topic(this, 'OpsTopic', {
      displayName: 'Runway Budget Guard ops',
      masterKey: topicKey,
      enforceSSL: true,
    });
    // The topic policy that enforceSSL creates replaces SNS's default one; alarms need their own allow.
    this.opsTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisAccountsAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.opsTopic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );

    for (const subscription of config.subscriptions) {
      this.alertsTopic.addSubscription(
        new EmailSubscription(subscription.email, { filterPolicy: filterPolicyOf(subscription) }),
      );
      // Whoever is told about guard errors also looks after the guard's own health.
      if (subscription.kinds.includes('guard-error')) {
        this.opsTopic.addSubscription(new EmailSubscription(subscription.email));
      }
    }

    const secrets = new Map<string, Secret>();
    for (const org of config.organizations) {
      const secret = new Secret(this, `${pascalCase(org.id)}ApiKey`, {
        secretName: org.apiKeySecretName,
        // Fixed text: changing the description would be the only reason for CloudFormation to touch the
        // secret again after the real key is put.
        description: `Runway API key for organization "${org.id}", read by Runway Budget Guard`,
        // Not a secret: the guard recognizes it and raises a guard-error until the real key is put.
        secretStringValue: SecretValue.unsafePlainText(API_KEY_PLACEHOLDER),
        removalPolicy: RemovalPolicy.DESTROY,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Runway API keys are issued and rotated in the Runway developer portal, which has no API a ' +
          'rotation Lambda could call; the new key is put with the command in the stack outputs.',
      });
      secrets.set(org.id, secret);
    }
    this.secrets = secrets;

    const period = schedule.period;
    const heartbeat = heartbeatWindow(schedule);
    const configJson = JSON.stringify(config);
    this.guard = new GuardFunction(this, 'Guard', {
      timeout: guardTimeout(config.organizations.length),
      maxEventAge: clampDuration(period, Duration.minutes(1), Duration.hours(6)),
      environment: {
        TABLE_NAME: this.table.tableName,
        TOPIC_ARN: this.alertsTopic.topicArn,
        BUDGET_GUARD_CONFIG: configJson,
      },
    });
    const fn = this.guard.function;
    this.table.grantReadWriteData(fn);
    // grantPublish would add kms:GenerateDataKey*; publishing to an encrypted topic needs only these two.
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['sns:Publish'], resources: [this.alertsTopic.topicArn] }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [topicKey.keyArn] }),
    );
    for (const secret of secrets.values()) secret.grantRead(fn);

    this.stateParameters = new StateParameters(this, 'StateParameters', {
      writer: this.guard.role,
      orgIds: config.organizations.map((o) => o.id),
    });
    fn.addEnvironment('STATE_PARAMETER_PREFIX', this.stateParameters.prefix);
    // Slack and Teams through AWS Chatbot: one topic per chat channel (see lib/chat-channels.ts).
    this.chat = new ChatChannels(this, 'Chat', { channels: config.chat, topicKey });
    this.chat.grantPublish(fn);
    if (this.chat.topics.length > 0) {
      fn.addEnvironment(
        'CHAT_TOPIC_ARNS',
        Fn.join(
          ',',
          this.chat.topics.map((t) => t.topicArn),
        ),
      );
      new CfnOutput(this, 'ChatTopicArns', {
        description: 'One SNS topic per chat channel, in config order: CHAT_TOPIC_ARNS for the CLI',
        value: Fn.join(
          ',',
          this.chat.topics.map((t) => t.topicArn),
        ),
      });
    }

    new Schedule(this, 'Schedule', {
      description: 'Runway Budget Guard: runs one guard cycle',
      schedule: ScheduleExpression.expression(config.schedule),
      target: new InvokeUnqualified(fn, {
        // A few quick retries if Lambda refuses the invocation; after that the next run catches up.
        retryAttempts: 3,
        maxEventAge: clampDuration(period, Duration.minutes(1), Duration.minutes(15)),
      }),
    });

    this.alarms = new GuardAlarms(this, 'Alarms', {
      function: fn,
      opsTopic: this.opsTopic,
      heartbeat,
    });

    this.dashboard = new GuardDashboard(this, 'Dashboard', {
      config,
      function: fn,
      alarms: this.alarms.all(),
      // One point per alarm period: at most a day, one run per point up to daily schedules.
      period: heartbeat.period,
    });

    new CfnOutput(this, 'TableName', {
      description: 'DynamoDB table with snapshots, usage history and the alert ledger (budget-guard history)',
      value: this.table.tableName,
    });
    new CfnOutput(this, 'AlertsTopicArn', {
      description: 'SNS topic with every alert; subscribe more endpoints here',
      value: this.alertsTopic.topicArn,
    });
    new CfnOutput(this, 'OpsTopicArn', {
      description: 'SNS topic for the guard alarms (errors, throttles, heartbeat)',
      value: this.opsTopic.topicArn,
    });
    new CfnOutput(this, 'GuardFunctionName', {
      description: 'The guard Lambda; run a cycle now with aws lambda invoke --invocation-type Event',
      value: fn.functionName,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'CloudWatch dashboard',
      value: this.dashboard.dashboard.dashboardName,
    });
    for (const org of config.organizations) {
      new CfnOutput(this, `PutKeyCommand${pascalCase(org.id)}`, {
        description:
          `Stores the Runway API key of "${org.name}". Run it after "read -rs RUNWAYML_API_SECRET" ` +
          '(paste the key; nothing lands in shell history)',
        value: putKeyCommand(org.apiKeySecretName),
      });
    }
  }
}

/** The command that replaces the placeholder in one organization's secret with the real Runway key. */
export function putKeyCommand(secretName: string): string {
  return (
    `aws secretsmanager put-secret-value --region ${Aws.REGION} --secret-id ${secretName} ` +
    '--secret-string "$RUNWAYML_API_SECRET"'
  );
}

/** Delivers the kinds (and, if listed, severities) a subscriber asked for, by message attribute. */
export function filterPolicyOf(subscription: Subscription): Record<string, SubscriptionFilter> {
  const policy: Record<string, SubscriptionFilter> = {
    kind: SubscriptionFilter.stringFilter({ allowlist: [...subscription.kinds] }),
  };
  if (subscription.severities) {
    policy.severity = SubscriptionFilter.stringFilter({ allowlist: [...subscription.severities] });
  }
  return policy;
}

/**
 * Invokes the function by its unqualified ARN only. The stock target also grants `<arn>:*` (every version
 * and alias); the guard publishes no versions, so that grant would only widen the role.
 */
class InvokeUnqualified extends LambdaInvoke {
  readonly #target: IFunction;

  constructor(target: IFunction, props: ConstructorParameters<typeof LambdaInvoke>[1]) {
    super(target, props);
    this.#target = target;
  }

  protected override addTargetActionToRole(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.#target.functionArn] }),
    );
  }
}

function clampDuration(value: Duration, min: Duration, max: Duration): Duration {
  const seconds = Math.min(Math.max(value.toSeconds(), min.toSeconds()), max.toSeconds());
  return Duration.seconds(seconds);
}

/** `studio-eu` → `StudioEu`, for construct and output ids. */
function pascalCase(id: string): string {
  return id
    .split('-')
    .filter((part) => part.length > 0)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}
