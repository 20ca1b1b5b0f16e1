/**
 * The ledger side of a partial delivery, on the real DynamoDB protocol (local server): the destinations an
 * alert reached are recorded on its pending item, read back with it, and dropped when it is marked sent.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { SAMPLES, sampleContext } from '../../functions/domain/alerts/registry.ts';
import { useTestDynamo } from '../helpers/dynamo.ts';

const dynamo = useTestDynamo();

describe('DynamoStore.recordDelivered', () => {
  it('adds destinations to a pending alert, returns them with it, and clears them when it is sent', async () => {
    // Prepare
    const { tableName, store } = await dynamo().newStore();
    const message = SAMPLES[0]?.render(sampleContext());
    if (!message) throw new Error('no sample');
    const now = new Date('2026-11-22T09:30:00Z');
    const key = 'budget#monthly-total#2026-11#80';
    await store.claimAlert({
      orgId: 'studio',
      key,
      message,
      now,
      leaseMs: 1000,
      expiresAt: new Date('2027-12-01'),
    });

    // Act
    await store.recordDelivered({ orgId: 'studio', key, destinations: ['alerts'] });
    await store.recordDelivered({ orgId: 'studio', key, destinations: ['alerts', 'chat-2'] });
    const pending = await store.listPendingAlerts('studio', new Date(now.getTime() + 5000));

    // Assess
    expect(pending).toHaveLength(1);
    expect(pending[0]?.delivered?.toSorted()).toEqual(['alerts', 'chat-2']);
    expect(pending[0]?.message.chat).toEqual(message.chat);

    await store.markAlertSent({ orgId: 'studio', key, messageId: 'm-1', sentAt: now });
    const { Item } = await dynamo().client.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: 'ORG#studio', sk: `ALERT#${key}` },
        ConsistentRead: true,
      }),
    );
    expect(Item?.state).toBe('sent');
    expect(Item?.delivered).toBeUndefined();
    // A sent alert is final: recording on it changes nothing.
    await store.recordDelivered({ orgId: 'studio', key, destinations: ['chat-1'] });
    const { Item: after } = await dynamo().client.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: 'ORG#studio', sk: `ALERT#${key}` },
        ConsistentRead: true,
      }),
    );
    expect(after?.delivered).toBeUndefined();
  });
});
