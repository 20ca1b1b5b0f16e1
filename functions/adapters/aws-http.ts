/**
 * The AWS SDK clients' HTTP transport: the SDK's own Node handler, with limits. Without them a stalled
 * connection would hold a guard cycle until the Lambda's own timeout; with them the SDK's retry strategy
 * sees a timeout error and retries.
 *
 * `fetch` (the stack the Runway SDK uses) was tried instead and measured worse: about 60 MB more peak memory at
 * 100 organizations in one invocation and slower requests (`npm run bench`).
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** How long one AWS request may take once connected. DynamoDB, SNS and Secrets Manager answer in ms. */
export const AWS_REQUEST_TIMEOUT_MS = 10_000;
/** How long opening a connection may take. */
export const AWS_CONNECTION_TIMEOUT_MS = 3_000;

export function createAwsRequestHandler(): NodeHttpHandler {
  return new NodeHttpHandler({
    requestTimeout: AWS_REQUEST_TIMEOUT_MS,
    connectionTimeout: AWS_CONNECTION_TIMEOUT_MS,
  });
}
