/**
 * Typed failures of a guard cycle. The cycle maps them to outcomes: an auth or invalid-data failure raises a
 * `guard-error` alert; every failure fails the run (CLI exit 1, Lambda error) after the other organizations ran.
 */

export type RunwayFailure = 'auth' | 'rate-limit' | 'unavailable' | 'invalid-response';

/** Base of every error the Runway adapter throws. `status` is the HTTP status when there was one. */
export class RunwayError extends Error {
  override name = 'RunwayError';
  constructor(
    readonly failure: RunwayFailure,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Runway rejected the key (401) or the key may not read the organization (403). Retrying will not help. */
export class RunwayAuthError extends RunwayError {
  override name = 'RunwayAuthError';
  constructor(message: string, status: number, options?: { cause?: unknown }) {
    super('auth', message, status, options);
  }
}

/** Runway answered 429. `retryAfterSeconds` is what it asked for, if it said. */
export class RunwayRateLimitError extends RunwayError {
  override name = 'RunwayRateLimitError';
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super('rate-limit', message, 429, options);
  }
}

/** 5xx, a timeout or a dropped connection: the next scheduled run will catch up. */
export class RunwayUnavailableError extends RunwayError {
  override name = 'RunwayUnavailableError';
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super('unavailable', message, status, options);
  }
}

/** Runway answered with something that is not the documented shape; nothing from it may be stored. */
export class RunwayInvalidResponseError extends RunwayError {
  override name = 'RunwayInvalidResponseError';
  constructor(
    readonly endpoint: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      'invalid-response',
      `Runway returned data that fails validation (${endpoint}): ${problems.slice(0, 5).join('; ')}${
        problems.length > 5 ? `; and ${problems.length - 5} more` : ''
      }`,
      undefined,
      options,
    );
  }
}

/**
 * Runway's usage answer is well formed but contradicts the stored history without evidence (the trust rule in
 * `domain/trust.ts`: an empty or partial answer where history has spend). Nothing from it may be stored.
 */
export class RunwayUntrustedAnswerError extends RunwayError {
  override name = 'RunwayUntrustedAnswerError';
  constructor(readonly reasons: readonly string[]) {
    super(
      'invalid-response',
      `Runway's usage answer contradicts the stored history, so nothing from it was stored: ${reasons.join('; ')}`,
    );
  }
}

/** Some organizations' cycles failed; thrown after every organization ran so the errors alarm fires. */
export class GuardRunError extends Error {
  override name = 'GuardRunError';
  constructor(readonly failures: readonly { orgId: string; error: Error }[]) {
    super(
      `Guard cycle failed for ${failures.length} organization(s): ${failures
        .map((f) => `${f.orgId}: ${f.error.message}`)
        .join(' | ')}`,
    );
  }
}
