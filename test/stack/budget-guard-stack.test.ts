import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type ConfigInput, parseConfig } from '../../functions/config.ts';
import { API_KEY_PLACEHOLDER, METRIC, METRICS_NAMESPACE } from '../../functions/contract.ts';
import { GUARD_TABLE_ACTIONS } from '../../lib/budget-guard-stack.ts';
import { exampleConfigInput, fleetConfigInput, onlyResource, synthStack } from './stack-fixture.ts';

/**
 * The example config plus a second organization and a severity-filtered subscription, with the opt-in
 * dashboard and per-organization metrics, under its own stack name.
 */
function twoOrgConfig(): ConfigInput {
  const input = exampleConfigInput();
  input.organizations.push({
    id: 'agency-eu',
    name: 'Agency EU',
    apiKeySecretName: 'budget-guard/runway/agency-eu',
    budgets: [{ id: 'monthly', period: 'month', limit: { credits: 200000 }, thresholds: [100, 90] }],
  });
  input.subscriptions = [
    ...(input.subscriptions ?? []),
    { email: 'cfo@example.com', kinds: ['budget', 'tier-cap'], severities: ['critical'] },
  ];
  input.deployment = { stackName: 'AgencyBudgetGuard', dashboard: true, perOrganizationMetrics: true };
  return input;
}

const input = twoOrgConfig();
const config = parseConfig(input, 'test config');
const { stack, template } = synthStack(input);
/** The example config as shipped: every deployment setting at its default. */
const defaults = synthStack();

const table = onlyResource(template, 'AWS::DynamoDB::GlobalTable');
const fn = onlyResource(template, 'AWS::Lambda::Function');
const key = onlyResource(template, 'AWS::KMS::Key');
const topicIds = Object.keys(template.findResources('AWS::SNS::Topic'));
const alertsTopicId = stack.getLogicalId(stack.alertsTopic.node.defaultChild as never);
const opsTopicId = stack.getLogicalId(stack.opsTopic.node.defaultChild as never);

/** Joins an `Fn::Join` of a dashboard body into text, with `<ref>` for each token. */
function joinedText(value: unknown): string {
  const join = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return join[1].map((part) => (typeof part === 'string' ? part : '<ref>')).join(join[0]);
}

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every statement of every policy attached to roles, inline and managed. */
function statementsOf(synthesized: Template): Statement[] {
  return ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].flatMap((type) =>
    Object.values(synthesized.findResources(type)).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
    ),
  );
}

/** The secret names (with the ARN suffix pattern) the guard may read, from `arn:…:secret:<name>` resources. */
function secretReadResources(synthesized: Template): string[] {
  return statementsOf(synthesized)
    .filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))
    .flatMap((s) => [s.Resource].flat())
    .map((resource) => joinedText(resource).replace(/^arn:<ref>:secretsmanager:<ref>:<ref>:secret:/, ''));
}

describe('table', () => {
  it('is on-demand with pk/sk strings, point-in-time recovery and TTL on expiresAt, without deletion protection', () => {
    expect(table.properties).toEqual({
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      Replicas: [
        {
          DeletionProtectionEnabled: false,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          Region: { Ref: 'AWS::Region' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('is retained when the stack is deleted or the table replaced, and deleted when its creation rolls back', () => {
    // RetainExceptOnCreate: a failed first deploy leaves no table behind to block or litter the next one.
    // Deletion protection stays off, or that rollback could not delete the table (ROLLBACK_FAILED).
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('topics', () => {
  it('are two, both encrypted with the rotating customer-managed key', () => {
    expect(topicIds.sort()).toEqual([alertsTopicId, opsTopicId].sort());
    for (const id of topicIds) {
      expect(template.toJSON().Resources[id].Properties.KmsMasterKeyId).toEqual({
        'Fn::GetAtt': [key.logicalId, 'Arn'],
      });
    }
    expect(key.properties.EnableKeyRotation).toBe(true);
  });

  it('deny publishing without TLS', () => {
    for (const id of topicIds) {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Principal: '*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('let CloudWatch alarms use the key and publish to the ops topic, from this account only', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: opsTopicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: opsTopicId },
            Condition: {
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
  });
});

describe('subscriptions', () => {
  it('give each configured address its own kinds as a filter policy on the alerts topic', () => {
    for (const subscription of config.subscriptions) {
      const filterPolicy: Record<string, string[]> = { kind: [...subscription.kinds] };
      if (subscription.severities) filterPolicy.severity = [...subscription.severities];
      template.hasResourceProperties('AWS::SNS::Subscription', {
        TopicArn: { Ref: alertsTopicId },
        Protocol: 'email',
        Endpoint: subscription.email,
        FilterPolicy: filterPolicy,
        FilterPolicyScope: 'MessageAttributes',
      });
    }
    template.resourcePropertiesCountIs(
      'AWS::SNS::Subscription',
      { TopicArn: { Ref: alertsTopicId } },
      config.subscriptions.length,
    );
  });

  it('filter on severity only where severities are configured', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: 'cfo@example.com',
      FilterPolicy: { kind: ['budget', 'tier-cap'], severity: ['critical'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: 'finance@example.com',
      FilterPolicy: Match.not(Match.objectLike({ severity: Match.anyValue() })),
    });
  });

  it('state the filter policy scope on every filtered subscription, so a changed filter deploys', () => {
    // aws-cdk issue 24804: CloudFormation rejects a filter policy change when the scope is unset.
    for (const synthesized of [template, defaults.template]) {
      const filtered = Object.values(synthesized.findResources('AWS::SNS::Subscription')).filter(
        (s) => s.Properties.FilterPolicy !== undefined,
      );
      expect(filtered.length).toBeGreaterThan(0);
      for (const s of filtered) expect(s.Properties.FilterPolicyScope).toBe('MessageAttributes');
    }
  });

  it('send alarms to the addresses that receive guard errors, unfiltered', () => {
    const opsSubscriptions = template.findResources('AWS::SNS::Subscription', {
      Properties: { TopicArn: { Ref: opsTopicId } },
    });
    expect(Object.values(opsSubscriptions).map((s) => s.Properties)).toEqual([
      { Endpoint: 'platform@example.com', Protocol: 'email', TopicArn: { Ref: opsTopicId } },
    ]);
  });
});

describe('secrets', () => {
  it('exist once per organization, named by apiKeySecretName, holding the placeholder', () => {
    for (const org of config.organizations) {
      template.hasResource('AWS::SecretsManager::Secret', {
        Properties: { Name: org.apiKeySecretName, SecretString: API_KEY_PLACEHOLDER },
        DeletionPolicy: 'Delete',
      });
    }
    template.resourceCountIs('AWS::SecretsManager::Secret', config.organizations.length);
  });

  it('are not created with deployment.createSecrets false; the guard still reads them by name', () => {
    const external = exampleConfigInput();
    external.deployment = { createSecrets: false };
    const synthesized = synthStack(external);
    synthesized.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(secretReadResources(synthesized.template)).toEqual(['budget-guard/runway/studio-??????']);
  });
});

describe('guard function', () => {
  it('runs on Node.js 24, arm64, with a timeout covering every organization', () => {
    expect(fn.properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      // Two organizations: 2 × 60 s + 60 s is below the 3-minute floor.
      Timeout: 180,
    });
  });

  it('reserves no concurrency unless deployment.reservedConcurrency asks for it', () => {
    // A new account's concurrency quota is 10 and Lambda keeps 10 unreserved, so any reservation fails there.
    expect(onlyResource(defaults.template, 'AWS::Lambda::Function').properties).not.toHaveProperty(
      'ReservedConcurrentExecutions',
    );
    expect(fn.properties).not.toHaveProperty('ReservedConcurrentExecutions');
    const reserved = exampleConfigInput();
    reserved.deployment = { reservedConcurrency: 1 };
    expect(
      onlyResource(synthStack(reserved).template, 'AWS::Lambda::Function').properties
        .ReservedConcurrentExecutions,
    ).toBe(1);
  });

  it('gets the table, the alerts topic and the stack name in its environment, and no configuration', () => {
    const variables = (fn.properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toEqual({
      TABLE_NAME: { Ref: table.logicalId },
      TOPIC_ARN: { Ref: alertsTopicId },
      STACK_NAME: 'AgencyBudgetGuard',
      STATE_PARAMETER_PREFIX: '/AgencyBudgetGuard/state/',
    });
    const defaultVariables = onlyResource(defaults.template, 'AWS::Lambda::Function').properties.Environment;
    expect((defaultVariables as { Variables: Record<string, unknown> }).Variables.STACK_NAME).toBe(
      'RunwayBudgetGuard',
    );
  });

  it('never sees an API key in its environment, nor a secret name', () => {
    const variables = JSON.stringify(fn.properties.Environment);
    expect(variables).not.toContain('budget-guard/runway/studio');
    expect(variables).not.toContain(API_KEY_PLACEHOLDER);
  });

  it('logs to its own log group with a retention', () => {
    const logGroup = onlyResource(template, 'AWS::Logs::LogGroup');
    expect(logGroup.properties.RetentionInDays).toBe(90);
    expect(fn.properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroup.logicalId } });
  });

  it('is not retried by Lambda: the next scheduled run catches up', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.anyValue() },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 3600,
    });
  });
});

describe('permissions', () => {
  const roleId = stack.getLogicalId(stack.guard.role.node.defaultChild as never);
  const statements = new Capture();
  template.hasResourceProperties('AWS::IAM::Policy', {
    Roles: [{ Ref: roleId }],
    PolicyDocument: { Statement: statements },
  });

  it('give the guard exactly its log group, table, alerts topic, topic key and organization secrets', () => {
    const byAction = (statements.asArray() as Statement[]).map((s) => ({
      actions: [s.Action].flat().sort(),
      resource: s.Resource,
    }));
    const logGroupId = onlyResource(template, 'AWS::Logs::LogGroup').logicalId;
    expect(byAction).toContainEqual({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
    });
    expect(byAction).toContainEqual({ actions: ['sns:Publish'], resource: { Ref: alertsTopicId } });
    expect(byAction).toContainEqual({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resource: { 'Fn::GetAtt': [key.logicalId, 'Arn'] },
    });
    expect(byAction.flatMap((s) => s.actions).filter((a) => a.startsWith('sns:'))).toEqual(['sns:Publish']);
  });

  it('let the guard call exactly the DynamoDB actions it uses, on its table only: no Scan, no DeleteItem', () => {
    const dynamo = (statements.asArray() as Statement[]).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('dynamodb:')),
    );
    expect(dynamo).toHaveLength(1);
    const actions = [dynamo[0]?.Action].flat().sort();
    expect(actions).toEqual(
      [
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ].sort(),
    );
    expect(actions).toEqual([...GUARD_TABLE_ACTIONS].sort());
    for (const absent of ['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable']) {
      expect(actions).not.toContain(absent);
    }
    expect([dynamo[0]?.Resource].flat()).toEqual([{ 'Fn::GetAtt': [table.logicalId, 'Arn'] }]);
  });

  it("let the guard read each organization's secret and nothing more", () => {
    const reads = statementsOf(template).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
    );
    for (const statement of reads) expect(statement.Action).toBe('secretsmanager:GetSecretValue');
    expect(secretReadResources(template).sort()).toEqual(
      config.organizations.map((org) => `${org.apiKeySecretName}-??????`).sort(),
    );
  });

  it('name a specific resource and a specific action in every statement of every policy', () => {
    for (const statement of statementsOf(template)) {
      expect([statement.Resource].flat()).not.toContain('*');
      // The one pattern: the organizations' state parameters under this stack's own prefix (one per
      // organization, and the fleet changes with the config).
      const resource = JSON.stringify(statement.Resource).replace(/:parameter\/[A-Za-z0-9-]+\/state\/\*/, '');
      expect(resource).not.toMatch(/\*/);
      for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
    }
  });

  it('attach no managed policies to any role', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('schedule', () => {
  it('invokes the guard on the configured expression with a short retry policy', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: config.schedule,
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [fn.logicalId, 'Arn'] },
        RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 3 },
      },
    });
  });

  it('uses a role that may invoke the unqualified guard function and nothing else', () => {
    const target = new Capture();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: { RoleArn: { 'Fn::GetAtt': [target, 'Arn'] } },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: target.asString() }],
      PolicyDocument: {
        Statement: [
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [fn.logicalId, 'Arn'] },
          },
        ],
      },
    });
  });
});

describe('alarms', () => {
  it('fire the heartbeat when no cycle succeeded in two schedule periods, counting silence as failure', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.cycleSucceeded,
      // This stack's cycles only: another stack's healthy runs must not hide this one's silence.
      Dimensions: [{ Name: 'stack', Value: 'AgencyBudgetGuard' }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: opsTopicId }],
    });
  });

  it.each(['Errors', 'Throttles'])('fire on any function %s', (metricName) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: metricName,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn.logicalId } }],
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: opsTopicId }],
      OKActions: [{ Ref: opsTopicId }],
    });
  });

  it('all go to the ops topic only', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(3);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: opsTopicId }]);
  });
});

describe('dashboard', () => {
  const body = joinedText(onlyResource(template, 'AWS::CloudWatch::Dashboard').properties.DashboardBody);
  const widgets = (JSON.parse(body) as { widgets: { properties: { title?: string; metrics?: unknown[] } }[] })
    .widgets;
  const metricsOf = (title: string): unknown[] => {
    const widget = widgets.find((w) => w.properties.title === title);
    if (!widget?.properties.metrics) throw new Error(`no graph titled ${title}`);
    return widget.properties.metrics;
  };
  const stackDim = ['stack', 'AgencyBudgetGuard'];

  it('is deployed only with deployment.dashboard', () => {
    defaults.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(defaults.stack.dashboard).toBeUndefined();
  });

  it("graphs this stack's cycles and notifications", () => {
    expect(metricsOf('Organizations checked')).toEqual([
      [METRICS_NAMESPACE, METRIC.cycleSucceeded, ...stackDim, expect.objectContaining({ stat: 'Sum' })],
      [METRICS_NAMESPACE, METRIC.cycleFailed, ...stackDim, expect.objectContaining({ stat: 'Sum' })],
    ]);
    expect(metricsOf('Notifications sent')).toEqual([
      [METRICS_NAMESPACE, METRIC.notificationsSent, ...stackDim, expect.objectContaining({ stat: 'Sum' })],
    ]);
  });

  it('graphs balance, month-to-date with forecast, and rolling 30 days per organization', () => {
    for (const org of config.organizations) {
      // CloudWatch lists dimensions by name.
      const orgDims = ['org', org.id, ...stackDim];
      expect(metricsOf(`${org.name}: credit balance`)).toEqual([
        [METRICS_NAMESPACE, METRIC.creditBalance, ...orgDims, expect.objectContaining({ stat: 'Maximum' })],
      ]);
      expect(metricsOf(`${org.name}: this month`)).toEqual([
        [METRICS_NAMESPACE, METRIC.monthToDateCredits, ...orgDims, expect.any(Object)],
        [METRICS_NAMESPACE, METRIC.forecastMonthCredits, ...orgDims, expect.any(Object)],
      ]);
      expect(metricsOf(`${org.name}: last 30 days`)).toEqual([
        [METRICS_NAMESPACE, METRIC.rolling30dCredits, ...orgDims, expect.any(Object)],
      ]);
    }
  });

  it("finds every model of an organization with a SEARCH expression for quota use, in this stack's metrics", () => {
    expect(metricsOf('Agency EU: daily quota used')).toEqual([
      [
        {
          expression: `SEARCH('{${METRICS_NAMESPACE},model,org,stack} MetricName="${METRIC.dailyQuotaUsedPercent}" stack="AgencyBudgetGuard" org="agency-eu"', 'Maximum', 3600)`,
          period: 3600,
        },
      ],
    ]);
  });

  it('draws each monthly budget of the whole organization as a line, in credits', () => {
    const widget = widgets.find((w) => w.properties.title === 'Studio production: this month');
    expect(JSON.stringify(widget)).toContain('"value":500000,"label":"budget monthly-total"');
  });

  it('has no per-organization graphs without per-organization metrics', () => {
    const fleetOnly = exampleConfigInput();
    fleetOnly.deployment = { dashboard: true };
    const synthesized = synthStack(fleetOnly).template;
    const text = joinedText(onlyResource(synthesized, 'AWS::CloudWatch::Dashboard').properties.DashboardBody);
    const titles = (JSON.parse(text) as { widgets: { properties: { title?: string } }[] }).widgets.map(
      (w) => w.properties.title,
    );
    expect(titles).toEqual([
      undefined,
      'Guard alarms',
      'Organizations checked',
      'Notifications sent',
      'Guard function',
    ]);
    expect(text).not.toContain('"org"');
  });
});

describe('outputs', () => {
  it('name the table, both topics, the function and the dashboard', () => {
    template.hasOutput('TableName', { Value: { Ref: table.logicalId } });
    template.hasOutput('GuardFunctionName', { Value: { Ref: fn.logicalId } });
    template.hasOutput('AlertsTopicArn', { Value: { Ref: alertsTopicId } });
    template.hasOutput('OpsTopicArn', { Value: { Ref: opsTopicId } });
    template.hasOutput('DashboardName', {
      Value: { Ref: onlyResource(template, 'AWS::CloudWatch::Dashboard').logicalId },
    });
    expect(Object.keys(defaults.template.findOutputs('DashboardName'))).toEqual([]);
  });

  it('print the put-secret-value command for each organization', () => {
    expect(joinedText(template.findOutputs('PutKeyCommandStudio').PutKeyCommandStudio?.Value)).toBe(
      'aws secretsmanager put-secret-value --region <ref> --secret-id budget-guard/runway/studio ' +
        '--secret-string "$RUNWAYML_API_SECRET"',
    );
    expect(joinedText(template.findOutputs('PutKeyCommandAgencyEu').PutKeyCommandAgencyEu?.Value)).toContain(
      '--secret-id budget-guard/runway/agency-eu ',
    );
  });
});

describe('a fleet of 500 organizations', () => {
  const fleetInput = fleetConfigInput(500);
  const fleetConfig = parseConfig(fleetInput, 'fleet config');
  const fleet = synthStack(fleetInput);
  const fleetFn = onlyResource(fleet.template, 'AWS::Lambda::Function');
  const fleetTemplate = fleet.template.toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    Outputs: Record<string, unknown>;
  };

  /** A policy document as IAM will measure it: tokens resolved to their longest values, no whitespace. */
  function worstCaseText(value: unknown): string {
    const resolve = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(resolve);
      if (typeof v !== 'object' || v === null) return v;
      const record = v as Record<string, unknown>;
      if ('Fn::Join' in record) {
        const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
        return parts.map((part) => String(resolve(part))).join(separator);
      }
      if ('Ref' in record) {
        const pseudo: Record<string, string> = {
          'AWS::Partition': 'aws-us-gov',
          'AWS::Region': 'ap-southeast-3',
          'AWS::AccountId': '123456789012',
        };
        return pseudo[record.Ref as string] ?? 'x'.repeat(200);
      }
      if ('Fn::GetAtt' in record) return 'x'.repeat(200);
      return Object.fromEntries(Object.entries(record).map(([k, x]) => [k, resolve(x)]));
    };
    return JSON.stringify(resolve(value));
  }

  it('synthesizes with the whole config outside the environment', () => {
    const variables = (fleetFn.properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'STACK_NAME',
      'STATE_PARAMETER_PREFIX',
      'TABLE_NAME',
      'TOPIC_ARN',
    ]);
    const environment = JSON.stringify(fleetFn.properties.Environment);
    expect(environment.length).toBeLessThan(300);
    for (const org of fleetConfig.organizations) expect(environment).not.toContain(org.id);
    // The config itself is ~200 KB, 50 times what Lambda allows for a whole environment.
    expect(JSON.stringify(fleetConfig).length).toBeGreaterThan(50 * 4096);
  });

  it('gives one run the longest timeout Lambda allows', () => {
    expect(fleetFn.properties.Timeout).toBe(900);
  });

  it('stays within CloudFormation limits: 500 resources and 200 outputs per stack', () => {
    expect(Object.keys(fleetTemplate.Resources).length).toBeLessThan(100);
    expect(Object.keys(fleetTemplate.Outputs)).toContain('PutKeyCommand');
    expect(Object.keys(fleetTemplate.Outputs).length).toBeLessThanOrEqual(200);
  });

  it("lets the guard read every organization's secret, in policies IAM accepts", () => {
    expect(secretReadResources(fleet.template).sort()).toEqual(
      fleetConfig.organizations.map((org) => `${org.apiKeySecretName}-??????`).sort(),
    );
    const policies = Object.values(fleetTemplate.Resources).filter((r) => r.Type.startsWith('AWS::IAM::'));
    const inline = policies.filter((r) => r.Type === 'AWS::IAM::Policy');
    const managed = policies.filter((r) => r.Type === 'AWS::IAM::ManagedPolicy');
    // IAM: 10,240 characters of inline policy per role, 6,144 per managed policy, 10 managed policies per role.
    for (const policy of inline)
      expect(worstCaseText(policy.Properties.PolicyDocument).length).toBeLessThanOrEqual(10_240);
    for (const policy of managed)
      expect(worstCaseText(policy.Properties.PolicyDocument).length).toBeLessThanOrEqual(6_144);
    expect(managed.length).toBeLessThanOrEqual(10);
  });
});
