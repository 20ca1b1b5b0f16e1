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

  it('acknowledges only secret rotation, with a reason', () => {
    const acknowledged = stack.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
      );
    expect(acknowledged.map(([id]) => id.replace(/^annotation::/i, ''))).toEqual(['AwsSolutions-SMG4']);
    for (const [, reason] of acknowledged) expect(reason).toMatch(/rotated in the Runway developer portal/);
  });
});
