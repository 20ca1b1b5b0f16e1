/**
 * Secrets Manager's `GetSecretValue` over `fetch`: one SigV4-signed JSON 1.1 POST, retried the way the SDK's
 * standard retry mode does it. Built from the SDK's own signer and SHA-256, which the guard bundle already
 * carries for DynamoDB and SNS, instead of the Secrets Manager client (~20 KiB of the bundle for one call).
 *
 * Errors name the secret id, the AWS error code and message, the HTTP status and the request id. They never
 * carry the secret value, a response body, or the secret access key and session token.
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, HttpRequest } from '@smithy/types';
import { errorSummary } from '../observability.ts';
import { AWS_REQUEST_TIMEOUT_MS } from './aws-http.ts';
import type { SecretValue, SecretValueSource } from './secrets.ts';
import { sleep } from './sleep.ts';

/** The SDK's standard retry mode: the first attempt and two retries. */
export const SECRETS_MANAGER_MAX_ATTEMPTS = 3;
/** Backoff before retry n (1-based) is a random delay up to `min(cap, base × 2^(n-1))` ("full jitter"). */
export const SECRETS_MANAGER_BACKOFF_BASE_MS = 100;
export const SECRETS_MANAGER_BACKOFF_CAP_MS = 2_000;

const TARGET = 'secretsmanager.GetSecretValue';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
/** AWS error messages are short; a longer one is cut so a misbehaving endpoint cannot fill the logs. */
const MAX_MESSAGE_CHARS = 300;

/** Codes the SDK treats as throttling: retried with backoff. */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
]);
/** Codes the SDK treats as transient whatever their status. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['RequestTimeout', 'RequestTimeoutException']);

/** Waits `ms`; rejects when `signal` aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface SecretsManagerHttpOptions {
  /** The region to sign for and, without a configured endpoint, to call. */
  readonly region: string;
  /** Called before each attempt; Lambda's come from its environment (`functions/guard/lambda-credentials.ts`). */
  readonly credentials: AwsCredentialIdentityProvider;
  /** Overrides the endpoint; otherwise {@link resolveSecretsManagerEndpoint} decides from `env` and `region`. */
  readonly endpoint?: string;
  /** Read only for the endpoint variables; defaults to `process.env`. */
  readonly env?: Env;
  /** Defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** How long one attempt may take, answer body included; defaults to `AWS_REQUEST_TIMEOUT_MS` (10 s). */
  readonly requestTimeoutMs?: number;
  /** Attempts in all, the first included; defaults to {@link SECRETS_MANAGER_MAX_ATTEMPTS}. */
  readonly maxAttempts?: number;
  /** Waits between attempts; tests pass one that does not wait. */
  readonly sleep?: Sleep;
  /** In [0, 1); scales each backoff. Defaults to `Math.random`. */
  readonly random?: () => number;
}

/**
 * A failed `GetSecretValue`. `name` is the AWS error code (`ResourceNotFoundException`,
 * `AccessDeniedException`, `ThrottlingException` …) or, when AWS did not answer with one, `NetworkError`,
 * `TimeoutError`, `RequestAbortedError`, `InvalidResponseError`, `CredentialsProviderError` or `UnknownError`.
 * It is set explicitly because the Lambda bundle does not keep class names.
 */
export class SecretsManagerError extends Error {
  override name: string;
  constructor(
    readonly secretId: string,
    code: string,
    message: string,
    /** The HTTP status, when an answer came. */
    readonly statusCode: number | undefined,
    /** AWS's `x-amzn-requestid`, when an answer came with one. */
    readonly requestId: string | undefined,
    /** Attempts made; more than 1 means the request was retried. */
    readonly attempts: number,
    /** Whether the failure is one that is retried (throttling, 5xx, network, timeout): true after giving up. */
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = code;
  }
}

interface Failure {
  readonly code: string;
  readonly detail: string;
  readonly transient: boolean;
  readonly statusCode?: number;
  readonly requestId?: string;
  readonly cause?: unknown;
}

type Outcome = { readonly value: SecretValue } | { readonly failure: Failure };

/**
 * The endpoint the SDK would call: `AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL` (both ignored
 * when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`), else `https://secretsmanager.<region>.amazonaws.com`,
 * or `.amazonaws.com.cn` for China regions (`cn-…`).
 */
export function resolveSecretsManagerEndpoint(region: string, env: Env): string {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.trim().toLowerCase() !== 'true') {
    const configured = env.AWS_ENDPOINT_URL_SECRETS_MANAGER?.trim() || env.AWS_ENDPOINT_URL?.trim();
    if (configured) return configured;
  }
  const dnsSuffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://secretsmanager.${region}.${dnsSuffix}`;
}

/** `GetSecretValue` for {@link SecretKeyReader}, signed with SigV4 and sent with `fetch`. */
export class SecretsManagerHttp implements SecretValueSource {
  readonly #url: URL;
  readonly #signer: SignatureV4;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #sleep: Sleep;
  readonly #random: () => number;

  /** @throws Error when the region, endpoint, timeout or attempt count is malformed. */
  constructor(options: SecretsManagerHttpOptions) {
    const { region } = options;
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(region)) {
      throw new Error(`"${region}" is not an AWS region name (like us-east-1)`);
    }
    const endpoint = options.endpoint ?? resolveSecretsManagerEndpoint(region, options.env ?? process.env);
    this.#url = parseEndpoint(endpoint);
    this.#timeoutMs = options.requestTimeoutMs ?? AWS_REQUEST_TIMEOUT_MS;
    this.#maxAttempts = options.maxAttempts ?? SECRETS_MANAGER_MAX_ATTEMPTS;
    if (!(this.#timeoutMs > 0)) throw new Error(`requestTimeoutMs must be positive, not ${this.#timeoutMs}`);
    if (!Number.isInteger(this.#maxAttempts) || this.#maxAttempts < 1) {
      throw new Error(`maxAttempts must be a whole number ≥ 1, not ${this.#maxAttempts}`);
    }
    // As the SDK configures SigV4 for JSON protocols: escaped path, x-amz-content-sha256 on the request.
    this.#signer = new SignatureV4({
      service: 'secretsmanager',
      region,
      credentials: options.credentials,
      sha256: Sha256,
      uriEscapePath: true,
      applyChecksum: true,
    });
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#sleep = options.sleep ?? sleep;
    this.#random = options.random ?? Math.random;
  }

  /** The endpoint requests go to. */
  get endpoint(): string {
    return this.#url.href;
  }

  /**
   * Returns the secret's current value. Network errors, timeouts, HTTP 5xx and throttling are retried up to
   * `maxAttempts` in all, with jittered exponential backoff; other errors are thrown at once.
   * @throws SecretsManagerError named after the AWS error code (see the class).
   */
  async getSecretValue(secretId: string, signal?: AbortSignal): Promise<SecretValue> {
    const body = JSON.stringify({ SecretId: secretId });
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(body, signal);
      if ('value' in outcome) return outcome.value;
      const { failure } = outcome;
      if (!failure.transient || attempt >= this.#maxAttempts) throw toError(secretId, failure, attempt);
      const cap = Math.min(
        SECRETS_MANAGER_BACKOFF_CAP_MS,
        SECRETS_MANAGER_BACKOFF_BASE_MS * 2 ** (attempt - 1),
      );
      try {
        await this.#sleep(Math.floor(this.#random() * cap), signal);
      } catch {
        throw toError(secretId, aborted(signal), attempt);
      }
    }
  }

  async #attempt(body: string, signal: AbortSignal | undefined): Promise<Outcome> {
    if (signal?.aborted) return { failure: aborted(signal) };
    let signed: HttpRequest;
    try {
      signed = await this.#signer.sign(this.#unsignedRequest(body));
    } catch (error) {
      // Only resolving the credentials can fail here; the provider's error names no key.
      return {
        failure: {
          code: 'CredentialsProviderError',
          detail: `no credentials to sign the request with: ${describe(error)}`,
          transient: false,
          cause: error,
        },
      };
    }

    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(this.#url, {
        method: 'POST',
        headers: signed.headers,
        body,
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) return { failure: aborted(signal) };
      if (timeout.aborted) {
        return {
          failure: {
            code: 'TimeoutError',
            detail: `no answer within ${this.#timeoutMs} ms`,
            transient: true,
          },
        };
      }
      // fetch rejects with a TypeError when the connection fails (refused, reset, DNS).
      const network = error instanceof TypeError;
      return {
        failure: {
          code: network ? 'NetworkError' : errorName(error),
          detail: describe(error),
          transient: network,
          cause: error,
        },
      };
    }

    const statusCode = response.status;
    const requestId = response.headers.get('x-amzn-requestid') ?? undefined;
    if (response.ok) {
      const parsed = parseSecretValue(text);
      if ('value' in parsed) return parsed;
      return {
        failure: {
          code: 'InvalidResponseError',
          detail: `answered HTTP ${statusCode} with ${parsed.problem}`,
          transient: false,
          statusCode,
          requestId,
        },
      };
    }
    const { code, message } = parseErrorDocument(text, response.headers.get('x-amzn-errortype'), statusCode);
    const transient =
      statusCode >= 500 || statusCode === 429 || THROTTLING_CODES.has(code) || TRANSIENT_CODES.has(code);
    return { failure: { code, detail: message, transient, statusCode, requestId } };
  }

  #unsignedRequest(body: string): HttpRequest {
    const url = this.#url;
    return {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname,
      query: {},
      headers: { 'content-type': CONTENT_TYPE, 'x-amz-target': TARGET, host: url.host },
      body,
    };
  }
}

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`Secrets Manager endpoint "${endpoint}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`Secrets Manager endpoint "${endpoint}" must be an http or https URL`);
  }
  return url;
}

/** The value from a 200 answer, or what is wrong with it; never the body itself, which holds the secret. */
function parseSecretValue(text: string): { readonly value: SecretValue } | { readonly problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'a body that is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { problem: 'a body that is not a JSON object' };
  }
  const { SecretString, SecretBinary } = parsed as Record<string, unknown>;
  if (typeof SecretString === 'string') return { value: { secretString: SecretString } };
  if (typeof SecretBinary === 'string' && isBase64(SecretBinary)) {
    const bytes = Buffer.from(SecretBinary, 'base64');
    return { value: { secretBinary: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) } };
  }
  return { problem: 'neither a SecretString nor a base64 SecretBinary' };
}

function isBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

/**
 * The code and message of an AWS JSON error answer, the way the SDK reads them: the `x-amzn-errortype`
 * header, else the body's `__type` or `code`, reduced to the bare name (`…#Name:detail` → `Name`).
 */
function parseErrorDocument(
  text: string,
  header: string | null,
  statusCode: number,
): { code: string; message: string } {
  let doc: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      doc = parsed as Record<string, unknown>;
    }
  } catch {
    // Not an AWS error document (a proxy's HTML page, say); the status decides.
  }
  const raw = [header, doc.__type, doc.code].find((v): v is string => typeof v === 'string' && v !== '');
  const code =
    raw?.split(':')[0]?.split('#').pop() ||
    (statusCode === 429 ? 'TooManyRequestsException' : 'UnknownError');
  const awsMessage = [doc.message, doc.Message].find((v): v is string => typeof v === 'string' && v !== '');
  const message =
    awsMessage === undefined
      ? `HTTP ${statusCode}`
      : awsMessage.length > MAX_MESSAGE_CHARS
        ? `${awsMessage.slice(0, MAX_MESSAGE_CHARS)}…`
        : awsMessage;
  return { code, message };
}

function aborted(signal: AbortSignal | undefined): Failure {
  return {
    code: 'RequestAbortedError',
    detail: 'the caller aborted the request',
    transient: false,
    cause: signal?.reason,
  };
}

function toError(secretId: string, failure: Failure, attempts: number): SecretsManagerError {
  const context = [`GetSecretValue "${secretId}"`];
  if (failure.statusCode !== undefined) context.push(`HTTP ${failure.statusCode}`);
  if (failure.requestId !== undefined) context.push(`request ${failure.requestId}`);
  if (attempts > 1) context.push(`gave up after ${attempts} attempts`);
  return new SecretsManagerError(
    secretId,
    failure.code,
    `${failure.detail} (${context.join(', ')})`,
    failure.statusCode,
    failure.requestId,
    attempts,
    failure.transient,
    failure.cause === undefined ? undefined : { cause: failure.cause },
  );
}

/** `Name: message`, plus the cause's code when there is one (fetch's TypeError says only "fetch failed"). */
function describe(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string'
      ? ` (${cause.code})`
      : '';
  return `${errorSummary(error)}${code}`;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}
