/** `budget-guard check`: one guard cycle, with the overview report and every notification. */
import { runGuard } from '../guard/cycle.ts';
import { createJsonLogger, silentLogger } from '../observability.ts';
import { renderReport } from './report.ts';
import { type Env, openGuardSources, openNotifier, openStatePublisher, openStore } from './wiring.ts';

export interface CheckOptions {
  readonly configPath?: string | undefined;
  readonly orgId?: string | undefined;
  readonly now?: Date | undefined;
  readonly json: boolean;
  readonly demo: boolean;
  readonly verbose?: boolean;
}

export interface Io {
  readonly env: Env;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Runs the check; returns the exit code (0 done, 1 the cycle failed). Throws UsageError/ConfigError (exit 2). */
export async function runCheck(options: CheckOptions, io: Io): Promise<number> {
  const now = options.now ?? new Date();
  const { config, runway, mode } = await openGuardSources({ ...options, now, env: io.env, cwd: io.cwd });
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
