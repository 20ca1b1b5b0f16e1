import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../functions/config.ts';
import { exampleConfigInput, onlyResource, synthStack } from './stack-fixture.ts';

const TENANT = '0e7a4b1c-2d3f-4a5b-8c9d-0e1f2a3b4c5d';
const TEAM = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';

function withChat(): ConfigInput {
  return {
    ...exampleConfigInput(),
    chat: [
      {
        slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' },
        kinds: ['budget', 'forecast', 'guard-error'],
      },
      {
        teams: { tenantId: TENANT, teamId: TEAM, channelId: '19:a1b2c3d4e5f6@thread.tacv2' },
        severities: ['critical'],
      },
    ],
  };
}

describe('chat channels through AWS Chatbot', () => {
  const { app, stack, template } = synthStack(withChat());

  it('creates one Slack and one Teams channel configuration, each listing only its own topic', () => {
    const topicIds = Object.keys(template.findResources('AWS::SNS::Topic'));
    const slack = onlyResource(template, 'AWS::Chatbot::SlackChannelConfiguration');
    const teams = onlyResource(template, 'AWS::Chatbot::MicrosoftTeamsChannelConfiguration');
    expect(slack.properties).toMatchObject({
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0456EFGH',
      ConfigurationName: 'RunwayBudgetGuard-slack-1',
      LoggingLevel: 'ERROR',
    });
    expect(teams.properties).toMatchObject({
      TeamsTenantId: TENANT,
      TeamId: TEAM,
      // Chatbot stores the Teams channel id URL-encoded.
      TeamsChannelId: '19%3Aa1b2c3d4e5f6%40thread.tacv2',
      ConfigurationName: 'RunwayBudgetGuard-teams-2',
      UserRoleRequired: false,
    });
    const slackTopics = slack.properties.SnsTopicArns as { Ref: string }[];
    const teamsTopics = teams.properties.SnsTopicArns as { Ref: string }[];
    expect(slackTopics).toHaveLength(1);
    expect(teamsTopics).toHaveLength(1);
    expect(slackTopics[0]?.Ref).not.toBe(teamsTopics[0]?.Ref);
    for (const ref of [slackTopics[0]?.Ref, teamsTopics[0]?.Ref]) expect(topicIds).toContain(ref);
    // Neither chat topic is the alerts topic: chat cards never reach email or machine subscribers.
    expect(slackTopics[0]?.Ref).not.toMatch(/^AlertsTopic/);
  });

  it('gives Chatbot a role with no permissions and a deny-all guardrail instead of AdministratorAccess', () => {
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'chatbot.amazonaws.com' } })],
        },
      },
    });
    const [roleId, role] = Object.entries(roles)[0] ?? [];
    expect(Object.keys(roles)).toHaveLength(1);
    expect((role as { Properties: Record<string, unknown> }).Properties.ManagedPolicyArns).toBeUndefined();
    expect((role as { Properties: Record<string, unknown> }).Properties.Policies).toBeUndefined();
    const policies = template.findResources('AWS::IAM::Policy');
    for (const policy of Object.values(policies)) {
      expect((policy as { Properties: { Roles: unknown[] } }).Properties.Roles).not.toContainEqual({
        Ref: roleId,
      });
    }

    const guardrails = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).filter(([id]) =>
      id.startsWith('Chat'),
    );
    expect(guardrails).toHaveLength(1);
    const [logicalId = '', resource] = guardrails[0] ?? [];
    const guardrail = {
      logicalId,
      properties: (resource as { Properties: Record<string, unknown> }).Properties,
    };
    expect(guardrail.properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
    });
    for (const type of [
      'AWS::Chatbot::SlackChannelConfiguration',
      'AWS::Chatbot::MicrosoftTeamsChannelConfiguration',
    ]) {
      template.hasResourceProperties(type, {
        GuardrailPolicies: [{ Ref: guardrail.logicalId }],
        IamRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
      });
    }
  });

  it('encrypts and TLS-guards the chat topics and lets the guard publish to them', () => {
    const slack = onlyResource(template, 'AWS::Chatbot::SlackChannelConfiguration');
    const teams = onlyResource(template, 'AWS::Chatbot::MicrosoftTeamsChannelConfiguration');
    const refs = [slack, teams].map((c) => (c.properties.SnsTopicArns as { Ref: string }[])[0]?.Ref ?? '');
    const topics = template.findResources('AWS::SNS::Topic');
    for (const ref of refs) {
      expect(topics[ref]?.Properties.KmsMasterKeyId).toBeDefined();
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: ref }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 'sns:Publish', Resource: refs.map((Ref) => ({ Ref })) },
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          CHAT_TOPIC_ARNS: { 'Fn::Join': [',', refs.map((Ref) => ({ Ref }))] },
        }),
      },
    });
  });

  it('passes cdk-nag AwsSolutions with no new acknowledgement', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations).toEqual([]);
  });

  it('adds nothing for a config without chat channels', () => {
    const plain = synthStack().template;
    plain.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
    plain.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 0);
    plain.resourceCountIs('AWS::SNS::Topic', 2);
    expect(
      Object.keys(plain.findResources('AWS::IAM::ManagedPolicy')).filter((id) => id.startsWith('Chat')),
    ).toEqual([]);
    expect(JSON.stringify(plain.toJSON())).not.toContain('CHAT_TOPIC_ARNS');
    expect(Template.fromJSON(plain.toJSON()).findOutputs('ChatTopicArns')).toEqual({});
  });
});
