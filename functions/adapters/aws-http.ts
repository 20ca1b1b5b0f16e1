/**
 * The AWS SDK clients' HTTP transport: the SDK's own Node handler, with limits. Without them a stalled
 * connection would hold a guard cycle until the Lambda's own timeout; with them the SDK's retry strategy
 * sees a `TimeoutError` and retries. The handler only logs a warning when a request outlasts `requestTimeout`
 * unless `throwOnRequestTimeout` is set.
 *
 * `fetch` (the stack the Runway SDK uses) was tried instead and measured worse: about 60 MB more peak memory at
 * 100 organizations in one invocation and slower requests (`npm run bench`).
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** How long one AWS request may take once connected. DynamoDB, SNS and Secrets Manager answer in ms. */
export const AWS_REQUEST_TIMEOUT_MS = 10_000;
/** How long opening a connection may take. */
export const AWS_CONNECTION_TIMEOUT_MS = 3_000;

/** `requestTimeoutMs` defaults to {@link AWS_REQUEST_TIMEOUT_MS}; tests shorten it. */
export function createAwsRequestHandler(
  options: { readonly requestTimeoutMs?: number } = {},
): NodeHttpHandler {
  return new NodeHttpHandler({
    requestTimeout: options.requestTimeoutMs ?? AWS_REQUEST_TIMEOUT_MS,
    throwOnRequestTimeout: true,
    connectionTimeout: AWS_CONNECTION_TIMEOUT_MS,
  });
}
