/**
 * The state of one simulated Runway organization, as the simulator serves it. Plain data, so tests and the
 * demo generator can build it; the simulator copies it into its own store at start.
 */

/** A model's tier limits; `null` means unlimited (as Runway reports from API 4.20.1 on). */
export interface SimulatedModelLimits {
  readonly maxConcurrentGenerations: number | null;
  readonly maxDailyGenerations: number | null;
}

export interface SimulatedOrganization {
  /** The API key that reads this organization (`Authorization: Bearer <apiKey>`). */
  readonly apiKey: string;
  readonly creditBalance: number;
  /** `tier.maxMonthlyCreditSpend`, in credits. */
  readonly maxMonthlyCreditSpend: number;
  /** `tier.models`: model → limits. */
  readonly tierModels: Readonly<Record<string, SimulatedModelLimits>>;
  /** `usage.models`: model → generations in the past day. Only the models listed here are served. */
  readonly dailyGenerations: Readonly<Record<string, number>>;
  /** Net credits per UTC date (`YYYY-MM-DD`) and model; negative for refunds. Zero amounts are not served. */
  readonly usage: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * A small organization for tests and benchmarks: Tier 1 figures (10 000 credits a month) and no models or
 * usage unless given.
 */
export function createSimulatedOrganization(
  input: Pick<SimulatedOrganization, 'apiKey'> & Partial<Omit<SimulatedOrganization, 'apiKey'>>,
): SimulatedOrganization {
  return {
    creditBalance: 10_000,
    maxMonthlyCreditSpend: 10_000,
    tierModels: {},
    dailyGenerations: {},
    usage: {},
    ...input,
  };
}

/** The simulator's mutable copy; Maps, so model names such as `constructor` are plain keys. */
export interface OrganizationState {
  apiKey: string;
  creditBalance: number;
  maxMonthlyCreditSpend: number;
  tierModels: Map<string, SimulatedModelLimits>;
  dailyGenerations: Map<string, number>;
  usage: Map<string, Map<string, number>>;
}

export function toState(org: SimulatedOrganization): OrganizationState {
  return {
    apiKey: org.apiKey,
    creditBalance: org.creditBalance,
    maxMonthlyCreditSpend: org.maxMonthlyCreditSpend,
    tierModels: new Map(Object.entries(org.tierModels).map(([model, limits]) => [model, { ...limits }])),
    dailyGenerations: new Map(Object.entries(org.dailyGenerations)),
    usage: new Map(
      Object.entries(org.usage).map(([date, models]) => [date, new Map(Object.entries(models))]),
    ),
  };
}

export function fromState(state: OrganizationState): SimulatedOrganization {
  return {
    apiKey: state.apiKey,
    creditBalance: state.creditBalance,
    maxMonthlyCreditSpend: state.maxMonthlyCreditSpend,
    tierModels: Object.fromEntries([...state.tierModels].map(([model, limits]) => [model, { ...limits }])),
    dailyGenerations: Object.fromEntries(state.dailyGenerations),
    usage: Object.fromEntries([...state.usage].map(([date, models]) => [date, Object.fromEntries(models)])),
  };
}

/** `GET /v1/organization` body. */
export function organizationBody(state: OrganizationState): unknown {
  return {
    creditBalance: state.creditBalance,
    tier: {
      maxMonthlyCreditSpend: state.maxMonthlyCreditSpend,
      models: Object.fromEntries(state.tierModels),
    },
    usage: {
      models: Object.fromEntries(
        [...state.dailyGenerations].map(([model, n]) => [model, { dailyGenerations: n }]),
      ),
    },
  };
}

/** `POST /v1/organization/usage` body for `[startDate, beforeDate)`: only days and models with usage. */
export function usageBody(state: OrganizationState, startDate: string, beforeDate: string): unknown {
  const models = new Set<string>();
  const results = [...state.usage]
    .filter(([date]) => date >= startDate && date < beforeDate)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([date, byModel]) => ({
      date,
      usedCredits: [...byModel]
        .filter(([, amount]) => amount !== 0)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([model, amount]) => {
          models.add(model);
          return { amount, model };
        }),
    }))
    .filter((result) => result.usedCredits.length > 0);
  return { models: [...models].sort(), results };
}
