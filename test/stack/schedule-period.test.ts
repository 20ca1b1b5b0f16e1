import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { guardTimeout, heartbeatWindow, readSchedulePeriod } from '../../lib/schedule-period.ts';
import { exampleConfigInput, synthStack } from './stack-fixture.ts';

describe('readSchedulePeriod', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(15 minutes)', 900],
    ['rate(1 hour)', 3600],
    ['rate(6 hours)', 21_600],
    ['rate(2 days)', 172_800],
  ])('reads %s as %i seconds', (expression, seconds) => {
    const schedule = readSchedulePeriod(expression);
    expect(schedule.period.toSeconds()).toBe(seconds);
    expect(schedule.exact).toBe(true);
  });

  it('assumes 1 hour for a cron expression and says so', () => {
    const schedule = readSchedulePeriod('cron(0 * * * ? *)');
    expect(schedule.period.toSeconds()).toBe(3600);
    expect(schedule.exact).toBe(false);
  });
});

describe('heartbeatWindow', () => {
  it('covers two schedule periods', () => {
    const window = heartbeatWindow(readSchedulePeriod('rate(15 minutes)'));
    expect([window.period.toSeconds(), window.evaluationPeriods]).toEqual([900, 2]);
  });

  it('splits periods longer than a day into days', () => {
    const window = heartbeatWindow(readSchedulePeriod('rate(3 days)'));
    expect([window.period.toSeconds(), window.evaluationPeriods]).toEqual([86_400, 6]);
  });

  it('refuses a schedule whose two periods exceed the 7-day alarm look-back', () => {
    expect(() => heartbeatWindow(readSchedulePeriod('rate(4 days)'))).toThrow(/at most rate\(3 days\)/);
  });
});

describe('guardTimeout', () => {
  it.each([
    [1, 180],
    [2, 180],
    [4, 300],
    [20, 900],
  ])('gives %i organizations %i seconds', (organizations, seconds) => {
    expect(guardTimeout(organizations).toSeconds()).toBe(seconds);
  });
});

describe('a stack on another schedule', () => {
  it('sizes the heartbeat, the invoke retry and the event age from rate(15 minutes)', () => {
    const input = { ...exampleConfigInput(), schedule: 'rate(15 minutes)' };
    const { template } = synthStack(input);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CycleSucceeded',
      Period: 900,
      EvaluationPeriods: 2,
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: { RetryPolicy: { MaximumEventAgeInSeconds: 900 } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumEventAgeInSeconds: 900 });
  });

  it('warns at synth that a cron heartbeat assumes hourly runs', () => {
    const input = { ...exampleConfigInput(), schedule: 'cron(0 8 ? * MON-FRI *)' };
    const { stack, template } = synthStack(input);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CycleSucceeded', Period: 3600 });
    Annotations.fromStack(stack).hasWarning(
      '/RunwayBudgetGuard',
      Match.stringLikeRegexp('assumes .* at least hourly'),
    );
  });
});
