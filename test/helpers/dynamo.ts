/**
 * In-memory dynalite for integration tests: one server per test file, a fresh table per test.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createTable } from '../../functions/adapters/dynamo-store.ts';
import { startEmbeddedDynamo } from '../../functions/adapters/embedded-dynamo.ts';

export interface TestDynamo {
  /** `http://127.0.0.1:<port>` of the local server. */
  readonly endpoint: string;
  /** A document client for the server (undefined attributes removed, like the guard's). */
  readonly client: DynamoDBDocumentClient;
  /** Creates a table with a unique name (ACTIVE on return) and gives its name. */
  newTable(): Promise<string>;
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
  return {
    endpoint: server.endpoint,
    client,
    async newTable() {
      const tableName = `budget-guard-test-${randomUUID()}`;
      await createTable(client, tableName);
      return tableName;
    },
    async close() {
      client.destroy();
      await server.close();
    },
  };
}
