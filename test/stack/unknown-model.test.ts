/** Synth warns, without failing, about a budget on a model Runway does not list. */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { exampleConfigInput, synthStack } from './stack-fixture.ts';

describe('budget-guard:unknown-model', () => {
  it('names the JSON path, the closest known model, and that Runway may have added it', () => {
    const input = exampleConfigInput();
    const org = input.organizations[0];
    if (!org) throw new Error('the example has an organization');
    org.budgets = [
      { id: 'total', period: 'month', limit: { usd: 1000 }, thresholds: [80, 100] },
      { id: 'veo-daily', period: 'day', model: 'veo3.2', limit: { credits: 3000 }, thresholds: [80, 100] },
    ];
    const { stack } = synthStack(input);
    const warnings = Annotations.fromStack(stack).findWarning(
      '/RunwayBudgetGuard',
      Match.stringLikeRegexp('veo3\\.2'),
    );
    expect(warnings).toHaveLength(1);
    const text = JSON.stringify(warnings[0]?.entry.data);
    expect(text).toContain('$.organizations[0].budgets[1].model');
    expect(text).toContain('did you mean \\"veo3.1\\"?');
    expect(text).toContain('a model Runway added later');
    expect(text).toContain('budget-guard:unknown-model');
  });

  it('says nothing when every budget names a published model', () => {
    const { stack } = synthStack();
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('published model list'));
  });
});
