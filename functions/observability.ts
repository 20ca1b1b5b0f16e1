/**
 * Structured logs and CloudWatch metrics. Metrics are Embedded Metric Format log lines: CloudWatch turns
 * them into metrics with no API call and no extra dependency in the bundle.
 */
import { METRICS_NAMESPACE } from './contract.ts';

export interface Logger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface MetricDatum {
  readonly name: string;
  readonly value: number;
  readonly unit: 'Count' | 'Percent' | 'Milliseconds';
}

export interface MetricsSink {
  emit(metrics: readonly MetricDatum[], dimensions: Readonly<Record<string, string>>): void;
}

/** One JSON object per line, as CloudWatch Logs Insights reads best. */
export function createJsonLogger(write: (line: string) => void, base: Record<string, unknown> = {}): Logger {
  const log = (level: string) => (message: string, data?: Record<string, unknown>) =>
    write(JSON.stringify({ level, timestamp: new Date().toISOString(), message, ...base, ...data }));
  return { info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}

/** Discards everything (tests, and the CLI where the report is the output). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Writes EMF documents; `clock` stamps them. */
export function createEmfMetrics(
  write: (line: string) => void,
  clock: () => Date = () => new Date(),
): MetricsSink {
  return {
    emit(metrics, dimensions) {
      if (metrics.length === 0) return;
      const doc: Record<string, unknown> = {
        _aws: {
          Timestamp: clock().getTime(),
          CloudWatchMetrics: [
            {
              Namespace: METRICS_NAMESPACE,
              Dimensions: [Object.keys(dimensions)],
              Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
            },
          ],
        },
        ...dimensions,
      };
      for (const m of metrics) doc[m.name] = m.value;
      write(JSON.stringify(doc));
    },
  };
}

export const noMetrics: MetricsSink = { emit() {} };

/**
 * The Lambda's metrics: every datum gets the `stack` dimension, and per-organization metrics (those with an
 * `org` dimension) are dropped unless `perOrganization` is set. Each value of `org` (× `model`) is a custom
 * metric billed every month, so at 100 organizations they would be most of the bill; the alerts do not
 * need them, and the fleet's cycle counts keep the heartbeat alarm working. (The dimension names are
 * `DIMENSION` in contract.ts, written out here to keep the object out of the bundle.)
 */
export function stackMetrics(
  sink: MetricsSink,
  options: { readonly stack: string; readonly perOrganization: boolean },
): MetricsSink {
  return {
    emit(metrics, dimensions) {
      if (options.perOrganization || !('org' in dimensions)) {
        sink.emit(metrics, { stack: options.stack, ...dimensions });
      }
    },
  };
}

/** `Name: message` of an error, never its serialized object; `String(value)` for anything else. */
export function errorSummary(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The message of an error, never its serialized object (which may carry request details). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
