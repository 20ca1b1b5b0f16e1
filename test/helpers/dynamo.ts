/**
 * In-memory dynalite for integration tests: one server per test file, a fresh table per test.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, vi } from 'vitest';
import { createDocumentClient, createTable, DynamoStore } from '../../functions/adapters/dynamo-store.ts';
import { startEmbeddedDynamo } from '../../functions/adapters/embedded-dynamo.ts';

export interface TestDynamo {
  /** `http://127.0.0.1:<port>` of the local server. */
  readonly endpoint: string;
  /** A document client for the server (undefined attributes removed, like the guard's). */
  readonly client: DynamoDBDocumentClient;
  /** Creates a table with a unique name (ACTIVE on return) and gives its name. */
  newTable(): Promise<string>;
  /** A new table (as `newTable`) and a DynamoStore on it. */
  newStore(): Promise<{ tableName: string; store: DynamoStore }>;
  /** Every item of one organization (`pk = ORG#<orgId>`) in a table, read consistently. */
  orgItems(tableName: string, orgId: string): Promise<Record<string, unknown>[]>;
  /** Destroys the client and stops the server. */
  close(): Promise<void>;
}

/** Local AWS settings, explicit so tests do not depend on the environment. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
}

/** Starts in-memory dynalite on a random port of 127.0.0.1. */
export async function startTestDynamo(): Promise<TestDynamo> {
  const server = await startEmbeddedDynamo();
  const client = createDocumentClient(localClientConfig(server.endpoint));
  const newTable = async () => {
    const tableName = `budget-guard-test-${randomUUID()}`;
    await createTable(client, tableName);
    return tableName;
  };
  return {
    endpoint: server.endpoint,
    client,
    newTable,
    async newStore() {
      const tableName = await newTable();
      return { tableName, store: new DynamoStore({ client, tableName }) };
    },
    async orgItems(tableName, orgId) {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `ORG#${orgId}` },
          ConsistentRead: true,
        }),
      );
      return Items;
    },
    async close() {
      client.destroy();
      await server.close();
    },
  };
}

/**
 * Starts dynalite before the file's tests and stops it after them. With `stubEndpoint`, code that builds its own
 * clients from the environment (the CLI, as against AWS) reaches it through AWS_ENDPOINT_URL_DYNAMODB.
 * @returns a getter, valid inside tests and hooks.
 */
export function useTestDynamo(options: { readonly stubEndpoint?: boolean } = {}): () => TestDynamo {
  let dynamo: TestDynamo | undefined;
  beforeAll(async () => {
    dynamo = await startTestDynamo();
    if (options.stubEndpoint) vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
  });
  afterAll(async () => {
    if (options.stubEndpoint) vi.unstubAllEnvs();
    await dynamo?.close();
  });
  return () => {
    if (!dynamo) throw new Error('dynalite is not running yet (use it inside a test or hook)');
    return dynamo;
  };
}
