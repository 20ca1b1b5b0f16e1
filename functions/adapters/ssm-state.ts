/**
 * Each organization's state as an SSM parameter (`<prefix><orgId>`, a String holding small JSON), for
 * pipelines whose role may read only that: the guard writes it when the state changes, `budget-guard gate
 * --from-parameter` reads it.
 */
import {
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  type SSMClientConfig,
} from '@aws-sdk/client-ssm';
import type { StateParameterValue, StatePublisherPort, StatusState } from '../domain/types.ts';
import { createAwsRequestHandler } from './aws-http.ts';

/** A standard SSM parameter's value holds at most 4 KB; longer reason lists are cut. */
export const SSM_STANDARD_VALUE_MAX_BYTES = 4096;

const STATES: readonly StatusState[] = ['ok', 'warn', 'critical', 'stop'];

/** Builds an SSM client with the guard's request limits; region and credentials come from the SDK's chain. */
export function createSsmClient(config: SSMClientConfig = {}): SSMClient {
  return new SSMClient({ requestHandler: createAwsRequestHandler(), ...config });
}

/** The parameter name of an organization's state. */
export function stateParameterName(prefix: string, orgId: string): string {
  return `${prefix}${orgId}`;
}

/** The parameter's value as JSON within the standard tier's 4 KB: reasons past what fits become "and N more". */
export function encodeStateValue(value: StateParameterValue): string {
  const fitting = (reasons: readonly string[]): string | undefined => {
    const text = JSON.stringify({ ...value, reasons });
    return Buffer.byteLength(text, 'utf8') <= SSM_STANDARD_VALUE_MAX_BYTES ? text : undefined;
  };
  const whole = fitting(value.reasons);
  if (whole !== undefined) return whole;
  // The most reasons that fit with an "and N more" line: fewer kept reasons always fit, so search for it.
  const cut = (keep: number) =>
    fitting([...value.reasons.slice(0, keep), `and ${value.reasons.length - keep} more`]);
  let low = 0;
  let high = value.reasons.length - 1;
  if (cut(low) === undefined) return JSON.stringify({ ...value, reasons: [] });
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (cut(mid) === undefined) high = mid - 1;
    else low = mid;
  }
  return cut(low) ?? JSON.stringify({ ...value, reasons: [] });
}

/** The parameter does not hold the state JSON the guard writes. */
export class StateParameterInvalidError extends Error {
  override name = 'StateParameterInvalidError';
}

/** Reads a value the guard wrote. @throws StateParameterInvalidError when it is not one. */
export function decodeStateValue(name: string, text: string): StateParameterValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StateParameterInvalidError(`Parameter ${name} does not hold JSON`);
  }
  const v = parsed as Partial<StateParameterValue> | null;
  if (
    !v ||
    typeof v !== 'object' ||
    !STATES.includes(v.state as StatusState) ||
    !Array.isArray(v.reasons) ||
    typeof v.updatedAt !== 'string' ||
    typeof v.refreshedAt !== 'string'
  ) {
    throw new StateParameterInvalidError(
      `Parameter ${name} does not hold a budget guard state ({"state", "reasons", "updatedAt", "refreshedAt", "budget"})`,
    );
  }
  return {
    state: v.state as StatusState,
    reasons: v.reasons.map(String),
    updatedAt: v.updatedAt,
    refreshedAt: v.refreshedAt,
    budget: typeof v.budget === 'string' ? v.budget : null,
  };
}

/**
 * The state parameters under `prefix` (STATE_PARAMETER_PREFIX), or undefined when it is not set.
 * @throws TypeError when the prefix does not start and end with "/"
 */
export function stateParametersAt(prefix: string | undefined): SsmStateParameters | undefined {
  const trimmed = prefix?.trim();
  return trimmed ? new SsmStateParameters({ client: createSsmClient(), prefix: trimmed }) : undefined;
}

export class SsmStateParameters implements StatePublisherPort {
  readonly #client: SSMClient;
  readonly #prefix: string;

  /** `prefix` ends with `/`, e.g. `/RunwayBudgetGuard/state/`. */
  constructor(options: { readonly client: SSMClient; readonly prefix: string }) {
    if (!/^\/[A-Za-z0-9_.\-/]*\/$/.test(options.prefix)) {
      throw new TypeError(`The state parameter prefix must start and end with "/" (got "${options.prefix}")`);
    }
    this.#client = options.client;
    this.#prefix = options.prefix;
  }

  /** The parameter name of `orgId`'s state. */
  nameOf(orgId: string): string {
    return stateParameterName(this.#prefix, orgId);
  }

  async write(orgId: string, value: StateParameterValue): Promise<void> {
    await this.#client.send(
      new PutParameterCommand({
        Name: stateParameterName(this.#prefix, orgId),
        Value: encodeStateValue(value),
        Type: 'String',
        Overwrite: true,
        Tier: 'Standard',
      }),
    );
  }

  /** The stored state, or undefined when the parameter does not exist yet. */
  async read(orgId: string): Promise<StateParameterValue | undefined> {
    const name = stateParameterName(this.#prefix, orgId);
    try {
      const output = await this.#client.send(new GetParameterCommand({ Name: name }));
      const text = output.Parameter?.Value;
      return text === undefined ? undefined : decodeStateValue(name, text);
    } catch (error) {
      if (error instanceof ParameterNotFound) return undefined;
      throw error;
    }
  }
}
