/**
 * The guard bundle's stand-in for `@smithy/core/event-streams`, which the SDK loads only for operations with
 * event-stream members. The guard's operations (DynamoDB items, SNS Publish, Secrets Manager
 * GetSecretValue) have none, so the bundle resolves the module here instead of carrying its codec.
 * See `lib/guard-bundling.ts`.
 */
function unavailable(): never {
  throw new Error('Event streams are not part of the guard bundle; none of its AWS operations uses them');
}

export class EventStreamSerde {
  constructor() {
    unavailable();
  }
}

export const eventStreamSerdeProvider = (): never => unavailable();
