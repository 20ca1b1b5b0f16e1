/**
 * The whole product in one stack: the table, the alerts and ops topics, one secret per Runway organization,
 * the guard function on a schedule, its alarms and (opt-in) a dashboard. Everything is derived from the
 * validated config; nothing here runs in Lambda. Several stacks, each with its own name, can share an
 * account and region: no resource has a fixed physical name except the organizations' secrets.
 */
import {
  ArnFormat,
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
import { type CfnSubscription, SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { type Config, ConfigError, deploymentSettings, type Subscription } from '../functions/config.ts';
import { API_KEY_PLACEHOLDER, type GuardEnv, type GuardEnvName } from '../functions/contract.ts';
import { filterPolicyOf as subscriberFilterPolicy } from '../functions/domain/status.ts';
import { RUNWAY_KNOWN_MODELS, synthModelWarning, unknownBudgetModels } from '../functions/runway-models.ts';
import { GuardAlarms } from './alarms.ts';
import { ChatChannels } from './chat-channels.ts';
import { GuardDashboard, MAX_DASHBOARD_ORGANIZATIONS } from './dashboard.ts';
import { GuardFunction } from './guard-function.ts';
import { guardTimeout, heartbeatWindow, readSchedulePeriod } from './schedule-period.ts';
import { StateParameters } from './state-parameters.ts';

export interface BudgetGuardStackProps extends StackProps {
  /** The config, already validated by `parseConfig`. */
  readonly config: Config;
  /** Where the config came from, for error messages. */
  readonly configSource?: string;
}

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
  const deployment = deploymentSettings(config);
  if (deployment.createSecrets && config.organizations.length > MAX_CREATED_SECRETS) {
    problems.push(
      `$.deployment.createSecrets: the stack would create ${config.organizations.length} secrets, and ` +
        `CloudFormation allows 500 resources per stack: at most ${MAX_CREATED_SECRETS} organizations. Set ` +
        'createSecrets to false and create the secrets yourself (see the README), or split organizations ' +
        'across stacks',
    );
  }
  const secretStatements = secretNameGroups(config.organizations).length;
  if (secretStatements > MAX_SECRET_STATEMENTS) {
    problems.push(
      `$.organizations: reading ${config.organizations.length} secrets takes ${secretStatements} IAM policy ` +
        `statements of ${SECRET_STATEMENT_MAX_CHARS} characters, and a role holds at most ` +
        `${MAX_SECRET_STATEMENTS} managed policies by default: use shorter apiKeySecretName values or split ` +
        'organizations across stacks',
    );
  }
  if (
    deployment.dashboard &&
    deployment.perOrganizationMetrics &&
    config.organizations.length > MAX_DASHBOARD_ORGANIZATIONS
  ) {
    problems.push(
      `$.deployment.dashboard: with perOrganizationMetrics the dashboard has a row of 4 graphs per organization, ` +
        `and CloudWatch allows 500 widgets per dashboard: at most ${MAX_DASHBOARD_ORGANIZATIONS} organizations ` +
        `(there are ${config.organizations.length}). Turn off one of the two, or split organizations across stacks`,
    );
  }
  return problems;
}

export class BudgetGuardStack extends Stack {
  readonly table: TableV2;
  readonly alertsTopic: Topic;
  readonly opsTopic: Topic;
  /** The secrets the stack created, by organization id (none with `deployment.createSecrets: false`). */
  readonly secrets: ReadonlyMap<string, Secret>;
  readonly guard: GuardFunction;
  readonly alarms: GuardAlarms;
  /** Only with `deployment.dashboard: true`. */
  readonly dashboard: GuardDashboard | undefined;
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

    // A budget on a model Runway does not list never fires; a warning, since Runway adds models.
    for (const unknown of unknownBudgetModels(config.organizations, () => RUNWAY_KNOWN_MODELS)) {
      Validations.of(this).addWarning('budget-guard:unknown-model', synthModelWarning(unknown));
    }

    const deployment = deploymentSettings(config);

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The history and the alert ledger outlive the stack (`cdk destroy`) and any replacement of the table
      // (DeletionPolicy RetainExceptOnCreate, UpdateReplacePolicy Retain): a redeploy must not re-send old
      // alerts. Except on a create that rolls back: a first deploy that fails deletes its new, empty table,
      // so nothing is left behind to block or litter the next attempt.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      // Off, deliberately. With deletion protection on from creation, the rollback of a failed first deploy
      // cannot delete the table: the stack ends in ROLLBACK_FAILED and must be deleted by hand, keeping the
      // table. The retain policies above already keep CloudFormation from deleting history, and with
      // point-in-time recovery on, DynamoDB keeps a backup of a deleted table for 35 days.
      deletionProtection: false,
      timeToLiveAttribute: 'expiresAt',
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
      const filtered = this.alertsTopic.addSubscription(
        new EmailSubscription(subscription.email, { filterPolicy: filterPolicyOf(subscription) }),
      );
      // The scope SNS assumes anyway, stated: CloudFormation rejects a filter policy change on a subscription
      // whose scope is unset ("FilterPolicyScope: Invalid value [null]", aws-cdk issue 24804), and the L2
      // construct sets the scope only for message-body filters.
      (filtered.node.defaultChild as CfnSubscription).filterPolicyScope = 'MessageAttributes';
      // Whoever is told about guard errors also looks after the guard's own health.
      if (subscription.kinds.includes('guard-error')) {
        this.opsTopic.addSubscription(new EmailSubscription(subscription.email));
      }
    }

    const secrets = new Map<string, Secret>();
    for (const org of deployment.createSecrets ? config.organizations : []) {
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
    this.guard = new GuardFunction(this, 'Guard', {
      config,
      timeout: guardTimeout(config.organizations.length),
      maxEventAge: clampDuration(period, Duration.minutes(1), Duration.hours(6)),
      reservedConcurrency: deployment.reservedConcurrency,
      environment: {
        TABLE_NAME: this.table.tableName,
        TOPIC_ARN: this.alertsTopic.topicArn,
        STACK_NAME: this.stackName,
      } satisfies GuardEnv,
    });
    const fn = this.guard.function;
    // Exactly what functions/adapters/dynamo-store.ts sends in Lambda: no Scan, no DeleteItem, no
    // DescribeTable (only the CLI's embedded store creates or describes tables).
    this.table.grant(fn, ...GUARD_TABLE_ACTIONS);
    // grantPublish would add kms:GenerateDataKey*; publishing to an encrypted topic needs only these two.
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['sns:Publish'], resources: [this.alertsTopic.topicArn] }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [topicKey.keyArn] }),
    );
    // GetSecretValue is the one Secrets Manager call the guard makes, on each organization's secret (created by
    // the stack or not), named by its ARN pattern: the name and Secrets Manager's 6-character suffix.
    for (const statement of secretReadStatements(this, config.organizations)) fn.addToRolePolicy(statement);

    this.stateParameters = new StateParameters(this, 'StateParameters', {
      writer: this.guard.role,
      orgIds: config.organizations.map((o) => o.id),
    });
    const setEnv = (name: GuardEnvName, value: string) => fn.addEnvironment(name, value);
    setEnv('STATE_PARAMETER_PREFIX', this.stateParameters.prefix);
    // Slack and Teams through AWS Chatbot: one topic per chat channel (see lib/chat-channels.ts).
    this.chat = new ChatChannels(this, 'Chat', { channels: config.chat, topicKey });
    this.chat.grantPublish(fn);
    if (this.chat.topics.length > 0) {
      const chatTopicArns = Fn.join(
        ',',
        this.chat.topics.map((t) => t.topicArn),
      );
      setEnv('CHAT_TOPIC_ARNS', chatTopicArns);
      new CfnOutput(this, 'ChatTopicArns', {
        description: 'One SNS topic per chat channel, in config order: CHAT_TOPIC_ARNS for the CLI',
        value: chatTopicArns,
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
      stackName: this.stackName,
    });

    this.dashboard = deployment.dashboard
      ? new GuardDashboard(this, 'Dashboard', {
          config,
          function: fn,
          alarms: this.alarms.all(),
          stackName: this.stackName,
          perOrganizationMetrics: deployment.perOrganizationMetrics,
          // One point per alarm period: at most a day, one run per point up to daily schedules.
          period: heartbeat.period,
        })
      : undefined;

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
    if (this.dashboard) {
      new CfnOutput(this, 'DashboardName', {
        description: 'CloudWatch dashboard',
        value: this.dashboard.dashboard.dashboardName,
      });
    }
    // CloudFormation allows 200 outputs per stack: one command per organization for small fleets, one
    // template of it for larger ones.
    if (config.organizations.length <= MAX_KEY_COMMAND_OUTPUTS) {
      for (const org of config.organizations) {
        new CfnOutput(this, `PutKeyCommand${pascalCase(org.id)}`, {
          description:
            `Stores the Runway API key of "${org.name}". Run it after "read -rs RUNWAYML_API_SECRET" ` +
            '(paste the key; nothing lands in shell history)',
          value: putKeyCommand(org.apiKeySecretName),
        });
      }
    } else {
      new CfnOutput(this, 'PutKeyCommand', {
        description:
          'Stores the Runway API key of one organization: put its apiKeySecretName in place of <secret-name>. ' +
          'Run it after "read -rs RUNWAYML_API_SECRET" (paste the key; nothing lands in shell history)',
        value: putKeyCommand('<secret-name>'),
      });
    }
  }
}

/** Organizations whose secret the stack may create: the rest of the stack stays well under 100 resources. */
export const MAX_CREATED_SECRETS = 400;

/** Up to this many organizations, one `PutKeyCommand<Org>` output each. */
export const MAX_KEY_COMMAND_OUTPUTS = 50;

/** The DynamoDB actions the guard's Lambda calls, and so the only ones its role may. */
export const GUARD_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:BatchWriteItem',
] as const;

/**
 * IAM allows 10,240 characters of inline policy per role, 6,144 per managed policy and 10 managed policies
 * per role by default (whitespace not counted). CDK moves the statements that do not fit the role's inline
 * policy into managed policies, never splitting a statement. So the secret ARNs go in statements of at most
 * this many characters each, counted at their longest (partition, region and account at their longest).
 */
const SECRET_STATEMENT_MAX_CHARS = 5_800;
/** `arn:aws-us-gov:secretsmanager:ap-southeast-3:123456789012:secret:`, `-??????`, quotes and a comma. */
const SECRET_ARN_OVERHEAD_CHARS =
  'arn::secretsmanager:::secret:'.length + 10 + 14 + 12 + '-??????'.length + 3;
/** IAM's default quota of managed policies per role: the most secret statements a stack may need. */
export const MAX_SECRET_STATEMENTS = 10;

/**
 * The organizations' secret names, deduplicated and split evenly into as few groups as fit one statement
 * each (even groups leave no nearly empty statement to take a managed policy of its own).
 */
export function secretNameGroups(organizations: Config['organizations']): string[][] {
  const names = [...new Set(organizations.map((org) => org.apiKeySecretName))];
  const sizeOf = (group: readonly string[]) =>
    group.reduce((sum, name) => sum + SECRET_ARN_OVERHEAD_CHARS + name.length, 0);
  for (let count = Math.ceil(sizeOf(names) / SECRET_STATEMENT_MAX_CHARS); ; count++) {
    const perGroup = Math.ceil(names.length / count);
    const groups = Array.from({ length: count }, (_, i) =>
      names.slice(i * perGroup, (i + 1) * perGroup),
    ).filter((group) => group.length > 0);
    if (groups.every((group) => sizeOf(group) <= SECRET_STATEMENT_MAX_CHARS)) return groups;
  }
}

/** `secretsmanager:GetSecretValue` on every organization's secret, in statements IAM can hold. */
export function secretReadStatements(
  stack: Stack,
  organizations: Config['organizations'],
): PolicyStatement[] {
  return secretNameGroups(organizations).map(
    (names) =>
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: names.map((name) =>
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: `${name}-??????`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
  );
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
  // The same policy `budget-guard status` compares with and prints in its re-subscribe command.
  return Object.fromEntries(
    Object.entries(subscriberFilterPolicy(subscription)).map(([attribute, allowlist]) => [
      attribute,
      SubscriptionFilter.stringFilter({ allowlist }),
    ]),
  );
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
