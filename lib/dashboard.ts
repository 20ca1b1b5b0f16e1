/**
 * The CloudWatch dashboard (opt-in, `deployment.dashboard`): the guard's health and the fleet's cycles and
 * notifications on top; with `deployment.perOrganizationMetrics`, one row per organization with its credit
 * balance, month-to-date spend against its forecast and monthly budgets, rolling 30-day spend, and each
 * model's share of its daily generation quota. Every metric is read with this stack's `stack` dimension;
 * per-organization metrics also carry `org`, and quota metrics `model`, whose values Runway decides, so those
 * graphs use a SEARCH expression.
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
import { DIMENSION, METRIC, METRICS_NAMESPACE } from '../functions/contract.ts';

export interface GuardDashboardProps {
  readonly config: Config;
  readonly function: IFunction;
  readonly alarms: IAlarm[];
  /** The `stack` dimension the guard puts on its metrics. */
  readonly stackName: string;
  /** Add a row of graphs per organization (the guard emits those metrics only when this is set). */
  readonly perOrganizationMetrics: boolean;
  /** Metric period: one schedule period, so each point is one run. */
  readonly period: Duration;
}

const WIDTH = 24;

/** The heading and the guard's four graphs. */
const FLEET_WIDGETS = 5;
const WIDGETS_PER_ORGANIZATION = 4;
/** CloudWatch's limit on the widgets of one dashboard. */
const MAX_WIDGETS = 500;
/** The most organizations the dashboard can show a row for. */
export const MAX_DASHBOARD_ORGANIZATIONS = Math.floor(
  (MAX_WIDGETS - FLEET_WIDGETS) / WIDGETS_PER_ORGANIZATION,
);

export class GuardDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: GuardDashboardProps) {
    super(scope, id);
    const { config, period } = props;
    const stack = { [DIMENSION.stack]: props.stackName };

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
      new AlarmStatusWidget({ title: 'Guard alarms', alarms: props.alarms, width: 6, height: 6 }),
      new GraphWidget({
        title: 'Organizations checked',
        left: [
          guardMetric(METRIC.cycleSucceeded, stack, period, 'succeeded'),
          guardMetric(METRIC.cycleFailed, stack, period, 'failed'),
        ],
        leftYAxis: { min: 0 },
        width: 6,
        height: 6,
      }),
      new GraphWidget({
        title: 'Notifications sent',
        left: [guardMetric(METRIC.notificationsSent, stack, period, 'notifications')],
        leftYAxis: { min: 0 },
        width: 6,
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
        width: 6,
        height: 6,
      }),
    );

    if (!props.perOrganizationMetrics) return;
    for (const org of config.organizations) {
      this.dashboard.addWidgets(...organizationRow(org, config, props.stackName, period));
    }
  }
}

function organizationRow(
  org: OrganizationConfig,
  config: Config,
  stackName: string,
  period: Duration,
): GraphWidget[] {
  const dims = { [DIMENSION.stack]: stackName, [DIMENSION.org]: org.id };
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
      left: [quotaSearch(stackName, org.id, period)],
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
    // Counts add up over the period; gauges: the last run's value is the one that counts, and Maximum keeps
    // a single run per period exact.
    statistic: COUNTS.has(metricName) ? Stats.SUM : Stats.MAXIMUM,
    label,
  });
}

const COUNTS: ReadonlySet<string> = new Set([
  METRIC.cycleSucceeded,
  METRIC.cycleFailed,
  METRIC.notificationsSent,
]);

/** Every model of one organization, whatever Runway names it. */
function quotaSearch(stackName: string, orgId: string, period: Duration): IMetric {
  return new MathExpression({
    expression:
      `SEARCH('{${METRICS_NAMESPACE},model,org,stack} MetricName="${METRIC.dailyQuotaUsedPercent}" ` +
      `stack="${stackName}" org="${orgId}"', 'Maximum', ${period.toSeconds()})`,
    usingMetrics: {},
    label: '',
    period,
  });
}
