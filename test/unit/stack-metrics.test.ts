/**
 * The Lambda's metrics: every datum names its stack, and per-organization metrics (billed per organization
 * and model) are emitted only when the config asks for them.
 */
import { describe, expect, it } from 'vitest';
import { METRIC } from '../../functions/contract.ts';
import { createEmfMetrics, type MetricDatum, stackMetrics } from '../../functions/observability.ts';

type Emit = (datum: MetricDatum, dimensions: Record<string, string>) => void;

function capture(perOrganization: boolean): { lines: Record<string, unknown>[]; emit: Emit } {
  const lines: Record<string, unknown>[] = [];
  const sink = stackMetrics(
    createEmfMetrics(
      (line) => void lines.push(JSON.parse(line) as Record<string, unknown>),
      () => new Date(0),
    ),
    { stack: 'AgencyA', perOrganization },
  );
  return { lines, emit: (datum, dimensions) => sink.emit([datum], dimensions) };
}

function emitCycle(emit: Emit): void {
  emit({ name: METRIC.cycleSucceeded, value: 1, unit: 'Count' }, {});
  emit({ name: METRIC.creditBalance, value: 5000, unit: 'Count' }, { org: 'studio' });
  emit(
    { name: METRIC.dailyQuotaUsedPercent, value: 88, unit: 'Percent' },
    { org: 'studio', model: 'gen4.5' },
  );
}

describe('stackMetrics', () => {
  it('puts the stack dimension on fleet metrics and drops per-organization ones by default', () => {
    const { lines, emit } = capture(false);
    emitCycle(emit);
    expect(lines).toEqual([
      {
        _aws: {
          Timestamp: 0,
          CloudWatchMetrics: [
            {
              Namespace: 'RunwayBudgetGuard',
              Dimensions: [['stack']],
              Metrics: [{ Name: METRIC.cycleSucceeded, Unit: 'Count' }],
            },
          ],
        },
        stack: 'AgencyA',
        CycleSucceeded: 1,
      },
    ]);
  });

  it('keeps per-organization metrics, with the stack dimension, when enabled', () => {
    const { lines, emit } = capture(true);
    emitCycle(emit);
    expect(
      lines.map(
        (line) =>
          (line._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]?.Dimensions,
      ),
    ).toEqual([[['stack']], [['stack', 'org']], [['stack', 'org', 'model']]]);
    expect(lines.map((line) => line.stack)).toEqual(['AgencyA', 'AgencyA', 'AgencyA']);
    expect(lines[2]).toMatchObject({ org: 'studio', model: 'gen4.5', DailyQuotaUsedPercent: 88 });
  });
});
