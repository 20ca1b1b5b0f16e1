/**
 * The state parameters in the stack: the guard may write only its own prefix, a pipeline gets a managed
 * policy that reads only that prefix, and the outputs tell both where to look.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthStack } from './stack-fixture.ts';

const { template } = synthStack();
const prefixArn = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ssm:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':parameter/RunwayBudgetGuard/state/*',
    ],
  ],
};

describe('state parameters', () => {
  it('tell the guard where to write, in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ STATE_PARAMETER_PREFIX: '/RunwayBudgetGuard/state/' }) },
    });
  });

  it('may be written by the guard and read by a pipeline policy, each on the prefix alone', () => {
    const statementsOf = (type: string) =>
      Object.values(template.findResources(type)).flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
            .Statement,
      );
    // The pipeline's policy reads the states and nothing else.
    expect(statementsOf('AWS::IAM::ManagedPolicy')).toEqual([
      { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: prefixArn },
    ]);
    // The guard writes them, and no other statement touches SSM.
    const ssm = statementsOf('AWS::IAM::Policy').filter((st) => JSON.stringify(st).includes('ssm:'));
    expect(ssm).toEqual([{ Action: 'ssm:PutParameter', Effect: 'Allow', Resource: prefixArn }]);
  });

  it('are named in the outputs, with the policy a pipeline attaches', () => {
    template.hasOutput('StateParameterPrefix', { Value: '/RunwayBudgetGuard/state/' });
    template.hasOutput('StateReadPolicyArn', {
      Value: { Ref: Match.stringLikeRegexp('StateParametersReadPolicy') },
    });
  });
});
