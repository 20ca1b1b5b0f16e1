/**
 * The Runway key reader over the AWS SDK's Secrets Manager client: through the real client against a local
 * Secrets Manager that checks each request's SigV4 signature the way AWS does and can fail the next requests
 * on demand, and with aws-sdk-client-mock where the exact request or a precise SDK error matters.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { inspect } from 'node:util';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAwsRequestHandler } from '../../functions/adapters/aws-http.ts';
import {
  createSecretsManagerClient,
  SdkSecretValueSource,
  SecretsManagerError,
} from '../../functions/adapters/sdk-secret-source.ts';
import {
  ApiKeyNotSetError,
  ApiKeySecretInvalidError,
  ApiKeySecretMissingError,
  ApiKeySecretReadError,
  SecretKeyReader,
} from '../../functions/adapters/secrets.ts';
import { API_KEY_PLACEHOLDER } from '../../functions/contract.ts';
import {
  type SecretsManagerFault,
  type SecretsManagerServer,
  startSecretsManagerServer,
} from '../helpers/secrets-manager.ts';

const SECRET_NAME = 'runway/studio';
const KEY = 'key_3f9a1c77e0b24d5e8c1a2b3c4d5e6f70';
const WRONG_SECRET_KEY = 'wRoNg/SeCrEtKeY+not0the0one0the0server0knows';

/** Everything an error could leak through: message, stack, own and hidden properties, cause chain. */
function everythingVisibleIn(error: unknown): string {
  return [
    inspect(error, { depth: 8, showHidden: true, getters: true }),
    JSON.stringify(error),
    (error as Error).stack ?? '',
  ].join(' ');
}

/** What `reader.getApiKey(SECRET_NAME)` fails with (or the key, should it not fail). */
function readFailure(reader: SecretKeyReader): Promise<unknown> {
  return reader.getApiKey(SECRET_NAME).catch((e: unknown) => e);
}

describe('SecretKeyReader through the SDK client, against a local Secrets Manager', () => {
  let server: SecretsManagerServer;
  const clients: SecretsManagerClient[] = [];

  beforeEach(async () => {
    server = await startSecretsManagerServer();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await server.close();
  });

  /** The client the Lambda builds, pointed at the local server with its credentials. */
  function newClient(config: SecretsManagerClientConfig = {}): SecretsManagerClient {
    const client = createSecretsManagerClient({
      region: server.region,
      endpoint: server.url,
      credentials: server.credentials,
      ...config,
    });
    clients.push(client);
    return client;
  }

  function newReader(options: { ttlMs?: number; clock?: () => number } = {}): SecretKeyReader {
    return new SecretKeyReader({ source: new SdkSecretValueSource({ client: newClient() }), ...options });
  }

  it('reads a plain-text secret by name, with a request the server accepts as signed (session token too)', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);

    // Act
    const key = await newReader().getApiKey(SECRET_NAME);

    // Assess
    expect(server.credentials.sessionToken).toBeTruthy();
    expect(key).toBe(KEY);
    expect(server.requests()).toBe(1);
  });

  it.each([
    ['{"apiKey": ...}', JSON.stringify({ apiKey: KEY })],
    ['{"RUNWAYML_API_SECRET": ...}', JSON.stringify({ RUNWAYML_API_SECRET: KEY })],
    ['a JSON string', JSON.stringify(KEY)],
    ['plain text with a trailing newline', `${KEY}\n`],
    ['a binary secret', new TextEncoder().encode(KEY)],
  ])('reads the key from %s', async (_label, value) => {
    // Prepare
    server.set(SECRET_NAME, value);

    // Act
    const key = await newReader().getApiKey(SECRET_NAME);

    // Assess
    expect(key).toBe(KEY);
  });

  it('serves the second call from the cache: one GetSecretValue for two calls', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    const reader = newReader();

    // Act
    const first = await reader.getApiKey(SECRET_NAME);
    const second = await reader.getApiKey(SECRET_NAME);

    // Assess
    expect([first, second]).toEqual([KEY, KEY]);
    expect(server.requests()).toBe(1);
  });

  it('reads the secret again once the TTL has passed', async () => {
    // Prepare
    let now = 1_000_000;
    server.set(SECRET_NAME, KEY);
    const reader = newReader({ ttlMs: 60_000, clock: () => now });

    // Act
    const first = await reader.getApiKey(SECRET_NAME);
    server.set(SECRET_NAME, 'key_rotated');
    now += 59_999;
    const cached = await reader.getApiKey(SECRET_NAME);
    now += 1;
    const refreshed = await reader.getApiKey(SECRET_NAME);

    // Assess
    expect([first, cached, refreshed]).toEqual([KEY, KEY, 'key_rotated']);
    expect(server.requests()).toBe(2);
  });

  it('shares one request between concurrent calls for the same name', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject({ kind: 'delay', ms: 50 });
    const reader = newReader();

    // Act
    const keys = await Promise.all([
      reader.getApiKey(SECRET_NAME),
      reader.getApiKey(SECRET_NAME),
      reader.getApiKey(SECRET_NAME),
    ]);

    // Assess
    expect(keys).toEqual([KEY, KEY, KEY]);
    expect(server.requests()).toBe(1);
  });

  it('caches each name separately', async () => {
    // Prepare
    server.set('runway/studio', KEY);
    server.set('runway/agency', 'key_agency');
    const reader = newReader();

    // Act
    const keys = await Promise.all([reader.getApiKey('runway/studio'), reader.getApiKey('runway/agency')]);

    // Assess
    expect(keys).toEqual([KEY, 'key_agency']);
    expect(server.requests()).toBe(2);
  });

  it.each([
    ['the placeholder', API_KEY_PLACEHOLDER],
    ['the placeholder in JSON', JSON.stringify({ apiKey: API_KEY_PLACEHOLDER })],
    ['an empty string', ''],
    ['only whitespace', '  \n'],
  ])('throws ApiKeyNotSetError with the exact fix when the secret holds %s', async (_label, secretString) => {
    // Prepare
    server.set(SECRET_NAME, secretString);

    // Act
    const error = await readFailure(newReader());

    // Assess
    expect(error).toBeInstanceOf(ApiKeyNotSetError);
    const notSet = error as ApiKeyNotSetError;
    expect(notSet.name).toBe('ApiKeyNotSetError');
    expect(notSet.secretName).toBe(SECRET_NAME);
    expect(notSet.message).toContain(
      `aws secretsmanager put-secret-value --secret-id ${SECRET_NAME} --secret-string <your Runway key>`,
    );
    if (secretString.trim() !== '') expect(everythingVisibleIn(error)).not.toContain(API_KEY_PLACEHOLDER);
  });

  it('does not cache a failure: the key is read again after it has been put', async () => {
    // Prepare
    server.set(SECRET_NAME, API_KEY_PLACEHOLDER);
    const reader = newReader();

    // Act
    await expect(reader.getApiKey(SECRET_NAME)).rejects.toThrow(ApiKeyNotSetError);
    server.set(SECRET_NAME, KEY);
    const key = await reader.getApiKey(SECRET_NAME);

    // Assess
    expect(key).toBe(KEY);
    expect(server.requests()).toBe(2);
  });

  it('throws ApiKeySecretMissingError when the secret does not exist, without retrying', async () => {
    // Prepare: nothing stored under SECRET_NAME.

    // Act
    const error = await readFailure(newReader());

    // Assess
    expect(error).toBeInstanceOf(ApiKeySecretMissingError);
    expect((error as ApiKeySecretMissingError).name).toBe('ApiKeySecretMissingError');
    expect((error as ApiKeySecretMissingError).message).toContain(`"${SECRET_NAME}"`);
    const cause = (error as ApiKeySecretMissingError).cause;
    expect(cause).toBeInstanceOf(SecretsManagerError);
    expect(cause).toMatchObject({ name: 'ResourceNotFoundException', statusCode: 400, attempts: 1 });
    expect((cause as SecretsManagerError).requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.requests()).toBe(1);
  });

  it('wraps other Secrets Manager failures in ApiKeySecretReadError naming the AWS code and message', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject({
      kind: 'error',
      status: 400,
      type: 'AccessDeniedException',
      message: 'not authorized to perform: secretsmanager:GetSecretValue',
    });

    // Act
    const error = await readFailure(newReader());

    // Assess
    expect(error).toBeInstanceOf(ApiKeySecretReadError);
    expect((error as Error).message).toContain('AccessDeniedException');
    expect((error as Error).message).toContain('not authorized to perform: secretsmanager:GetSecretValue');
    expect((error as Error).cause).toBeInstanceOf(SecretsManagerError);
    expect((error as Error).cause).toMatchObject({ name: 'AccessDeniedException', attempts: 1 });
  });

  it('leaves retries to the SDK: an HTTP 500 and a dropped connection are retried and the key is read', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject({ kind: 'internal' });
    server.inject({ kind: 'drop' });

    // Act
    const key = await newReader().getApiKey(SECRET_NAME);

    // Assess
    expect(key).toBe(KEY);
    expect(server.requests()).toBe(3);
  });

  it.each([
    ['JSON without a key field', JSON.stringify({ token: KEY })],
    ['malformed JSON', `{"apiKey": ${KEY}`],
  ])('throws ApiKeySecretInvalidError for %s, without the value', async (_label, secretString) => {
    // Prepare
    server.set(SECRET_NAME, secretString);

    // Act
    const error = await readFailure(newReader());

    // Assess
    expect(error).toBeInstanceOf(ApiKeySecretInvalidError);
    expect((error as Error).message).toContain(SECRET_NAME);
    expect(everythingVisibleIn(error)).not.toContain(KEY);
    expect((error as Error).cause).toBeUndefined();
  });

  it('keeps the secret value out of the reader when it is logged or serialized', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    const reader = newReader();

    // Act
    await reader.getApiKey(SECRET_NAME);

    // Assess
    expect(inspect(reader, { depth: 5, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(reader)).not.toContain(KEY);
  });

  it.each([
    ['signed with the wrong secret key', { secretAccessKey: WRONG_SECRET_KEY }, 'InvalidSignatureException'],
    ['signed for another region', { region: 'eu-west-1' }, 'InvalidSignatureException'],
    [
      'signed with another access key',
      { accessKeyId: 'ASIAANOTHERACCESSKEY' },
      'UnrecognizedClientException',
    ],
    ['carrying another session token', { sessionToken: 'another-token' }, 'UnrecognizedClientException'],
  ])('is refused by the server, without a retry, when %s', async (_label, change, code) => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    const { region, ...credentials } = { ...server.credentials, region: server.region, ...change };
    const reader = new SecretKeyReader({
      source: new SdkSecretValueSource({ client: newClient({ region, credentials }) }),
    });

    // Act
    const error = await readFailure(reader);

    // Assess
    expect(error).toBeInstanceOf(ApiKeySecretReadError);
    expect((error as Error).cause).toMatchObject({ name: code, statusCode: 400, attempts: 1 });
    expect(server.requests()).toBe(1);
  });

  it('signs without a session token when the credentials have none', async () => {
    // Prepare
    const credentials = {
      accessKeyId: 'AKIALOCALTESTNOTOKEN',
      secretAccessKey: 'no/token/secret/key/0123456789',
    };
    const plain = await startSecretsManagerServer({ credentials });
    plain.set(SECRET_NAME, KEY);
    const source = new SdkSecretValueSource({ client: newClient({ endpoint: plain.url, credentials }) });

    // Act
    const value = await source.getSecretValue(SECRET_NAME).finally(() => plain.close());

    // Assess
    expect(value).toEqual({ secretString: KEY, secretBinary: undefined });
  });

  it('the local server refuses an unsigned request as AWS does', async () => {
    // Act
    const response = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
      },
      body: JSON.stringify({ SecretId: SECRET_NAME }),
    });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'IncompleteSignatureException' });
  });

  it('stops when the signal aborts', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject({ kind: 'delay', ms: 2_000 }, 3);
    const source = new SdkSecretValueSource({ client: newClient() });

    // Act: abort once the request is in flight (the server holds it for 2 s).
    const controller = new AbortController();
    const pending = source.getSecretValue(SECRET_NAME, controller.signal).catch((e: unknown) => e);
    await vi.waitFor(() => expect(server.requests()).toBe(1));
    controller.abort();
    const error = await pending;

    // Assess: the abort ends the read at once, without a retry.
    expect(error).toBeInstanceOf(SecretsManagerError);
    expect((error as Error).name).toBe('AbortError');
    expect(server.requests()).toBe(1);
  });

  it('never puts the secret value, the secret access key or the session token in an error', async () => {
    // Prepare: every way a read can fail, each after the secret is stored. Retries do not wait here.
    server.set(SECRET_NAME, KEY);
    const fast: SecretsManagerClientConfig = { retryStrategy: new ConfiguredRetryStrategy(3, () => 0) };
    // [fault, how many requests it hits (retried ones are tried 3 times), client config]
    const failures: Array<[SecretsManagerFault | undefined, number, SecretsManagerClientConfig]> = [
      [{ kind: 'truncated' }, 1, fast],
      [{ kind: 'drop' }, 3, fast],
      [
        { kind: 'delay', ms: 2_000 },
        3,
        { ...fast, requestHandler: createAwsRequestHandler({ requestTimeoutMs: 50 }) },
      ],
      [{ kind: 'internal' }, 3, fast],
      [{ kind: 'throttling' }, 3, fast],
      [{ kind: 'error', status: 400, type: 'DecryptionFailure', message: 'KMS said no' }, 1, fast],
      [undefined, 0, { ...fast, credentials: { ...server.credentials, secretAccessKey: WRONG_SECRET_KEY } }],
      [undefined, 0, { ...fast, endpoint: 'http://127.0.0.1:1' }],
      [
        undefined,
        0,
        {
          ...fast,
          credentials: async () => {
            throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
          },
        },
      ],
    ];
    const errors: unknown[] = [];

    // Act
    for (const [fault, times, config] of failures) {
      if (fault !== undefined) server.inject(fault, times);
      const reader = new SecretKeyReader({ source: new SdkSecretValueSource({ client: newClient(config) }) });
      errors.push(await readFailure(reader));
    }

    // Assess
    expect(errors.map((e) => ((e as Error).cause as Error | undefined)?.name)).toEqual([
      'InvalidResponseError',
      // The SDK names a reset connection (ECONNRESET) a TimeoutError, as it does timeouts.
      'TimeoutError',
      'TimeoutError',
      'InternalServiceError',
      'ThrottlingException',
      'DecryptionFailure',
      'InvalidSignatureException',
      'NetworkError',
      'Error',
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(ApiKeySecretReadError);
      const visible = everythingVisibleIn(error);
      expect(visible).not.toContain(KEY);
      expect(visible).not.toContain(server.credentials.secretAccessKey);
      expect(visible).not.toContain(WRONG_SECRET_KEY);
      expect(visible).not.toContain(server.credentials.sessionToken);
    }
  });
});

describe('SdkSecretValueSource (aws-sdk-client-mock)', () => {
  // One mocked client instance per test: the other describe's real clients stay real.
  let client: SecretsManagerClient;
  let secretsManager: AwsClientStub<SecretsManagerClient>;

  beforeEach(() => {
    client = new SecretsManagerClient({ region: 'us-east-1' });
    secretsManager = mockClient(client);
  });

  function newReader(): SecretKeyReader {
    return new SecretKeyReader({ source: new SdkSecretValueSource({ client }) });
  }

  it('asks GetSecretValue for exactly the configured secret name, once', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ Name: SECRET_NAME, SecretString: KEY });
    const reader = newReader();

    // Act
    const keys = [await reader.getApiKey(SECRET_NAME), await reader.getApiKey(SECRET_NAME)];

    // Assess
    expect(keys).toEqual([KEY, KEY]);
    expect(secretsManager).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, {
      SecretId: SECRET_NAME,
    });
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toStrictEqual({
      SecretId: SECRET_NAME,
    });
  });

  it('returns SecretBinary as bytes', async () => {
    // Prepare
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: bytes });

    // Act
    const value = await new SdkSecretValueSource({ client }).getSecretValue(SECRET_NAME);

    // Assess
    expect(value).toEqual({ secretString: undefined, secretBinary: bytes });
  });

  it("maps the SDK's ResourceNotFoundException to ApiKeySecretMissingError", async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: { httpStatusCode: 400, requestId: 'req-404', attempts: 1 },
      }),
    );

    // Act
    const error = await readFailure(newReader());

    // Assess
    expect(error).toBeInstanceOf(ApiKeySecretMissingError);
    expect((error as Error).cause).toMatchObject({
      name: 'ResourceNotFoundException',
      statusCode: 400,
      requestId: 'req-404',
    });
  });

  it('surfaces throttling after the SDK gave up as ApiKeySecretReadError, with code, request id and attempts', async () => {
    // Prepare: what the SDK throws once its retries are spent.
    secretsManager.on(GetSecretValueCommand).rejects(
      new SecretsManagerServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400, requestId: 'req-429', attempts: 3, totalRetryDelay: 1_200 },
      }),
    );

    // Act
    const error = await readFailure(newReader());

    // Assess
    expect(error).toBeInstanceOf(ApiKeySecretReadError);
    expect((error as Error).message).toBe(
      `Could not read secret "${SECRET_NAME}" from Secrets Manager: ThrottlingException: Rate exceeded ` +
        '(HTTP 400, request req-429, 3 attempts)',
    );
    const cause = (error as Error).cause as SecretsManagerError;
    expect(cause).toBeInstanceOf(SecretsManagerError);
    expect(cause).toMatchObject({
      name: 'ThrottlingException',
      statusCode: 400,
      requestId: 'req-429',
      attempts: 3,
    });
    // The SDK's exception (which holds the raw HTTP response) is not kept.
    expect(cause.cause).toBeUndefined();
    expect(everythingVisibleIn(error)).not.toContain(KEY);
  });

  it('drops an unreadable successful answer: the parser quotes it and the SDK keeps the body', async () => {
    // Prepare: a deserialization error as the SDK throws it for a 200 answer cut short.
    const body = `{"Name":"${SECRET_NAME}","SecretString":"${KEY}"`;
    const parseError = Object.assign(new SyntaxError(`Unexpected end of JSON input in ${body}`), {
      $metadata: { httpStatusCode: 200, requestId: 'req-200' },
    });
    Object.defineProperty(parseError, '$response', { value: { statusCode: 200, body }, enumerable: false });
    secretsManager.on(GetSecretValueCommand).rejects(parseError);

    // Act
    const error = await readFailure(newReader());

    // Assess
    expect(error).toBeInstanceOf(ApiKeySecretReadError);
    expect((error as Error).cause).toMatchObject({ name: 'InvalidResponseError', statusCode: 200 });
    expect(((error as Error).cause as Error).cause).toBeUndefined();
    expect(everythingVisibleIn(error)).not.toContain(KEY);
  });

  it('names a refused connection NetworkError and keeps its code', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
        code: 'ECONNREFUSED',
        $metadata: { attempts: 3 },
      }),
    );

    // Act
    const error = await readFailure(newReader());

    // Assess
    expect((error as Error).cause).toMatchObject({ name: 'NetworkError', attempts: 3 });
    expect(((error as Error).cause as Error).message).toBe('connect ECONNREFUSED 127.0.0.1:1 (3 attempts)');
  });
});
