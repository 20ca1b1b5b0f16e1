/** `budget-guard check`: one guard cycle, with the overview report and every notification. */
import type { Config } from '../config.ts';
import type { GuardEnv } from '../contract.ts';
import type { StorePort } from '../domain/types.ts';
import { type OrgCycleResult, runGuard } from '../guard/cycle.ts';
import { createJsonLogger, silentLogger } from '../observability.ts';
import { checkModelWarning, RUNWAY_KNOWN_MODELS, unknownBudgetModels } from '../runway-models.ts';
import { renderReport } from './report.ts';
import {
  openGuardSources,
  openNotifier,
  openStatePublisher,
  openStore,
  type ReadCommandOptions,
} from './wiring.ts';

export interface CheckOptions extends ReadCommandOptions {
  readonly verbose?: boolean;
}

export interface Io {
  readonly env: GuardEnv;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Runs the check; returns the exit code (0 done, 1 the cycle failed). Throws UsageError/ConfigError (exit 2). */
export async function runCheck(options: CheckOptions, io: Io): Promise<number> {
  const now = options.now ?? new Date();
  const { config, configSource, runway, mode } = await openGuardSources({
    ...options,
    now,
    env: io.env,
    cwd: io.cwd,
  });
  const printed: string[] = [];
  const closers: { close(): Promise<void> }[] = [runway];
  try {
    const store = await openStore(io.env, io.cwd, mode);
    closers.push(store);
    const notifier = openNotifier(io.env, io.cwd, (text) => printed.push(text), mode, config);
    closers.push(notifier);
    const run = await runGuard(runway.targets, {
      config,
      store: store.store,
      notifier: notifier.notifier,
      // Simulated data never reaches a real state parameter.
      statePublisher: runway.simulated ? undefined : openStatePublisher(io.env),
      now: () => now,
      log: options.verbose ? createJsonLogger((l) => io.stderr(`${l}\n`)) : silentLogger,
    });
    const warnings = await budgetModelWarnings(config, run.results, store.store);
    if (options.json) {
      io.stdout(
        `${JSON.stringify({
          ok: run.ok,
          simulated: runway.simulated,
          runway: runway.description,
          store: store.description,
          notifier: notifier.description,
          // Alerts another live run holds: this run did not send them (the report says so too).
          inFlight: run.results.flatMap((r) =>
            r.notifications
              .filter((x) => x.outcome === 'in-flight')
              .map((x) => ({ orgId: r.orgId, key: x.key, subject: x.subject })),
          ),
          configSource,
          warnings: warnings.map(({ orgId, path, budgetId, model, suggestion, message }) => ({
            orgId,
            path,
            budgetId,
            model,
            suggestion: suggestion ?? null,
            message,
          })),
          results: run.results,
        })}\n`,
      );
    } else {
      for (const result of run.results) {
        io.stdout(
          renderReport(result, {
            usdPerCredit: config.usdPerCredit,
            runwayDescription: runway.description,
            storeDescription: store.description,
            notifierDescription: notifier.description,
            simulated: runway.simulated,
            configSource,
            warnings: warnings.filter((w) => w.orgId === result.orgId).map((w) => w.message),
          }),
        );
      }
      if (printed.length > 0)
        io.stdout(
          `\n${'='.repeat(78)}\nNotifications as delivered\n${'='.repeat(78)}\n\n${printed.join('')}`,
        );
    }
    return run.ok ? 0 : 1;
  } finally {
    for (const c of closers.reverse()) await c.close().catch(() => {});
  }
}

/**
 * Budgets naming a model that the organization's tier and its stored usage never mention: such a budget
 * counts nothing (a typo, or a model not used yet). Organizations whose run read nothing are skipped.
 */
async function budgetModelWarnings(
  config: Config,
  results: readonly OrgCycleResult[],
  store: StorePort,
): Promise<(ReturnType<typeof unknownBudgetModels>[number] & { message: string })[]> {
  const out: (ReturnType<typeof unknownBudgetModels>[number] & { message: string })[] = [];
  for (const result of results) {
    const index = config.organizations.findIndex((o) => o.id === result.orgId);
    const org = config.organizations[index];
    if (!result.overview || !org || org.budgets.every((b) => b.model === undefined)) continue;
    const seen = new Set(result.overview.models.map((m) => m.model));
    for (const day of await store.getUsage(org.id, '0000-01-01', result.overview.today)) {
      for (const model of Object.keys(day.credits)) seen.add(model);
    }
    const unknown = unknownBudgetModels([org], () => seen, {
      orgIndex: () => index,
      // A published name is no typo of another published name, only perhaps of one the organization uses.
      suggest: (_, model) => (RUNWAY_KNOWN_MODELS.includes(model) ? seen : [...seen, ...RUNWAY_KNOWN_MODELS]),
    });
    out.push(...unknown.map((u) => ({ ...u, message: checkModelWarning(u) })));
  }
  return out;
}
