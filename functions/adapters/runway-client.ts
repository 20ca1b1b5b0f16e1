/**
 * The Runway adapter: reads one organization through the official SDK (`@runwayml/sdk`), validates every
 * answer with zod/mini (the SDK casts JSON without checking), and turns every failure into a `RunwayError`.
 *
 * What it promises:
 * 1. At most one retry per request (`maxRetries` 0 or 1), each attempt bounded by `timeoutMs`.
 * 2. A `Retry-After` longer than `maxRetryAfterSeconds` is not slept on: the request fails at once with
 *    `RunwayRateLimitError` (or `RunwayUnavailableError` for a 5xx) so a Lambda never sleeps past its timeout.
 * 3. `signal` (the organization's cycle deadline) aborts any request in flight.
 * 4. The API key never appears in an error message or in a property this module sets.
 */
import RunwayML, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  InternalServerError,
  PermissionDeniedError,
  RateLimitError,
} from '@runwayml/sdk';
import * as z from 'zod/mini';
import { daysBetween, isIsoDate } from '../domain/dates.ts';
import {
  RunwayAuthError,
  RunwayError,
  RunwayInvalidResponseError,
  RunwayRateLimitError,
  RunwayUnavailableError,
} from '../domain/errors.ts';
import { emptyRecord, recordFrom } from '../domain/records.ts';
import type {
  ModelState,
  OrganizationDetails,
  RunwayPort,
  UsageDay,
  UsageRange,
  UsageReport,
} from '../domain/types.ts';
import { formatIssues, formatPath } from '../validation.ts';

export interface RunwayClientOptions {
  /** The organization's Runway API key. Never logged, never put in an error. */
  readonly apiKey: string;
  /** Runway API base URL. When undefined the SDK uses `RUNWAYML_BASE_URL`, then `https://api.dev.runwayml.com`. */
  readonly baseURL?: string | undefined;
  /** Per attempt. Default 20 000 ms. */
  readonly timeoutMs?: number | undefined;
  /** Retries of a failed request (429, 5xx, timeouts, dropped connections). Default 1. */
  readonly maxRetries?: 0 | 1 | undefined;
  /** The longest `Retry-After` the client will wait before its one retry. Default 5 s. */
  readonly maxRetryAfterSeconds?: number | undefined;
  /** Aborts requests in flight: the deadline of the whole organization cycle. */
  readonly signal?: AbortSignal | undefined;
  /** Replaces the global `fetch` (tests, instrumentation). */
  readonly fetch?: typeof fetch | undefined;
}

/** Runway's usage endpoint refuses windows longer than this. */
export const MAX_USAGE_WINDOW_DAYS = 90;

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_MAX_RETRY_AFTER_SECONDS = 5;
const ORGANIZATION_ENDPOINT = 'GET /v1/organization';
const USAGE_ENDPOINT = 'POST /v1/organization/usage';
const KEY_HINT = 'check the API key in Secrets Manager (or RUNWAYML_API_SECRET for the CLI)';

// ---------------------------------------------------------------------------------------------------------
// Response schemas. Unknown keys are allowed (and dropped); model names are open strings.

// Every number must be one the guard can add up and store exactly: within ±Number.MAX_SAFE_INTEGER (DynamoDB's
// document client refuses larger ones, so such a value would otherwise fail every save instead of failing
// validation once). zod's numbers are finite already. Caps, limits and counts cannot be negative; usage
// amounts can (refunds), and so can the balance (generations that finish after it reached zero are charged).
const SAFE_RANGE = 'must be within ±9007199254740991 (Number.MAX_SAFE_INTEGER)';
const safeNumber = z
  .number()
  .check(
    z.gte(-Number.MAX_SAFE_INTEGER, { error: SAFE_RANGE }),
    z.lte(Number.MAX_SAFE_INTEGER, { error: SAFE_RANGE }),
  );
const nonNegative = z.number().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER, { error: SAFE_RANGE }));
const limit = z.nullable(nonNegative);
const modelName = z.string().check(z.minLength(1));

const tierModelSchema = z.object({ maxConcurrentGenerations: limit, maxDailyGenerations: limit });
const usageModelSchema = z.object({ dailyGenerations: nonNegative });

const organizationSchema = z.object({
  creditBalance: safeNumber,
  tier: z.object({
    maxMonthlyCreditSpend: nonNegative,
    models: z.record(modelName, tierModelSchema),
  }),
  usage: z.object({
    models: z.record(modelName, usageModelSchema),
  }),
});

const isoDate = z.string().check(z.refine(isIsoDate, { error: 'expected a real date written YYYY-MM-DD' }));

const usageSchema = z.object({
  results: z
    .array(
      z.object({
        date: isoDate,
        usedCredits: z.array(z.object({ model: modelName, amount: safeNumber })),
      }),
    )
    .check(
      // One entry per day: a date listed twice (a replayed or concatenated page) would otherwise be added up
      // and double that day's spend. A model listed twice within one day is summed (charges and refunds).
      z.superRefine((results, ctx) => {
        const seen = new Map<string, number>();
        results.forEach((result, index) => {
          const first = seen.get(result.date);
          if (first === undefined) seen.set(result.date, index);
          else
            ctx.addIssue({
              code: 'custom',
              path: [index, 'date'],
              message: `${result.date} is listed more than once (first at results[${first}]); each day must be listed once`,
              input: result.date,
            });
        });
      }),
    ),
});

// ---------------------------------------------------------------------------------------------------------

/**
 * Creates the Runway port for one organization.
 * @throws Error when `apiKey` is empty, RangeError when `maxRetries`, `timeoutMs` or `maxRetryAfterSeconds`
 *   is out of range (programmer errors, thrown at once).
 */
export function createRunwayClient(options: RunwayClientOptions): RunwayPort {
  const apiKey = options.apiKey.trim();
  if (apiKey === '') throw new Error(`The Runway API key is empty; ${KEY_HINT}`);
  const maxRetries = options.maxRetries ?? 1;
  if (maxRetries !== 0 && maxRetries !== 1) throw new RangeError('maxRetries must be 0 or 1');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    throw new RangeError('timeoutMs must be a positive integer');
  const maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? DEFAULT_MAX_RETRY_AFTER_SECONDS;
  if (!(maxRetryAfterSeconds >= 0)) throw new RangeError('maxRetryAfterSeconds must be 0 or more');

  const client = new RunwayML({
    apiKey,
    baseURL: options.baseURL,
    timeout: timeoutMs,
    maxRetries,
    // The SDK's logger would otherwise follow RUNWAYML_LOG and print request details; the guard logs itself.
    logLevel: 'off',
    fetch: capRetryAfter(options.fetch ?? globalThis.fetch, maxRetryAfterSeconds),
  });
  const signal = options.signal;
  const redact = (text: string): string => text.split(apiKey).join('[redacted]');

  async function call<T>(endpoint: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw toRunwayError(scrubKey(error, apiKey, redact), endpoint, { redact, timeoutMs });
    }
  }

  return {
    async fetchOrganization(): Promise<OrganizationDetails> {
      const body: unknown = await call(ORGANIZATION_ENDPOINT, () => client.organization.retrieve({ signal }));
      const parsed = organizationSchema.safeParse(body, { reportInput: true });
      if (!parsed.success)
        throw new RunwayInvalidResponseError(ORGANIZATION_ENDPOINT, problemsOf(parsed.error, redact));
      return flattenOrganization(parsed.data, body, redact);
    },

    async fetchUsage(range: UsageRange): Promise<UsageReport> {
      checkUsageRange(range);
      const { startDate, beforeDate } = range;
      const body: unknown = await call(USAGE_ENDPOINT, () =>
        client.organization.retrieveUsage({ startDate, beforeDate }, { signal }),
      );
      const parsed = usageSchema.safeParse(body, { reportInput: true });
      if (!parsed.success)
        throw new RunwayInvalidResponseError(USAGE_ENDPOINT, problemsOf(parsed.error, redact));
      return { startDate, beforeDate, days: sumUsage(parsed.data.results, range) };
    },
  };
}

/**
 * Refuses a window Runway would reject, before any request.
 * @throws RangeError for a malformed date, an empty or reversed window, or one longer than 90 days.
 */
export function checkUsageRange({ startDate, beforeDate }: UsageRange): void {
  if (!isIsoDate(startDate))
    throw new RangeError(`startDate ${JSON.stringify(startDate)} is not a YYYY-MM-DD date`);
  if (!isIsoDate(beforeDate))
    throw new RangeError(`beforeDate ${JSON.stringify(beforeDate)} is not a YYYY-MM-DD date`);
  const days = daysBetween(startDate, beforeDate);
  if (days <= 0)
    throw new RangeError(`beforeDate ${beforeDate} must be after startDate ${startDate} (it is exclusive)`);
  if (days > MAX_USAGE_WINDOW_DAYS) {
    throw new RangeError(
      `Runway serves at most ${MAX_USAGE_WINDOW_DAYS} days of usage per request; ${startDate}..${beforeDate} is ${days} days`,
    );
  }
}

/**
 * One line per issue. Bad values are quoted (truncated) in the lines, so a value holding the key is redacted
 * before it is quoted, not after.
 */
function problemsOf(error: z.core.$ZodError, redact: (text: string) => string): string[] {
  const issues = error.issues.map((issue) =>
    'input' in issue && typeof issue.input === 'string'
      ? ({ ...issue, input: redact(issue.input) } as z.core.$ZodIssue)
      : issue,
  );
  return formatIssues(issues).map(redact);
}

/**
 * The entries of a validated record of models, every name Runway sent included. Model names are data: zod's
 * record output is a plain object that silently drops a `__proto__` key, so the names are read from the raw
 * answer (`body[section].models`), and an entry the parsed record lacks is validated here with the same schema.
 */
function modelEntries<S extends z.ZodMiniType>(
  parsed: Readonly<Record<string, z.output<S>>>,
  body: unknown,
  section: 'tier' | 'usage',
  schema: S,
  redact: (text: string) => string,
): Map<string, z.output<S>> {
  const out = new Map<string, z.output<S>>();
  for (const [name, value] of Object.entries(parsed)) out.set(name, value);
  const path = [section, 'models'];
  const raw = rawAt(body, ...path);
  if (typeof raw !== 'object' || raw === null) return out;
  for (const name of Object.keys(raw)) {
    if (out.has(name)) continue;
    const result = schema.safeParse((raw as Record<string, unknown>)[name], { reportInput: true });
    if (!result.success) {
      throw new RunwayInvalidResponseError(
        ORGANIZATION_ENDPOINT,
        problemsOf(result.error, redact).map((p) => `${formatPath([...path, name])}: ${p}`),
      );
    }
    out.set(name, result.data as z.output<S>);
  }
  return out;
}

/** `body[a][b]…`, or undefined when a step is missing. */
function rawAt(body: unknown, ...path: string[]): unknown {
  let at = body;
  for (const step of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, step)) return undefined;
    at = (at as Record<string, unknown>)[step];
  }
  return at;
}

function flattenOrganization(
  data: z.output<typeof organizationSchema>,
  body: unknown,
  redact: (text: string) => string,
): OrganizationDetails {
  const tier = modelEntries(data.tier.models, body, 'tier', tierModelSchema, redact);
  const used = modelEntries(data.usage.models, body, 'usage', usageModelSchema, redact);
  const names = [...new Set([...tier.keys(), ...used.keys()])].sort();
  const models = emptyRecord<ModelState>();
  for (const name of names) {
    const limits = tier.get(name);
    const usage = used.get(name);
    models[name] = {
      maxConcurrentGenerations: limits?.maxConcurrentGenerations ?? null,
      maxDailyGenerations: limits?.maxDailyGenerations ?? null,
      dailyGenerations: usage?.dailyGenerations ?? 0,
      ...(limits === undefined ? { inTier: false } : {}),
    };
  }
  return {
    creditBalance: data.creditBalance,
    maxMonthlyCreditSpend: data.tier.maxMonthlyCreditSpend,
    models,
  };
}

/** Sums net credits per date and model (Runway may list a model twice in a day; each date appears once). */
function sumUsage(results: z.output<typeof usageSchema>['results'], range: UsageRange): UsageDay[] {
  const outside: string[] = [];
  const byDate = new Map<string, Map<string, number>>();
  results.forEach((result, index) => {
    if (result.date < range.startDate || result.date >= range.beforeDate) {
      outside.push(
        `${formatPath(['results', index, 'date'])}: ${result.date} is outside the requested range ${range.startDate} to ${range.beforeDate} (exclusive)`,
      );
      return;
    }
    if (result.usedCredits.length === 0) return;
    const credits = byDate.get(result.date) ?? new Map<string, number>();
    for (const { model, amount } of result.usedCredits)
      credits.set(model, (credits.get(model) ?? 0) + amount);
    byDate.set(result.date, credits);
  });
  if (outside.length > 0) throw new RunwayInvalidResponseError(USAGE_ENDPOINT, outside);

  return [...byDate.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([date, credits]) => {
      const entries = [...credits.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([m, c]) => [m, round(c)] as const);
      return {
        date,
        credits: recordFrom(entries),
        totalCredits: round(entries.reduce((sum, [, c]) => sum + c, 0)),
      };
    });
}

/** Hides floating-point dust from summing fractional amounts. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

// ---------------------------------------------------------------------------------------------------------
// Retry-After cap

/** Seconds a response asks the client to wait (`retry-after-ms`, then `retry-after` as seconds or a date). */
export function readRetryAfterSeconds(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/**
 * Wraps `fetch` so that an error response asking for a wait longer than `maxSeconds` carries
 * `x-should-retry: false`: the SDK, which obeys Retry-After without limit, then fails at once instead of sleeping.
 */
function capRetryAfter(baseFetch: typeof fetch, maxSeconds: number): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    if (response.ok) return response;
    const wait = readRetryAfterSeconds(response.headers);
    if (wait === undefined || wait <= maxSeconds) return response;
    const headers = new Headers(response.headers);
    headers.set('x-should-retry', 'false');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

// ---------------------------------------------------------------------------------------------------------
// Error mapping

/** Runway's own words from an error body (`{"error": "..."}`), else the SDK's message; short and redacted. */
function runwayText(error: APIError, redact: (text: string) => string): string {
  const body: unknown = error.error;
  let text: string | undefined;
  if (body && typeof body === 'object') {
    const fields = body as Record<string, unknown>;
    if (typeof fields.error === 'string') text = fields.error;
    else if (typeof fields.message === 'string') text = fields.message;
  }
  text ??= error.message.replace(/^\d{3}\s+/, '');
  const clean = redact(text).replace(/\s+/g, ' ').trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

function toRunwayError(
  error: unknown,
  endpoint: string,
  context: { redact: (text: string) => string; timeoutMs: number },
): Error {
  if (error instanceof RunwayError) return error;
  const cause = { cause: error };

  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
    const what =
      error.status === 401 ? 'rejected the API key' : 'refused this API key access to the organization';
    return new RunwayAuthError(
      `Runway ${what} (${error.status} on ${endpoint}: ${runwayText(error, context.redact)}); ${KEY_HINT}`,
      error.status,
      cause,
    );
  }
  if (error instanceof RateLimitError) {
    const retryAfter = readRetryAfterSeconds(error.headers);
    const wait = retryAfter === undefined ? '' : ` and asks to wait ${Math.ceil(retryAfter)} s`;
    return new RunwayRateLimitError(
      `Runway is rate limiting ${endpoint} (429: ${runwayText(error, context.redact)})${wait}; the next scheduled run will catch up`,
      retryAfter,
      cause,
    );
  }
  // Abort and timeout are subclasses of APIConnectionError, so they come first.
  if (error instanceof APIUserAbortError) {
    return new RunwayUnavailableError(
      `The organization's cycle deadline passed before Runway answered ${endpoint}; the next scheduled run will catch up`,
      undefined,
      cause,
    );
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new RunwayUnavailableError(
      `Runway did not answer ${endpoint} within ${context.timeoutMs} ms; the next scheduled run will catch up`,
      undefined,
      cause,
    );
  }
  if (error instanceof APIConnectionError) {
    return new RunwayUnavailableError(
      `Could not reach Runway for ${endpoint} (${context.redact(describeConnectionFailure(error))}); check the network or RUNWAYML_BASE_URL`,
      undefined,
      cause,
    );
  }
  if (error instanceof InternalServerError) {
    return new RunwayUnavailableError(
      `Runway is unavailable (${error.status} on ${endpoint}: ${runwayText(error, context.redact)}); the next scheduled run will catch up`,
      error.status,
      cause,
    );
  }
  if (error instanceof APIError) {
    // 400, 404, 405, 409, 422…: the request or the base URL is wrong, or Runway changed. Retrying within the run
    // will not help, but it is not the key's fault and not bad data either; the run fails and the errors alarm fires.
    return new RunwayUnavailableError(
      `Runway refused ${endpoint} (${error.status ?? 'no status'}: ${runwayText(error, context.redact)}); check RUNWAYML_BASE_URL and the SDK version`,
      error.status,
      cause,
    );
  }
  if (error instanceof SyntaxError) {
    // The SDK calls response.json() on any application/json answer and lets its SyntaxError through.
    return new RunwayInvalidResponseError(
      endpoint,
      [`$: not valid JSON (${context.redact(error.message)})`],
      cause,
    );
  }
  // Anything else happened while reading the answer (e.g. the connection broke mid-body).
  const message = error instanceof Error ? error.message : String(error);
  return new RunwayUnavailableError(
    `Reading Runway's answer to ${endpoint} failed (${context.redact(message)}); the next scheduled run will catch up`,
    undefined,
    cause,
  );
}

/**
 * Removes the key from an SDK error kept as `cause`, in case a server echoed it in an error body: the error's
 * message, stack and parsed body are rewritten in place.
 */
function scrubKey(error: unknown, apiKey: string, redact: (text: string) => string): unknown {
  if (!(error instanceof Error)) return error;
  if (error.message.includes(apiKey)) error.message = redact(error.message);
  if (error.stack?.includes(apiKey)) error.stack = redact(error.stack);
  if (error instanceof APIError && error.error !== undefined) {
    const body = JSON.stringify(error.error);
    if (body?.includes(apiKey)) {
      Object.defineProperty(error, 'error', { value: JSON.parse(redact(body)), enumerable: true });
    }
  }
  return error;
}

function describeConnectionFailure(error: APIConnectionError): string {
  const cause: unknown = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const inner: unknown = (cause as { cause?: unknown }).cause;
    const code = inner && typeof inner === 'object' ? (inner as { code?: unknown }).code : undefined;
    if (typeof code === 'string') return code;
    if (inner instanceof Error) return inner.message;
    return cause.message;
  }
  return error.message;
}
