import 'aws-sdk-client-mock-vitest/extend';
import { inspect } from 'node:util';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ApiKeyNotSetError,
  ApiKeySecretInvalidError,
  ApiKeySecretMissingError,
  ApiKeySecretReadError,
  SecretKeyReader,
} from '../../functions/adapters/secrets.ts';
import { API_KEY_PLACEHOLDER } from '../../functions/contract.ts';

const SECRET_NAME = 'runway/studio';
const KEY = 'key_3f9a1c77e0b24d5e8c1a2b3c4d5e6f70';

const secretsMock = mockClient(SecretsManagerClient);

function newReader(options: { ttlMs?: number; clock?: () => number } = {}): SecretKeyReader {
  return new SecretKeyReader({ client: new SecretsManagerClient({}), ...options });
}

/** Everything an error could leak through: message, stack, own properties, cause chain. */
function everythingVisibleIn(error: unknown): string {
  return `${inspect(error, { depth: 5 })} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
}

describe('SecretKeyReader.getApiKey', () => {
  beforeEach(() => {
    secretsMock.reset();
  });

  it('reads a plain-text secret by name', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });

    // Act
    const key = await newReader().getApiKey(SECRET_NAME);

    // Assess
    expect(key).toBe(KEY);
    expect(secretsMock).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: SECRET_NAME });
  });

  it.each([
    ['{"apiKey": ...}', JSON.stringify({ apiKey: KEY })],
    ['{"RUNWAYML_API_SECRET": ...}', JSON.stringify({ RUNWAYML_API_SECRET: KEY })],
    ['a JSON string', JSON.stringify(KEY)],
    ['plain text with a trailing newline', `${KEY}\n`],
  ])('reads the key from %s', async (_label, secretString) => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: secretString });

    // Act
    const key = await newReader().getApiKey(SECRET_NAME);

    // Assess
    expect(key).toBe(KEY);
  });

  it('serves the second call from the cache: one GetSecretValue for two calls', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const reader = newReader();

    // Act
    const first = await reader.getApiKey(SECRET_NAME);
    const second = await reader.getApiKey(SECRET_NAME);

    // Assess
    expect([first, second]).toEqual([KEY, KEY]);
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads the secret again once the TTL has passed', async () => {
    // Prepare
    let now = 1_000_000;
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: KEY })
      .resolvesOnce({ SecretString: 'key_rotated' });
    const reader = newReader({ ttlMs: 60_000, clock: () => now });

    // Act
    const first = await reader.getApiKey(SECRET_NAME);
    now += 59_999;
    const cached = await reader.getApiKey(SECRET_NAME);
    now += 1;
    const refreshed = await reader.getApiKey(SECRET_NAME);

    // Assess
    expect([first, cached, refreshed]).toEqual([KEY, KEY, 'key_rotated']);
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('shares one request between concurrent calls for the same name', async () => {
    // Prepare
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    secretsMock.on(GetSecretValueCommand).callsFake(async () => {
      await gate;
      return { SecretString: KEY };
    });
    const reader = newReader();

    // Act
    const calls = [
      reader.getApiKey(SECRET_NAME),
      reader.getApiKey(SECRET_NAME),
      reader.getApiKey(SECRET_NAME),
    ];
    release();
    const keys = await Promise.all(calls);

    // Assess
    expect(keys).toEqual([KEY, KEY, KEY]);
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('caches each name separately', async () => {
    // Prepare
    secretsMock
      .on(GetSecretValueCommand, { SecretId: 'runway/studio' })
      .resolves({ SecretString: KEY })
      .on(GetSecretValueCommand, { SecretId: 'runway/agency' })
      .resolves({ SecretString: 'key_agency' });
    const reader = newReader();

    // Act
    const keys = await Promise.all([reader.getApiKey('runway/studio'), reader.getApiKey('runway/agency')]);

    // Assess
    expect(keys).toEqual([KEY, 'key_agency']);
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it.each([
    ['the placeholder', API_KEY_PLACEHOLDER],
    ['the placeholder in JSON', JSON.stringify({ apiKey: API_KEY_PLACEHOLDER })],
    ['an empty string', ''],
    ['only whitespace', '  \n'],
  ])('throws ApiKeyNotSetError with the exact fix when the secret holds %s', async (_label, secretString) => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: secretString });

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
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: API_KEY_PLACEHOLDER })
      .resolvesOnce({ SecretString: KEY });
    const reader = newReader();

    // Act
    await expect(reader.getApiKey(SECRET_NAME)).rejects.toThrow(ApiKeyNotSetError);
    const key = await reader.getApiKey(SECRET_NAME);

    // Assess
    expect(key).toBe(KEY);
  });

  it('throws ApiKeySecretMissingError when the secret does not exist', async () => {
    // Prepare
    const notFound = new ResourceNotFoundException({
      message: "Secrets Manager can't find the specified secret.",
      $metadata: { httpStatusCode: 400 },
    });
    secretsMock.on(GetSecretValueCommand).rejects(notFound);

    // Act
    const error = await newReader()
      .getApiKey(SECRET_NAME)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ApiKeySecretMissingError);
    expect((error as ApiKeySecretMissingError).name).toBe('ApiKeySecretMissingError');
    expect((error as ApiKeySecretMissingError).message).toContain(`"${SECRET_NAME}"`);
    expect((error as ApiKeySecretMissingError).cause).toBe(notFound);
  });

  it('wraps other Secrets Manager failures in ApiKeySecretReadError with the cause', async () => {
    // Prepare
    const denied = new SecretsManagerServiceException({
      name: 'AccessDeniedException',
      message: 'not authorized to perform: secretsmanager:GetSecretValue',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    secretsMock.on(GetSecretValueCommand).rejects(denied);

    // Act
    const error = await newReader()
      .getApiKey(SECRET_NAME)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ApiKeySecretReadError);
    expect((error as Error).message).toContain('AccessDeniedException');
    expect((error as Error).cause).toBe(denied);
  });

  it.each([
    ['JSON without a key field', JSON.stringify({ token: KEY })],
    ['malformed JSON', `{"apiKey": ${KEY}`],
  ])('throws ApiKeySecretInvalidError for %s, without the value', async (_label, secretString) => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: secretString });

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
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const reader = newReader();

    // Act
    await reader.getApiKey(SECRET_NAME);

    // Assess
    expect(inspect(reader, { depth: 5, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(reader)).not.toContain(KEY);
  });
});
