/**
 * The Runway key reader and its Secrets Manager client, against a local Secrets Manager that checks each
 * request's SigV4 signature the way AWS does and can fail the next requests on demand.
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiKeyNotSetError,
  ApiKeySecretInvalidError,
  ApiKeySecretMissingError,
  ApiKeySecretReadError,
  SecretKeyReader,
} from '../../functions/adapters/secrets.ts';
import {
  resolveSecretsManagerEndpoint,
  SecretsManagerError,
  SecretsManagerHttp,
  type SecretsManagerHttpOptions,
} from '../../functions/adapters/secrets-manager.ts';
import { API_KEY_PLACEHOLDER } from '../../functions/contract.ts';
import {
  type SecretsManagerFault,
  type SecretsManagerServer,
  startSecretsManagerServer,
} from '../helpers/secrets-manager.ts';

const SECRET_NAME = 'runway/studio';
const KEY = 'key_3f9a1c77e0b24d5e8c1a2b3c4d5e6f70';
const WRONG_SECRET_KEY = 'wRoNg/SeCrEtKeY+not0the0one0the0server0knows';

let server: SecretsManagerServer;

beforeEach(async () => {
  server = await startSecretsManagerServer();
});

afterEach(async () => {
  await server.close();
});

/** A client of the local server, signing with its credentials, that never waits between attempts. */
function newClient(options: Partial<SecretsManagerHttpOptions> = {}): SecretsManagerHttp {
  return new SecretsManagerHttp({
    region: server.region,
    credentials: async () => server.credentials,
    endpoint: server.url,
    sleep: async () => {},
    ...options,
  });
}

function newReader(options: { ttlMs?: number; clock?: () => number } = {}): SecretKeyReader {
  return new SecretKeyReader({ source: newClient(), ...options });
}

/** Everything an error could leak through: message, stack, own properties, cause chain. */
function everythingVisibleIn(error: unknown): string {
  return `${inspect(error, { depth: 5 })} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
}

describe('SecretKeyReader.getApiKey', () => {
  it('reads a plain-text secret by name', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);

    // Act
    const key = await newReader().getApiKey(SECRET_NAME);

    // Assess
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
    const error = await newReader()
      .getApiKey(SECRET_NAME)
      .catch((e: unknown) => e);

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

  it('throws ApiKeySecretMissingError when the secret does not exist', async () => {
    // Prepare: nothing stored under SECRET_NAME.

    // Act
    const error = await newReader()
      .getApiKey(SECRET_NAME)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ApiKeySecretMissingError);
    expect((error as ApiKeySecretMissingError).name).toBe('ApiKeySecretMissingError');
    expect((error as ApiKeySecretMissingError).message).toContain(`"${SECRET_NAME}"`);
    const cause = (error as ApiKeySecretMissingError).cause;
    expect(cause).toBeInstanceOf(SecretsManagerError);
    expect(cause).toMatchObject({ name: 'ResourceNotFoundException', statusCode: 400, attempts: 1 });
    expect(server.requests()).toBe(1);
  });

  it('wraps other Secrets Manager failures in ApiKeySecretReadError with the cause', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject({
      kind: 'error',
      status: 400,
      type: 'AccessDeniedException',
      message: 'not authorized to perform: secretsmanager:GetSecretValue',
    });

    // Act
    const error = await newReader()
      .getApiKey(SECRET_NAME)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ApiKeySecretReadError);
    expect((error as Error).message).toContain('AccessDeniedException');
    expect((error as Error).message).toContain('not authorized to perform: secretsmanager:GetSecretValue');
    expect((error as Error).cause).toBeInstanceOf(SecretsManagerError);
    expect((error as Error).cause).toMatchObject({ name: 'AccessDeniedException', attempts: 1 });
  });

  it.each([
    ['JSON without a key field', JSON.stringify({ token: KEY })],
    ['malformed JSON', `{"apiKey": ${KEY}`],
  ])('throws ApiKeySecretInvalidError for %s, without the value', async (_label, secretString) => {
    // Prepare
    server.set(SECRET_NAME, secretString);

    // Act
    const error = await newReader()
      .getApiKey(SECRET_NAME)
      .catch((e: unknown) => e);

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
});

describe('SecretsManagerHttp.getSecretValue', () => {
  it('sends a request the server accepts as signed, session token included', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);

    // Act
    const value = await newClient().getSecretValue(SECRET_NAME);

    // Assess
    expect(server.credentials.sessionToken).toBeTruthy();
    expect(value).toEqual({ secretString: KEY });
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

    // Act
    const value = await newClient({ endpoint: plain.url, credentials: async () => credentials })
      .getSecretValue(SECRET_NAME)
      .finally(() => plain.close());

    // Assess
    expect(value).toEqual({ secretString: KEY });
  });

  it('decodes a SecretBinary from base64', async () => {
    // Prepare
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
    server.set(SECRET_NAME, bytes);

    // Act
    const value = await newClient().getSecretValue(SECRET_NAME);

    // Assess
    expect(value.secretString).toBeUndefined();
    expect(value.secretBinary).toEqual(bytes);
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
  ])('is rejected, without retrying, when %s', async (_label, change, code) => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    const { region, ...identity } = { ...server.credentials, region: server.region, ...change };
    const client = newClient({ region, credentials: async () => identity });

    // Act
    const error = await client.getSecretValue(SECRET_NAME).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SecretsManagerError);
    expect(error).toMatchObject({ name: code, statusCode: 400, attempts: 1, transient: false });
    expect(server.requests()).toBe(1);
  });

  it('is rejected when the body is changed after signing', async () => {
    // Prepare: a transport that swaps the body for another secret's id.
    server.set('runway/other', KEY);
    const tampering: typeof fetch = (input, init) =>
      fetch(input, { ...init, body: JSON.stringify({ SecretId: 'runway/other' }) });

    // Act
    const error = await newClient({ fetch: tampering })
      .getSecretValue(SECRET_NAME)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'InvalidSignatureException', attempts: 1 });
  });

  it('the local server rejects an unsigned request as AWS does', async () => {
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

  it.each<[string, SecretsManagerFault]>([
    ['HTTP 500 InternalServiceError', { kind: 'internal' }],
    ['ThrottlingException', { kind: 'throttling' }],
    ['HTTP 429 with an HTML body', { kind: 'raw', status: 429, body: '<html>Too Many Requests</html>' }],
    [
      'HTTP 503 ServiceUnavailable',
      { kind: 'error', status: 503, type: 'ServiceUnavailable', message: 'Down' },
    ],
    ['a dropped connection', { kind: 'drop' }],
  ])('retries after %s, with growing jittered backoff, and succeeds', async (_label, fault) => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject(fault, 2);
    const sleeps: number[] = [];
    const client = newClient({ sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 });

    // Act
    const value = await client.getSecretValue(SECRET_NAME);

    // Assess
    expect(value).toEqual({ secretString: KEY });
    expect(server.requests()).toBe(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('gives up after maxAttempts with an error naming the code and the attempts', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject({ kind: 'internal' }, 10);

    // Act
    const error = await newClient({ maxAttempts: 3 })
      .getSecretValue(SECRET_NAME)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SecretsManagerError);
    const failure = error as SecretsManagerError;
    expect(failure).toMatchObject({
      name: 'InternalServiceError',
      statusCode: 500,
      attempts: 3,
      transient: true,
    });
    expect(failure.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(failure.message).toContain('gave up after 3 attempts');
    expect(failure.message).toContain(`GetSecretValue "${SECRET_NAME}"`);
    expect(String(failure)).toMatch(/^InternalServiceError: /);
    expect(server.requests()).toBe(3);
  });

  it('caps the backoff at 2 s', async () => {
    // Prepare
    server.inject({ kind: 'throttling' }, 8);
    const sleeps: number[] = [];
    const client = newClient({
      maxAttempts: 8,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.9999,
    });

    // Act
    const error = await client.getSecretValue(SECRET_NAME).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'ThrottlingException', attempts: 8 });
    expect(sleeps).toEqual([99, 199, 399, 799, 1599, 1999, 1999]);
  });

  it('aborts an attempt that takes longer than requestTimeoutMs and retries it', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject({ kind: 'delay', ms: 2_000 });

    // Act
    const value = await newClient({ requestTimeoutMs: 100 }).getSecretValue(SECRET_NAME);

    // Assess
    expect(value).toEqual({ secretString: KEY });
    expect(server.requests()).toBe(2);
  });

  it('throws TimeoutError when every attempt times out', async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject({ kind: 'delay', ms: 2_000 }, 2);

    // Act
    const error = await newClient({ requestTimeoutMs: 100, maxAttempts: 2 })
      .getSecretValue(SECRET_NAME)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({
      name: 'TimeoutError',
      attempts: 2,
      transient: true,
      statusCode: undefined,
    });
    expect((error as Error).message).toContain('no answer within 100 ms');
  });

  it("stops at once when the caller's signal aborts", async () => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject({ kind: 'delay', ms: 2_000 }, 3);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    // Act
    const error = await newClient()
      .getSecretValue(SECRET_NAME, controller.signal)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'RequestAbortedError', attempts: 1, transient: false });
    expect(server.requests()).toBe(1);
  });

  it.each([
    ['ResourceNotFoundException', 400],
    ['AccessDeniedException', 400],
    ['DecryptionFailure', 400],
    ['InvalidRequestException', 400],
    ['InvalidParameterException', 400],
  ])('does not retry %s', async (code, status) => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject({ kind: 'error', status, type: code, message: `${code} happened` }, 3);

    // Act
    const error = await newClient()
      .getSecretValue(SECRET_NAME)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: code, statusCode: status, attempts: 1, transient: false });
    expect((error as Error).message).toContain(`${code} happened`);
    expect(server.requests()).toBe(1);
  });

  it('reads the code from a namespaced __type and the message from "Message"', async () => {
    // Prepare
    server.inject({
      kind: 'raw',
      status: 400,
      body: JSON.stringify({
        __type: 'com.amazonaws.secretsmanager#ResourceNotFoundException',
        Message: 'Secret not found',
      }),
    });

    // Act
    const error = await newClient()
      .getSecretValue(SECRET_NAME)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'ResourceNotFoundException' });
    expect((error as Error).message).toMatch(/^Secret not found \(/);
  });

  it.each<[string, SecretsManagerFault, string]>([
    ['cut short (not JSON)', { kind: 'truncated' }, 'a body that is not JSON'],
    [
      'without a value',
      { kind: 'raw', status: 200, body: '{"Name":"runway/studio"}' },
      'neither a SecretString',
    ],
    [
      'with a SecretBinary that is not base64',
      { kind: 'raw', status: 200, body: '{"SecretBinary":"@@"}' },
      'base64',
    ],
    ['as a JSON array', { kind: 'raw', status: 200, body: '[]' }, 'not a JSON object'],
  ])('rejects a 200 answer %s, without retrying or echoing it', async (_label, fault, problem) => {
    // Prepare
    server.set(SECRET_NAME, KEY);
    server.inject(fault, 3);

    // Act
    const error = await newClient()
      .getSecretValue(SECRET_NAME)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'InvalidResponseError', statusCode: 200, attempts: 1 });
    expect((error as Error).message).toContain(problem);
    expect(everythingVisibleIn(error)).not.toContain(KEY);
    expect(server.requests()).toBe(1);
  });

  it('never puts the secret value, the secret access key or the session token in an error', async () => {
    // Prepare: every way a read can fail, each after the secret is stored.
    server.set(SECRET_NAME, KEY);
    // [fault, how many requests it hits (retried ones are tried 3 times), client options]
    const failures: Array<[SecretsManagerFault | undefined, number, Partial<SecretsManagerHttpOptions>]> = [
      [{ kind: 'truncated' }, 1, {}],
      [{ kind: 'drop' }, 3, {}],
      [{ kind: 'delay', ms: 2_000 }, 3, { requestTimeoutMs: 50 }],
      [{ kind: 'internal' }, 3, {}],
      [{ kind: 'throttling' }, 3, {}],
      [{ kind: 'error', status: 400, type: 'DecryptionFailure', message: 'KMS said no' }, 1, {}],
      [
        undefined,
        0,
        { credentials: async () => ({ ...server.credentials, secretAccessKey: WRONG_SECRET_KEY }) },
      ],
      [undefined, 0, { endpoint: 'http://127.0.0.1:1' }],
      [
        undefined,
        0,
        {
          credentials: async () => {
            throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
          },
        },
      ],
    ];
    const errors: unknown[] = [];

    // Act
    for (const [fault, times, options] of failures) {
      if (fault !== undefined) server.inject(fault, times);
      const reader = new SecretKeyReader({ source: newClient(options) });
      errors.push(await reader.getApiKey(SECRET_NAME).catch((e: unknown) => e));
    }

    // Assess
    expect(errors.map((e) => (e as Error).cause && ((e as Error).cause as Error).name)).toEqual([
      'InvalidResponseError',
      'NetworkError',
      'TimeoutError',
      'InternalServiceError',
      'ThrottlingException',
      'DecryptionFailure',
      'InvalidSignatureException',
      'NetworkError',
      'CredentialsProviderError',
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

describe('resolveSecretsManagerEndpoint', () => {
  it.each([
    ['us-east-1', 'https://secretsmanager.us-east-1.amazonaws.com'],
    ['eu-central-2', 'https://secretsmanager.eu-central-2.amazonaws.com'],
    ['us-gov-west-1', 'https://secretsmanager.us-gov-west-1.amazonaws.com'],
    ['cn-north-1', 'https://secretsmanager.cn-north-1.amazonaws.com.cn'],
    ['cn-northwest-1', 'https://secretsmanager.cn-northwest-1.amazonaws.com.cn'],
  ])('calls the regional endpoint for %s', (region, endpoint) => {
    expect(resolveSecretsManagerEndpoint(region, {})).toBe(endpoint);
  });

  it.each([
    ['AWS_ENDPOINT_URL alone', { AWS_ENDPOINT_URL: 'http://localhost:4566' }, 'http://localhost:4566'],
    [
      'AWS_ENDPOINT_URL_SECRETS_MANAGER over AWS_ENDPOINT_URL',
      {
        AWS_ENDPOINT_URL: 'http://localhost:4566',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://localhost:9000',
      },
      'http://localhost:9000',
    ],
    [
      'AWS_ENDPOINT_URL when the service variable is blank',
      { AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_ENDPOINT_URL_SECRETS_MANAGER: ' ' },
      'http://localhost:4566',
    ],
    [
      'neither when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true',
      {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://localhost:9000',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      },
      'https://secretsmanager.us-east-1.amazonaws.com',
    ],
  ])('uses %s', (_label, env, endpoint) => {
    expect(resolveSecretsManagerEndpoint('us-east-1', env)).toBe(endpoint);
  });

  it('is what the client calls unless it is given an endpoint', () => {
    // Prepare
    const credentials = async () => server.credentials;
    const env = { AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://localhost:9000' };

    // Act
    const fromEnv = new SecretsManagerHttp({ region: 'cn-north-1', credentials, env });
    const fromRegion = new SecretsManagerHttp({ region: 'cn-north-1', credentials, env: {} });
    const given = new SecretsManagerHttp({
      region: 'cn-north-1',
      credentials,
      env,
      endpoint: 'http://127.0.0.1:1',
    });

    // Assess
    expect(fromEnv.endpoint).toBe('http://localhost:9000/');
    expect(fromRegion.endpoint).toBe('https://secretsmanager.cn-north-1.amazonaws.com.cn/');
    expect(given.endpoint).toBe('http://127.0.0.1:1/');
  });

  it.each([
    ['a malformed region', { region: 'us east 1' }, /not an AWS region name/],
    ['an endpoint that is not a URL', { endpoint: 'localhost:4566:x' }, /is not a URL|must be an http/],
    ['an endpoint that is not http(s)', { endpoint: 'ftp://localhost' }, /must be an http or https URL/],
    ['zero attempts', { maxAttempts: 0 }, /maxAttempts/],
  ])('refuses %s', (_label, options, message) => {
    expect(
      () =>
        new SecretsManagerHttp({
          region: 'us-east-1',
          credentials: async () => server.credentials,
          env: {},
          ...options,
        }),
    ).toThrow(message);
  });
});
