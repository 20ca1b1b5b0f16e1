import { gateVerdict, STATE_REFRESH_MS } from '../domain/enforcement.ts';
import { formatSpan } from '../domain/format.ts';
import { scheduleFacts } from '../domain/status.ts';
import type { StatusState } from '../domain/types.ts';
import type { Io } from './check.ts';
import {
  chooseOrganization,
  loadStoredStateConfig,
  openStatePublisher,
  openStore,
  type ReadCommandOptions,
  UsageError,
} from './wiring.ts';

export interface GateOptions extends ReadCommandOptions {
  readonly orgId: string;
  /** Milliseconds; default two schedule periods (plus the parameter refresh interval with `fromParameter`). */
  readonly maxAgeMs?: number | undefined;
  readonly fromParameter: boolean;
}

interface FoundState {
  readonly state: StatusState;
  readonly reasons: readonly string[];
  readonly checkedAt: string;
  readonly since?: string | undefined;
  readonly budget?: string | null | undefined;
}

/** Returns 0 (go) or 1 (hold); throws UsageError/ConfigError (exit 2). */
export async function runGate(options: GateOptions, io: Io): Promise<number> {
  const now = options.now ?? new Date();
  const { config, demo } = await loadStoredStateConfig(options, io);
  const org = chooseOrganization(config, options.orgId);
  // Stale as `status` judges it (the heartbeat alarm's window), plus the parameter's refresh interval.
  const defaultMaxAgeMs =
    scheduleFacts(config.schedule).staleAfterSeconds * 1000 + (options.fromParameter ? STATE_REFRESH_MS : 0);
  const maxAgeMs = options.maxAgeMs ?? defaultMaxAgeMs;

  let found: FoundState | undefined;
  let source: string;
  if (options.fromParameter) {
    const parameters = openStatePublisher(io.env);
    if (!parameters) {
      throw new UsageError(
        '--from-parameter reads the SSM parameter under STATE_PARAMETER_PREFIX (the stack output StateParameterPrefix); set it',
      );
    }
    const value = await parameters.read(org.id);
    source = `SSM parameter ${parameters.nameOf(org.id)}`;
    found = value && {
      state: value.state,
      reasons: value.reasons,
      checkedAt: value.refreshedAt,
      since: value.updatedAt,
      budget: value.budget,
    };
  } else {
    const store = await openStore(io.env, io.cwd, { demo });
    try {
      const status = await store.store.getStatus(org.id);
      source = store.description;
      found = status && {
        state: status.state,
        reasons: status.reasons,
        checkedAt: status.updatedAt,
        since: status.stateParameter?.since,
        budget: status.stopBudget ?? null,
      };
    } finally {
      await store.close();
    }
  }

  const verdict = gateVerdict(found, now, maxAgeMs);
  if (options.json) {
    io.stdout(
      `${JSON.stringify({
        org: org.id,
        go: verdict.go,
        why: verdict.go ? null : verdict.why,
        state: found?.state ?? null,
        reasons: found?.reasons ?? [],
        checkedAt: found?.checkedAt ?? null,
        budget: found?.budget ?? null,
        maxAgeMs,
        source,
      })}\n`,
    );
  } else {
    const lines = [
      verdict.go
        ? `GO: ${org.name} (${org.id}) is ${verdict.state}, checked ${found?.checkedAt} (within ${formatSpan(maxAgeMs / 1000)}).`
        : `HOLD: ${org.name} (${org.id}): ${verdict.why}.`,
      ...(found?.reasons ?? []).map((r) => `  - ${r}`),
      `State read from ${source}. Runway itself keeps accepting tasks: this gate stops only callers that check it.`,
    ];
    io.stdout(`${lines.join('\n')}\n`);
  }
  return verdict.go ? 0 : 1;
}
