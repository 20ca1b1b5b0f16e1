import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { synthStack } from './stack-fixture.ts';

describe('cdk-nag AwsSolutions', () => {
  const { app, stack } = synthStack();

  it('reports no unacknowledged finding', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it("acknowledges only secret rotation and the state parameters' own prefix, each with a reason", () => {
    const acknowledged = stack.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
      );
    const byId = new Map(acknowledged.map(([id, reason]) => [id.replace(/^annotation::/i, ''), reason]));
    expect([...byId.keys()].sort()).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/RunwayBudgetGuard/state/*]',
      'AwsSolutions-SMG4',
    ]);
    expect(byId.get('AwsSolutions-SMG4')).toMatch(/rotated in the Runway developer portal/);
    for (const [id, reason] of byId) {
      if (id.startsWith('AwsSolutions-IAM5'))
        expect(reason).toMatch(/One parameter per configured organization/);
    }
  });
});
