/**
 * `SecretValueSource` over the AWS SDK's Secrets Manager client: `GetSecretValue` with the SDK's endpoint
 * resolution (`AWS_ENDPOINT_URL_SECRETS_MANAGER` included), credential chain, SigV4 signing and standard
 * retries, sent through the project's HTTP handler with its timeouts (`aws-http.ts`).
 *
 * The SDK's errors are not passed on as they are: when a successful answer cannot be parsed, the SDK's error
 * quotes the body (the secret) in its message and keeps it in a hidden `$response`. Every failure becomes a
 * {@link SecretsManagerError} named after the AWS error code, carrying the status, request id and attempts.
 */
import {
  GetSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { createAwsRequestHandler } from './aws-http.ts';
import type { SecretValue, SecretValueSource } from './secrets.ts';

/** AWS error messages are short; a longer one is cut so a misbehaving endpoint cannot fill the logs. */
const MAX_MESSAGE_CHARS = 300;

/** A Secrets Manager client with the project's request timeouts; `config` may override any setting. */
export function createSecretsManagerClient(config: SecretsManagerClientConfig = {}): SecretsManagerClient {
  return new SecretsManagerClient({ requestHandler: createAwsRequestHandler(), ...config });
}

/**
 * A failed `GetSecretValue`. `name` is the AWS error code (`ResourceNotFoundException`, `AccessDeniedException`,
 * `ThrottlingException` …), or the SDK's name for a failure without one (`TimeoutError`,
 * `CredentialsProviderError` …, `NetworkError` for a refused or reset connection), or `InvalidResponseError`
 * when a successful answer could not be read. Set explicitly because the Lambda bundle does not keep class names.
 */
export class SecretsManagerError extends Error {
  override name: string;
  constructor(
    code: string,
    message: string,
    /** The HTTP status, when an answer came. */
    readonly statusCode: number | undefined,
    /** AWS's request id, when an answer came with one. */
    readonly requestId: string | undefined,
    /** Attempts the SDK made; more than 1 means it retried. */
    readonly attempts: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = code;
  }
}

export interface SdkSecretValueSourceOptions {
  /** Usually {@link createSecretsManagerClient}'s. */
  readonly client: SecretsManagerClient;
}

/** `GetSecretValue` for `SecretKeyReader`, through the SDK client. */
export class SdkSecretValueSource implements SecretValueSource {
  readonly #client: SecretsManagerClient;

  constructor(options: SdkSecretValueSourceOptions) {
    this.#client = options.client;
  }

  /**
   * Returns the secret's current value, as text or as bytes.
   * @throws SecretsManagerError named after the AWS error code (see the class).
   */
  async getSecretValue(secretId: string, signal?: AbortSignal): Promise<SecretValue> {
    try {
      const output = await this.#client.send(
        new GetSecretValueCommand({ SecretId: secretId }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      return { secretString: output.SecretString, secretBinary: output.SecretBinary };
    } catch (error) {
      throw toSecretsManagerError(error);
    }
  }
}

function toSecretsManagerError(error: unknown): SecretsManagerError {
  const record: Record<string, unknown> = isRecord(error) ? error : {};
  const metadata: Record<string, unknown> = isRecord(record.$metadata) ? record.$metadata : {};
  const statusCode = typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
  const requestId = typeof metadata.requestId === 'string' ? metadata.requestId : undefined;
  const attempts = typeof metadata.attempts === 'number' ? metadata.attempts : undefined;
  const context = [
    statusCode === undefined ? undefined : `HTTP ${statusCode}`,
    requestId === undefined ? undefined : `request ${requestId}`,
    attempts === undefined || attempts < 2 ? undefined : `${attempts} attempts`,
  ].filter((part) => part !== undefined);
  const withContext = (message: string) => (context.length ? `${message} (${context.join(', ')})` : message);
  const name = typeof record.name === 'string' && record.name !== '' ? record.name : 'UnknownError';
  const message = typeof record.message === 'string' ? shorten(record.message) : String(error);

  if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) {
    // The body of a successful answer is the secret: neither the parser's message nor the SDK's error is kept.
    return new SecretsManagerError(
      'InvalidResponseError',
      withContext(`the answer could not be read as a GetSecretValue result (${name})`),
      statusCode,
      requestId,
      attempts,
    );
  }
  if ('$fault' in record) {
    // An AWS error answer: the name is its code. The SDK's exception holds the raw response, so it is not kept.
    return new SecretsManagerError(name, withContext(message), statusCode, requestId, attempts);
  }
  // No answer: connection, timeout, credentials, abort. Node's socket errors are plain `Error`s with a code.
  const code = typeof record.code === 'string' ? record.code : undefined;
  const networkError = name === 'Error' && code !== undefined;
  return new SecretsManagerError(
    networkError ? 'NetworkError' : name,
    withContext(networkError && !message.includes(code) ? `${message} (${code})` : message),
    statusCode,
    requestId,
    attempts,
    { cause: error },
  );
}

function shorten(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
