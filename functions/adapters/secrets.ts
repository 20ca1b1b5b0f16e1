/**
 * Reads each organization's Runway API key from Secrets Manager, by secret name. The Lambda keeps one reader
 * across warm invocations, so values are cached for a while and concurrent reads of one secret share a request.
 *
 * The key itself never leaves `getApiKey`'s return value: no error message, property or cause carries it.
 */
import { API_KEY_PLACEHOLDER } from '../contract.ts';
import { errorSummary } from '../observability.ts';

export const DEFAULT_SECRET_TTL_MS = 5 * 60 * 1000;

/** JSON secrets may hold the key under either of these fields, in this order of preference. */
const KEY_FIELDS = ['apiKey', 'RUNWAYML_API_SECRET'] as const;

/** Base of the errors `SecretKeyReader` throws; `secretName` names the secret, never its value. */
export class ApiKeySecretError extends Error {
  override name = 'ApiKeySecretError';
  constructor(
    readonly secretName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The secret still holds the stack's placeholder, or nothing. The message says how to put the real key. */
export class ApiKeyNotSetError extends ApiKeySecretError {
  override name = 'ApiKeyNotSetError';
  constructor(secretName: string) {
    super(
      secretName,
      `The Runway API key in secret "${secretName}" is not set. Put it with: ` +
        `aws secretsmanager put-secret-value --secret-id ${secretName} --secret-string <your Runway key>`,
    );
  }
}

/** No secret of that name exists (or it is scheduled for deletion). */
export class ApiKeySecretMissingError extends ApiKeySecretError {
  override name = 'ApiKeySecretMissingError';
  constructor(secretName: string, options?: { cause?: unknown }) {
    super(
      secretName,
      `Secrets Manager has no secret "${secretName}" for the Runway API key. Create it with: ` +
        `aws secretsmanager create-secret --name ${secretName} --secret-string <your Runway key>`,
      options,
    );
  }
}

/** The secret holds JSON without a usable `apiKey` (or `RUNWAYML_API_SECRET`) string field. */
export class ApiKeySecretInvalidError extends ApiKeySecretError {
  override name = 'ApiKeySecretInvalidError';
  constructor(secretName: string, problem: string) {
    super(
      secretName,
      `Secret "${secretName}" ${problem}. Store the Runway key as plain text or as {"apiKey": "<your Runway key>"}: ` +
        `aws secretsmanager put-secret-value --secret-id ${secretName} --secret-string <your Runway key>`,
    );
  }
}

/** Secrets Manager failed for another reason (access denied, throttling, KMS); the source's error is the `cause`. */
export class ApiKeySecretReadError extends ApiKeySecretError {
  override name = 'ApiKeySecretReadError';
  constructor(secretName: string, options: { cause: unknown }) {
    super(
      secretName,
      `Could not read secret "${secretName}" from Secrets Manager: ${errorSummary(options.cause)}`,
      options,
    );
  }
}

/** What `GetSecretValue` returns: the secret as text, or as bytes when it was stored as binary. */
export interface SecretValue {
  readonly secretString?: string;
  readonly secretBinary?: Uint8Array;
}

/**
 * Where secret values come from: Secrets Manager's `GetSecretValue` (`SdkSecretValueSource` in Lambda).
 * Rejects with an error whose `name` is the AWS error code (`ResourceNotFoundException` …), and whose message
 * and properties never carry the secret value or the credentials.
 */
export interface SecretValueSource {
  getSecretValue(secretId: string, signal?: AbortSignal): Promise<SecretValue>;
}

export interface SecretKeyReaderOptions {
  readonly source: SecretValueSource;
  /** How long a value read is reused; defaults to {@link DEFAULT_SECRET_TTL_MS}. */
  readonly ttlMs?: number;
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  readonly clock?: () => number;
}

export class SecretKeyReader {
  readonly #source: SecretValueSource;
  readonly #ttlMs: number;
  readonly #clock: () => number;
  // Private fields keep the cached keys out of `console.log(reader)` and JSON.stringify.
  readonly #cache = new Map<string, { readonly value: string; readonly expiresAt: number }>();
  readonly #inFlight = new Map<string, Promise<string>>();

  constructor(options: SecretKeyReaderOptions) {
    this.#source = options.source;
    this.#ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Returns the Runway API key stored in `secretName`, from the cache while it is fresh. Failures are not
   * cached: the next call asks Secrets Manager again.
   * @throws ApiKeyNotSetError when the secret is empty or still holds the placeholder.
   * @throws ApiKeySecretMissingError when the secret does not exist.
   * @throws ApiKeySecretInvalidError when the secret is JSON without a key field.
   * @throws ApiKeySecretReadError for any other Secrets Manager failure.
   */
  async getApiKey(secretName: string): Promise<string> {
    const cached = this.#cache.get(secretName);
    if (cached !== undefined && this.#clock() < cached.expiresAt) return cached.value;

    const pending = this.#inFlight.get(secretName);
    if (pending !== undefined) return pending;

    const request = this.#read(secretName).finally(() => this.#inFlight.delete(secretName));
    this.#inFlight.set(secretName, request);
    return request;
  }

  async #read(secretName: string): Promise<string> {
    let secretString: string | undefined;
    try {
      const output = await this.#source.getSecretValue(secretName);
      secretString =
        output.secretString ??
        (output.secretBinary === undefined ? undefined : Buffer.from(output.secretBinary).toString('utf8'));
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') {
        throw new ApiKeySecretMissingError(secretName, { cause: error });
      }
      throw new ApiKeySecretReadError(secretName, { cause: error });
    }
    const value = extractApiKey(secretName, secretString ?? '');
    this.#cache.set(secretName, { value, expiresAt: this.#clock() + this.#ttlMs });
    return value;
  }
}

/** Plain text, a JSON string, or a JSON object with one of {@link KEY_FIELDS}; trimmed. */
function extractApiKey(secretName: string, raw: string): string {
  const text = raw.trim();
  let key = text;
  if (text.startsWith('{') || text.startsWith('"')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // The parser's message quotes the input, so it must not become a cause.
      throw new ApiKeySecretInvalidError(secretName, 'holds text that starts like JSON but does not parse');
    }
    if (typeof parsed === 'string') {
      key = parsed.trim();
    } else if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const record = parsed as Record<string, unknown>;
      const field = KEY_FIELDS.find((name) => typeof record[name] === 'string');
      if (field === undefined) {
        throw new ApiKeySecretInvalidError(
          secretName,
          `holds JSON without a string "${KEY_FIELDS.join('" or "')}" field`,
        );
      }
      key = String(record[field]).trim();
    }
  }
  if (key === '' || key === API_KEY_PLACEHOLDER) throw new ApiKeyNotSetError(secretName);
  return key;
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : undefined;
}
