/**
 * The scheduled Lambda: one guard cycle for every configured organization. Adapters are built once per
 * container (config validated at cold start, secrets cached). Throws when any organization failed, after
 * all of them ran, so the errors alarm fires.
 */
import { GuardRunError } from '../domain/errors.ts';
import { createEmfMetrics, createJsonLogger } from '../observability.ts';
import { type OrgCycleResult, runGuard } from './cycle.ts';
import { type LambdaWiring, wireLambda } from './lambda-wiring.ts';

let wiring: LambdaWiring | undefined;
const write = (line: string) => void process.stdout.write(`${line}\n`);
const log = createJsonLogger(write, { service: 'budget-guard' });
const metrics = createEmfMetrics(write);

export async function handler(): Promise<{ organizations: number; notificationsSent: number }> {
  wiring ??= wireLambda(process.env);
  const run = await runGuard(
    wiring.targets,
    { ...wiring.deps, now: () => new Date(), log, metrics },
    { keep: summarize },
  );
  const failures = run.results.flatMap((r) => (r.error ? [{ orgId: r.orgId, error: r.error }] : []));
  if (failures.length > 0) throw new GuardRunError(failures);
  return {
    organizations: run.results.length,
    notificationsSent: run.results.reduce((n, r) => n + r.sent, 0),
  };
}

function summarize(r: OrgCycleResult): { orgId: string; sent: number; error?: Error } {
  const sent = r.notifications.filter((x) => x.outcome === 'sent').length;
  if (r.ok) return { orgId: r.orgId, sent };
  const error = Object.assign(new Error(r.error?.message), { name: r.error?.name ?? 'Error' });
  return { orgId: r.orgId, sent, error };
}
