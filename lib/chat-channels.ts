/**
 * Slack and Microsoft Teams channels through AWS Chatbot: one SNS topic per configured chat channel, one
 * Chatbot channel configuration listing only that topic, and the least privilege Chatbot allows.
 *
 * Why a topic per channel: AWS Chatbot subscribes to the topics a channel configuration lists by itself (an
 * https subscription it owns), and neither Chatbot nor CloudFormation can put a filter policy on that
 * subscription (hashicorp/terraform-provider-aws#42752). So each channel gets its own topic and the guard
 * publishes a chat card only to the topics of the channels whose kinds and severities match. The topics carry
 * nothing but chat cards; the alerts topic never carries one.
 *
 * Permissions: the channels only receive notifications, which SNS pushes; nobody runs commands from them. The
 * channel role can be assumed by chatbot.amazonaws.com and has no policy, and the channel guardrail (the
 * ceiling of what anyone in the channel could do; AdministratorAccess when unset) is a policy that denies
 * every action.
 */
import { Stack } from 'aws-cdk-lib';
import {
  CfnMicrosoftTeamsChannelConfiguration,
  LoggingLevel,
  SlackChannelConfiguration,
} from 'aws-cdk-lib/aws-chatbot';
import {
  Effect,
  ManagedPolicy,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type ChatChannel, teamsChannelIdForChatbot } from '../functions/config.ts';

export interface ChatChannelsProps {
  readonly channels: readonly ChatChannel[];
  /** Encrypts the chat topics (SNS decrypts before it delivers to Chatbot). */
  readonly topicKey: IKey;
}

/** Chatbot configuration names: `[A-Za-z0-9-_]`, at most 128 characters, unique in the account and Region. */
function configurationName(stackName: string, index: number, platform: string): string {
  const base = `${stackName}`.replace(/[^A-Za-z0-9-_]/g, '-').slice(0, 100);
  return `${base}-${platform}-${index + 1}`;
}

export class ChatChannels extends Construct {
  /** One per entry of the config's `chat` list, in order. */
  readonly topics: readonly Topic[];

  constructor(scope: Construct, id: string, props: ChatChannelsProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    if (props.channels.length === 0) {
      this.topics = [];
      return;
    }
    const role = new Role(this, 'ChannelRole', {
      assumedBy: new ServicePrincipal('chatbot.amazonaws.com'),
      description:
        'Runway Budget Guard chat channels: notifications only, so this role has no permissions at all',
    });
    const guardrail = new ManagedPolicy(this, 'DenyAllGuardrail', {
      description:
        'Runway Budget Guard chat channels only receive notifications: nothing may be run from them',
      document: new PolicyDocument({
        statements: [new PolicyStatement({ effect: Effect.DENY, actions: ['*'], resources: ['*'] })],
      }),
    });

    this.topics = props.channels.map((channel, index) => {
      const label = channel.slack
        ? `Slack channel ${channel.slack.channelId}`
        : `Teams channel ${channel.teams?.channelId ?? ''}`;
      const topic = new Topic(this, `Topic${index + 1}`, {
        displayName: `Runway Budget Guard chat (${label})`.slice(0, 100),
        masterKey: props.topicKey,
        enforceSSL: true,
      });
      if (channel.slack) {
        new SlackChannelConfiguration(this, `Slack${index + 1}`, {
          slackChannelConfigurationName: configurationName(stackName, index, 'slack'),
          slackWorkspaceId: channel.slack.workspaceId,
          slackChannelId: channel.slack.channelId,
          notificationTopics: [topic],
          role,
          guardrailPolicies: [guardrail],
          loggingLevel: LoggingLevel.ERROR,
        });
      } else if (channel.teams) {
        new CfnMicrosoftTeamsChannelConfiguration(this, `Teams${index + 1}`, {
          configurationName: configurationName(stackName, index, 'teams'),
          teamsTenantId: channel.teams.tenantId,
          teamId: channel.teams.teamId,
          teamsChannelId: teamsChannelIdForChatbot(channel.teams.channelId),
          snsTopicArns: [topic.topicArn],
          iamRoleArn: role.roleArn,
          guardrailPolicies: [guardrail.managedPolicyArn],
          loggingLevel: 'ERROR',
          userRoleRequired: false,
        });
      }
      return topic;
    });
  }

  /** Lets `fn` publish chat cards to every chat topic (the topic key's use is granted with the alerts topic). */
  grantPublish(fn: IFunction): void {
    if (this.topics.length === 0) return;
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['sns:Publish'], resources: this.topics.map((t) => t.topicArn) }),
    );
  }
}
