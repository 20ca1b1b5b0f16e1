/**
 * Reads the subscriptions of the guard's SNS topic (`ListSubscriptionsByTopic`, every page), for
 * `budget-guard status`. Read only: nothing here subscribes, confirms or unsubscribes.
 */
import {
  ListSubscriptionsByTopicCommand,
  type ListSubscriptionsByTopicCommandOutput,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { TopicSubscription } from '../domain/status.ts';

/** How long listing may take in all (every page, retries included) before it is given up. */
export const LIST_SUBSCRIPTIONS_TIMEOUT_MS = 15_000;

/** SNS did not finish answering within the time allowed. */
export class ListSubscriptionsTimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(`ListSubscriptionsByTopic did not answer within ${timeoutMs / 1000} s`, options);
  }
}

/**
 * Every subscription of `topicArn`, following `NextToken` (SNS lists up to 100 a page). Throws what the SDK throws (for example
 * `AuthorizationErrorException` when the caller may not list, `NotFoundException` for a missing topic), or
 * `ListSubscriptionsTimeoutError` when every page was not read within `timeoutMs`.
 */
export async function listTopicSubscriptions(
  client: SNSClient,
  topicArn: string,
  options: { readonly timeoutMs?: number } = {},
): Promise<TopicSubscription[]> {
  const timeoutMs = options.timeoutMs ?? LIST_SUBSCRIPTIONS_TIMEOUT_MS;
  const abortSignal = AbortSignal.timeout(timeoutMs);
  const subscriptions: TopicSubscription[] = [];
  let nextToken: string | undefined;
  do {
    let page: ListSubscriptionsByTopicCommandOutput;
    try {
      page = await client.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: nextToken }),
        { abortSignal },
      );
    } catch (error) {
      if (abortSignal.aborted) throw new ListSubscriptionsTimeoutError(timeoutMs, { cause: error });
      throw error;
    }
    for (const s of page.Subscriptions ?? []) {
      subscriptions.push({
        subscriptionArn: s.SubscriptionArn ?? '',
        protocol: s.Protocol ?? '',
        endpoint: s.Endpoint ?? '',
      });
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken !== undefined);
  return subscriptions;
}
