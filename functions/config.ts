/**
 * The one configuration schema. The CDK app validates `context.budgetGuard` with it at synth time, and the
 * guard validates `BUDGET_GUARD_CONFIG` (Lambda) or `--config` (CLI) with it at start. Every problem is
 * reported with its JSON path; required values have no defaults.
 */
import * as z from 'zod/mini';
import { type AlertKind, ALERT_KINDS as REGISTERED_KINDS } from './domain/alerts/registry.ts';
import { formatIssues } from './validation.ts';

export type { AlertKind };
/**
 * The alert kinds the registry defines. Typed as plain strings here: the kinds' own types refer to this
 * schema's types (a budget finding carries its budget), so inferring one from the other would be circular.
 */
export const ALERT_KINDS: readonly [string, ...string[]] = REGISTERED_KINDS;

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const ID_PATTERN = /^[a-z0-9-]{1,40}$/;

const percent = z
  .number({ error: 'expected a percentage (a number from 1 to 100)' })
  .check(
    z.gt(0, { error: 'a threshold must be greater than 0 (it is a percentage of the limit)' }),
    z.lte(100, { error: 'a threshold must be at most 100 (it is a percentage of the limit)' }),
  );

/** Thresholds: percentages in (0, 100], at least one, no repeats. Stored sorted ascending. */
const thresholds = z.pipe(
  z.array(percent).check(
    z.minLength(1, { error: 'needs at least one threshold, e.g. [80, 100]' }),
    z.refine((list) => new Set(list).size === list.length, { error: 'thresholds must not repeat' }),
  ),
  z.transform((list) => [...list].sort((a, b) => a - b)),
);

const positiveAmount = z.number().check(z.gt(0, { error: 'a limit must be greater than 0' }));

const limitSchema = z.union(
  [z.strictObject({ credits: positiveAmount }), z.strictObject({ usd: positiveAmount })],
  { error: 'limit takes exactly one of {"credits": N} or {"usd": N}' },
);

const budgetSchema = z
  .strictObject({
    id: z.string().check(z.regex(ID_PATTERN, { error: 'an id is 1–40 characters of a-z, 0-9 and -' })),
    period: z.enum(['day', 'month'], { error: 'period must be "day" or "month"' }),
    model: z.optional(z.string().check(z.minLength(1))),
    limit: limitSchema,
    thresholds,
    forecast: z.optional(z.boolean()),
  })
  .check(
    z.refine((b) => !(b.forecast && b.period !== 'month'), {
      error: 'forecast is only available for month budgets',
      path: ['forecast'],
    }),
  );

/** Control, line-separator and bidirectional characters an organization name may not hold. */
const NAME_CONTROLS = /[\p{Cc}\p{Cs}\u2028\u2029\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

const lowBalanceSchema = z
  .strictObject({
    credits: z.optional(z.number().check(z.gte(0))),
    days: z.optional(z.number().check(z.gt(0))),
  })
  .check(
    z.refine((b) => b.credits !== undefined || b.days !== undefined, {
      error: 'lowBalance needs "credits", "days" or both',
    }),
  );

const organizationSchema = z
  .strictObject({
    id: z
      .string()
      .check(z.regex(ID_PATTERN, { error: 'an organization id is 1–40 characters of a-z, 0-9 and -' })),
    name: z.string().check(
      z.minLength(1),
      z.maxLength(60),
      z.refine((name) => !NAME_CONTROLS.test(name), {
        error:
          'an organization name may not contain control characters, line breaks or bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C): they break subjects and emails',
      }),
      z.refine((name) => name.trim() !== '', { error: 'an organization name needs a printable character' }),
    ),
    apiKeySecretName: z
      .string()
      .check(z.regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, { error: 'not a valid Secrets Manager secret name' })),
    budgets: z._default(z.array(budgetSchema), []),
    lowBalance: z.optional(lowBalanceSchema),
  })
  .check(
    z.refine((o) => idsUnique(o.budgets), {
      error: 'budget ids must be unique within an organization',
      path: ['budgets'],
      when: (payload) => hasList(payload.value, 'budgets'),
    }),
  );

/**
 * Duplicate ids are reported alongside every other problem, so these checks also run on a document that has
 * other issues (`when`); entries that are not objects with a string id are left to their own issues.
 */
function hasList(value: unknown, key: string): boolean {
  return (
    typeof value === 'object' && value !== null && Array.isArray((value as Record<string, unknown>)[key])
  );
}

function idsUnique(list: readonly unknown[]): boolean {
  const ids = list
    .map((entry) =>
      typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined,
    )
    .filter((id) => typeof id === 'string');
  return new Set(ids).size === ids.length;
}

const SCHEDULE_PATTERN =
  /^(rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)|cron\(\S+( \S+){5}\))$/;

const subscriptionSchema = z.strictObject({
  email: z.email({ error: 'not a valid email address' }),
  kinds: z.array(z.enum(ALERT_KINDS, { error: `kinds are ${ALERT_KINDS.join(', ')}` })).check(z.minLength(1)),
  severities: z.optional(z.array(z.enum(SEVERITIES)).check(z.minLength(1))),
});

export const configSchema = z
  .strictObject({
    organizations: z
      .array(organizationSchema)
      .check(z.minLength(1, { error: 'configure at least one organization' })),
    tierCapThresholds: z._default(thresholds, [80, 95, 100]),
    dailyQuotaThresholds: z._default(thresholds, [80, 100]),
    usdPerCredit: z._default(z.number().check(z.gt(0)), 0.01),
    schedule: z._default(
      z.string().check(
        z.regex(SCHEDULE_PATTERN, {
          error:
            'schedule must be an EventBridge expression such as "rate(1 hour)", "rate(15 minutes)" or "cron(0 * * * ? *)"',
        }),
      ),
      'rate(1 hour)',
    ),
    digest: z._default(z.strictObject({ hourUtc: z.number().check(z.int(), z.gte(0), z.lte(23)) }), {
      hourUtc: 8,
    }),
    anomaly: z._default(
      z.strictObject({
        multiple: z._default(z.number().check(z.gt(1)), 3),
        floorCredits: z._default(z.number().check(z.gte(0)), 1000),
      }),
      { multiple: 3, floorCredits: 1000 },
    ),
    subscriptions: z._default(z.array(subscriptionSchema), []),
  })
  .check(
    z.refine((c) => idsUnique(c.organizations), {
      error: 'organization ids must be unique',
      path: ['organizations'],
      when: (payload) => hasList(payload.value, 'organizations'),
    }),
  );

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type OrganizationConfig = Config['organizations'][number];
export type BudgetConfig = OrganizationConfig['budgets'][number];
export type Subscription = Config['subscriptions'][number];

/** Thrown when configuration does not match the schema; `problems` has one line per issue. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Validates a parsed config document. `source` names where it came from in the error
 * (e.g. "cdk.json context.budgetGuard").
 * @throws ConfigError listing every problem by JSON path.
 */
export function parseConfig(input: unknown, source: string): Config {
  // `reportInput` lets a problem quote the bad value ("expected number, got the string \"500\"") instead of
  // calling every wrong-typed value missing.
  const result = configSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ConfigError(source, formatIssues(result.error.issues));
  return result.data;
}

/**
 * Parses config JSON text (from an environment variable or a file).
 * @throws ConfigError when the text is not JSON or the document is invalid.
 */
export function parseConfigText(text: string, source: string): Config {
  return parseConfig(parseJsonDocument(text, source), source);
}

/**
 * Parses config JSON text without validating it (for documents that wrap the config, such as cdk.json).
 * @throws ConfigError when the text is not JSON.
 */
export function parseJsonDocument(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(source, [`$: not valid JSON (${(error as Error).message})`]);
  }
}

// Kept here for the stack, which reads budget limits at synth time.
export { limitInCredits } from './domain/figures.ts';
