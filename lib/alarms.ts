/**
 * Alarms on the guard itself, all sending to the ops topic: the function failed, the function was
 * throttled, and the heartbeat (no successful cycle in two schedule periods). The heartbeat reads the cycle
 * metric of this stack only (its `stack` dimension), so another stack's runs cannot keep it quiet.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DIMENSION, METRIC, METRICS_NAMESPACE } from '../functions/contract.ts';
import type { HeartbeatWindow } from './schedule-period.ts';

export interface GuardAlarmsProps {
  readonly function: IFunction;
  readonly opsTopic: ITopic;
  readonly heartbeat: HeartbeatWindow;
  /** The `stack` dimension the guard puts on its metrics. */
  readonly stackName: string;
}

export class GuardAlarms extends Construct {
  readonly errors: Alarm;
  readonly throttles: Alarm;
  readonly heartbeat: Alarm;

  constructor(scope: Construct, id: string, props: GuardAlarmsProps) {
    super(scope, id);
    // Any datum in a 5-minute period alarms. No invocation in a period is not a failure: the heartbeat
    // covers runs that never start.
    const anyIn5Minutes = (alarmId: string, alarmDescription: string, metric: Metric) =>
      new Alarm(this, alarmId, {
        alarmDescription,
        metric,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    const sumOver5Minutes = { period: Duration.minutes(5), statistic: Stats.SUM };

    this.errors = anyIn5Minutes(
      'Errors',
      'Runway Budget Guard: a guard run failed (Runway unreachable, a publish failed, or a bug). ' +
        'The next run retries; see the function logs.',
      props.function.metricErrors(sumOver5Minutes),
    );
    this.throttles = anyIn5Minutes(
      'Throttles',
      'Runway Budget Guard: an invocation was throttled (the account is out of concurrency, or the reserved ' +
        'concurrency is used up). Runs are queued and retried; repeated throttles delay alerts.',
      props.function.metricThrottles(sumOver5Minutes),
    );

    this.heartbeat = new Alarm(this, 'Heartbeat', {
      alarmDescription:
        'Runway Budget Guard: no guard cycle has succeeded in two schedule periods, so budgets are not being ' +
        'watched. Check the errors alarm, the schedule and the function logs.',
      metric: new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC.cycleSucceeded,
        dimensionsMap: { [DIMENSION.stack]: props.stackName },
        statistic: Stats.SUM,
        period: props.heartbeat.period,
      }),
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      evaluationPeriods: props.heartbeat.evaluationPeriods,
      datapointsToAlarm: props.heartbeat.evaluationPeriods,
      // The guard emits nothing when it does not run: silence is the failure this alarm exists for.
      treatMissingData: TreatMissingData.BREACHING,
    });

    const toOps = new SnsAction(props.opsTopic);
    for (const alarm of this.all()) {
      alarm.addAlarmAction(toOps);
      alarm.addOkAction(toOps);
    }
  }

  all(): Alarm[] {
    return [this.errors, this.throttles, this.heartbeat];
  }
}
