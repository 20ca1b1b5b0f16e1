/**
 * The scheduled Lambda: one guard cycle for every configured organization. Adapters are built once per
 * container (config read from the code asset and validated at cold start, secrets cached). Metrics carry the
 * stack's name (`STACK_NAME`, set by the stack); per-organization metrics only when the config enables them.
 * Throws when any organization failed, after all of them ran, so the errors alarm fires.
 */
import { METRIC } from '../contract.ts';
import { GuardRunError } from '../domain/errors.ts';
import { createEmfMetrics, createJsonLogger, type MetricsSink, stackMetrics } from '../observability.ts';
import { type OrgCycleResult, runGuard } from './cycle.ts';
import { type LambdaWiring, wireLambda } from './lambda-wiring.ts';

let wiring: LambdaWiring | undefined;
let metrics: MetricsSink | undefined;
const write = (line: string) => void process.stdout.write(`${line}\n`);
const log = createJsonLogger(write, { service: 'budget-guard' });

export async function handler(): Promise<{ organizations: number; notificationsSent: number }> {
  wiring ??= wireLambda(process.env);
  metrics ??= stackMetrics(createEmfMetrics(write), {
    stack: wiring.stackName,
    // Off unless the config turns them on (the default of deploymentSettings, which stays out of the bundle).
    perOrganization: !!wiring.deps.config.deployment?.perOrganizationMetrics,
  });
  const run = await runGuard(
    wiring.targets,
    { ...wiring.deps, now: () => new Date(), log, metrics },
    { keep: summarize },
  );
  const notificationsSent = run.results.reduce((n, r) => n + r.sent, 0);
  metrics.emit([{ name: METRIC.notificationsSent, value: notificationsSent, unit: 'Count' }], {});
  const failures = run.results.flatMap((r) => (r.error ? [{ orgId: r.orgId, error: r.error }] : []));
  if (failures.length > 0) throw new GuardRunError(failures);
  return { organizations: run.results.length, notificationsSent };
}

function summarize(r: OrgCycleResult): { orgId: string; sent: number; error?: Error } {
  const sent = r.notifications.filter((x) => x.outcome === 'sent').length;
  if (r.ok) return { orgId: r.orgId, sent };
  const error = Object.assign(new Error(r.error?.message), { name: r.error?.name ?? 'Error' });
  return { orgId: r.orgId, sent, error };
}
