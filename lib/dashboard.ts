/**
 * One CloudWatch dashboard: the guard's health on top, then one row per organization with its credit
 * balance, month-to-date spend against its forecast and monthly budgets, rolling 30-day spend, and each
 * model's share of its daily generation quota. Per-organization metrics carry the `org` dimension; quota
 * metrics also carry `model`, whose values Runway decides, so those graphs use a SEARCH expression.
 */
import type { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { type Config, limitInCredits, type OrganizationConfig } from '../functions/config.ts';
import { METRIC, METRICS_NAMESPACE } from '../functions/contract.ts';

export interface GuardDashboardProps {
  readonly config: Config;
  readonly function: IFunction;
  readonly alarms: IAlarm[];
  /** Metric period: one schedule period, so each point is one run. */
  readonly period: Duration;
}

const WIDTH = 24;

export class GuardDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: GuardDashboardProps) {
    super(scope, id);
    const { config, period } = props;

    this.dashboard = new Dashboard(this, 'Dashboard');

    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Runway Budget Guard\nCredits are Runway credits ' +
          `(1 credit = $${config.usdPerCredit}). Schedule: \`${config.schedule}\`.`,
        width: WIDTH,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Guard alarms', alarms: props.alarms, width: 8, height: 6 }),
      new GraphWidget({
        title: 'Guard cycles',
        left: [
          guardMetric(METRIC.cycleSucceeded, {}, period, 'succeeded'),
          guardMetric(METRIC.cycleFailed, {}, period, 'failed'),
        ],
        width: 8,
        height: 6,
      }),
      new GraphWidget({
        title: 'Guard function',
        left: [
          props.function.metricErrors({ period, label: 'errors' }),
          props.function.metricThrottles({ period, label: 'throttles' }),
        ],
        right: [
          props.function.metricDuration({ period, statistic: Stats.MAXIMUM, label: 'max duration (ms)' }),
        ],
        width: 8,
        height: 6,
      }),
    );

    for (const org of config.organizations) {
      this.dashboard.addWidgets(...organizationRow(org, config, period));
    }
  }
}

function organizationRow(org: OrganizationConfig, config: Config, period: Duration): GraphWidget[] {
  const dims = { org: org.id };
  const monthBudgets = org.budgets.filter((b) => b.period === 'month' && b.model === undefined);
  const lowBalance = org.lowBalance?.credits;
  return [
    new GraphWidget({
      title: `${org.name}: credit balance`,
      left: [guardMetric(METRIC.creditBalance, dims, period, 'balance (credits)')],
      leftAnnotations:
        lowBalance === undefined ? [] : [{ value: lowBalance, label: 'low-balance alert', color: '#d62728' }],
      leftYAxis: { min: 0 },
      width: 6,
      height: 6,
    }),
    new GraphWidget({
      title: `${org.name}: this month`,
      left: [
        guardMetric(METRIC.monthToDateCredits, dims, period, 'month to date (credits)'),
        guardMetric(METRIC.forecastMonthCredits, dims, period, 'forecast for the month (credits)'),
      ],
      leftAnnotations: monthBudgets.map((b) => ({
        value: limitInCredits(b.limit, config.usdPerCredit),
        label: `budget ${b.id}`,
        color: '#ff7f0e',
      })),
      leftYAxis: { min: 0 },
      width: 6,
      height: 6,
    }),
    new GraphWidget({
      title: `${org.name}: last 30 days`,
      left: [guardMetric(METRIC.rolling30dCredits, dims, period, 'rolling 30 days (credits)')],
      leftYAxis: { min: 0 },
      width: 6,
      height: 6,
    }),
    new GraphWidget({
      title: `${org.name}: daily quota used`,
      left: [quotaSearch(org.id, period)],
      leftAnnotations: config.dailyQuotaThresholds.map((value) => ({ value, color: '#d62728' })),
      leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
      width: 6,
      height: 6,
    }),
  ];
}

function guardMetric(
  metricName: string,
  dimensionsMap: Record<string, string>,
  period: Duration,
  label: string,
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap,
    period,
    // Gauges: the last run's value is the one that counts; Maximum keeps a single run per period exact.
    statistic:
      metricName === METRIC.cycleSucceeded || metricName === METRIC.cycleFailed ? Stats.SUM : Stats.MAXIMUM,
    label,
  });
}

/** Every model of one organization, whatever Runway names it. */
function quotaSearch(orgId: string, period: Duration): IMetric {
  return new MathExpression({
    expression:
      `SEARCH('{${METRICS_NAMESPACE},model,org} MetricName="${METRIC.dailyQuotaUsedPercent}" ` +
      `org="${orgId}"', 'Maximum', ${period.toSeconds()})`,
    usingMetrics: {},
    label: '',
    period,
  });
}
