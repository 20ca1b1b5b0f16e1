/**
 * The AWS SDK clients' HTTP transport: `fetch`, the HTTP stack the Runway SDK already uses, so a guard
 * cycle loads one client stack instead of two, and the Lambda bundle leaves out the SDK's `node:https`
 * handler (`lib/guard-bundling.ts`). Connections are kept alive by fetch's own pool.
 */
import { FetchHttpHandler } from '@smithy/fetch-http-handler';

/**
 * How long one AWS request may take before it is aborted and, if attempts are left, retried. DynamoDB, SNS
 * and Secrets Manager answer in milliseconds; without a limit a stalled connection would hold the Lambda
 * until its own timeout.
 */
export const AWS_REQUEST_TIMEOUT_MS = 10_000;

export function createAwsRequestHandler(): FetchHttpHandler {
  return new FetchHttpHandler({ requestTimeout: AWS_REQUEST_TIMEOUT_MS });
}
