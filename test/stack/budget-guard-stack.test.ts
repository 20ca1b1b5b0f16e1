import { Capture, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type ConfigInput, parseConfig, parseConfigText } from '../../functions/config.ts';
import { API_KEY_PLACEHOLDER, METRIC, METRICS_NAMESPACE } from '../../functions/contract.ts';
import { exampleConfigInput, onlyResource, synthStack } from './stack-fixture.ts';

/** The example config plus a second organization and a severity-filtered subscription. */
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
  return input;
}

const input = twoOrgConfig();
const config = parseConfig(input, 'test config');
const { stack, template } = synthStack(input);

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

describe('table', () => {
  it('is on-demand with pk/sk strings, point-in-time recovery, deletion protection and TTL on expiresAt', () => {
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
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          Region: { Ref: 'AWS::Region' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('is retained when the stack is deleted', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
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
});

describe('guard function', () => {
  it('runs on Node.js 24, arm64, one at a time, with a timeout covering every organization', () => {
    expect(fn.properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      ReservedConcurrentExecutions: 1,
      // Two organizations: 2 × 60 s + 60 s is below the 3-minute floor.
      Timeout: 180,
    });
  });

  it('gets the table, the alerts topic and the validated config in its environment', () => {
    const variables = (fn.properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'BUDGET_GUARD_CONFIG',
      'STATE_PARAMETER_PREFIX',
      'TABLE_NAME',
      'TOPIC_ARN',
    ]);
    expect(variables.TABLE_NAME).toEqual({ Ref: table.logicalId });
    expect(variables.TOPIC_ARN).toEqual({ Ref: alertsTopicId });
    expect(parseConfigText(variables.BUDGET_GUARD_CONFIG as string, 'env')).toEqual(config);
  });

  it('never sees an API key: only secret names travel in its environment', () => {
    const variables = JSON.stringify(fn.properties.Environment);
    expect(variables).toContain('budget-guard/runway/studio');
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
    const byAction = (statements.asArray() as { Action: string | string[]; Resource: unknown }[]).map(
      (s) => ({
        actions: [s.Action].flat().sort(),
        resource: s.Resource,
      }),
    );
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
    for (const secret of stack.secrets.values()) {
      expect(byAction).toContainEqual({
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        resource: { Ref: stack.getLogicalId(secret.node.defaultChild as never) },
      });
    }
    const dynamo = byAction.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.length).toBeGreaterThan(0);
    for (const statement of dynamo) {
      expect(statement.resource).toEqual({ 'Fn::GetAtt': [table.logicalId, 'Arn'] });
    }
    expect(byAction.flatMap((s) => s.actions).filter((a) => a.startsWith('sns:'))).toEqual(['sns:Publish']);
  });

  it('name a specific resource and a specific action in every statement of every policy', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        expect([statement.Resource].flat()).not.toContain('*');
        expect(JSON.stringify(statement.Resource)).not.toMatch(/\*/);
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
      }
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
      Dimensions: Match.absent(),
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

  it('graphs balance, month-to-date with forecast, and rolling 30 days per organization', () => {
    for (const org of config.organizations) {
      expect(metricsOf(`${org.name}: credit balance`)).toEqual([
        [
          METRICS_NAMESPACE,
          METRIC.creditBalance,
          'org',
          org.id,
          expect.objectContaining({ stat: 'Maximum' }),
        ],
      ]);
      expect(metricsOf(`${org.name}: this month`)).toEqual([
        [METRICS_NAMESPACE, METRIC.monthToDateCredits, 'org', org.id, expect.any(Object)],
        [METRICS_NAMESPACE, METRIC.forecastMonthCredits, 'org', org.id, expect.any(Object)],
      ]);
      expect(metricsOf(`${org.name}: last 30 days`)).toEqual([
        [METRICS_NAMESPACE, METRIC.rolling30dCredits, 'org', org.id, expect.any(Object)],
      ]);
    }
  });

  it('finds every model of an organization with a SEARCH expression for quota use', () => {
    expect(metricsOf('Agency EU: daily quota used')).toEqual([
      [
        {
          expression: `SEARCH('{${METRICS_NAMESPACE},model,org} MetricName="${METRIC.dailyQuotaUsedPercent}" org="agency-eu"', 'Maximum', 3600)`,
          period: 3600,
        },
      ],
    ]);
  });

  it('draws each monthly budget of the whole organization as a line, in credits', () => {
    const widget = widgets.find((w) => w.properties.title === 'Studio production: this month');
    expect(JSON.stringify(widget)).toContain('"value":500000,"label":"budget monthly-total"');
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
