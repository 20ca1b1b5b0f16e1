/**
 * The one configuration schema. The CDK app validates `context.budgetGuard` with it at synth time, the
 * Lambda validates the `config.json` the stack ships in its code asset when it starts, and the CLI validates
 * `--config` or `BUDGET_GUARD_CONFIG`. Every problem is reported with its JSON path; required values have no
 * defaults.
 */
import * as z from 'zod/mini';
import { type AlertKind, ALERT_KINDS as REGISTERED_KINDS } from './domain/alerts/registry.ts';
import { BUDGET_PERIODS } from './domain/dates.ts';
import { recurringStepPercent } from './domain/figures.ts';
import { hasControlCharacters } from './domain/outside-text.ts';
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

/**
 * A recurring step past the limit: once spend is over 100%, one more alert each time it grows by this much
 * (125%, 150%, … for `{ "percent": 25 }`). Each step fires once per period.
 */
const everySchema = z.union(
  [
    z.strictObject({
      percent: z.number().check(
        z.gte(5, {
          error: 'a recurring step must be at least 5 (percent of the limit), so alerts cannot flood',
        }),
      ),
    }),
    z.strictObject({ credits: positiveStep() }),
    z.strictObject({ usd: positiveStep() }),
  ],
  {
    error:
      'every takes exactly one of {"percent": N}, {"credits": N} or {"usd": N}: the step past the limit at which another alert goes out',
  },
);

function positiveStep() {
  return z.number().check(z.gt(0, { error: 'a recurring step must be greater than 0' }));
}

const budgetSchema = z
  .strictObject({
    id: z.string().check(z.regex(ID_PATTERN, { error: 'an id is 1–40 characters of a-z, 0-9 and -' })),
    period: z.enum(BUDGET_PERIODS, { error: 'period must be "day", "week", "month" or "quarter"' }),
    model: z.optional(z.string().check(z.minLength(1))),
    limit: limitSchema,
    thresholds,
    every: z.optional(everySchema),
    forecast: z.optional(z.boolean()),
    /**
     * Once spend reaches this % of the limit, the organization's state is `stop` until the period ends or the
     * limit is raised (`budget-guard gate` and the state parameter tell pipelines to hold new work).
     */
    stopAt: z.optional(
      z
        .number({ error: 'stopAt is a percentage of the limit, e.g. 100 or 120' })
        .check(z.gt(0, { error: 'stopAt must be greater than 0 (it is a percentage of the limit)' })),
    ),
  })
  .check(
    z.refine((b) => !(b.forecast && b.period === 'day'), {
      error: 'forecast needs a period longer than a day ("week", "month" or "quarter")',
      path: ['forecast'],
    }),
  );

/** The smallest recurring step past a limit, in percent of it: smaller ones would flood. */
const STEP_PERCENT_MIN = 5;

/**
 * Every recurring step is at least {@link STEP_PERCENT_MIN}% of its budget's limit, measured as the guard
 * measures it (`recurringStepPercent`, at the config's `usdPerCredit` when the step and the limit are in
 * different units). Checked on the whole config, where the price is known; budgets whose `every` or `limit`
 * is itself invalid are left to their own issues.
 */
const recurringStepsAtLeastMin = z.superRefine<unknown>(
  (value, payload) => {
    const config = value as { organizations?: unknown; usdPerCredit?: unknown };
    const price =
      typeof config.usdPerCredit === 'number' && config.usdPerCredit > 0 ? config.usdPerCredit : 0.01;
    if (!Array.isArray(config.organizations)) return;
    config.organizations.forEach((org: unknown, i) => {
      const budgets = (org as { budgets?: unknown } | null)?.budgets;
      if (!Array.isArray(budgets)) return;
      budgets.forEach((budget: unknown, j) => {
        const b = budget as { every?: unknown; limit?: unknown } | null;
        const every = everySchema.safeParse(b?.every);
        const limit = limitSchema.safeParse(b?.limit);
        if (!every.success || !limit.success) return;
        const step = recurringStepPercent({ every: every.data, limit: limit.data }, price);
        if (step === undefined || step >= STEP_PERCENT_MIN) return;
        payload.addIssue({
          code: 'custom',
          message: `a recurring step must be at least ${STEP_PERCENT_MIN}% of the limit, so alerts cannot flood`,
          path: ['organizations', i, 'budgets', j, 'every'],
          input: b?.every,
        });
      });
    });
  },
  // Reported alongside every other problem of the document, as the other whole-config checks are.
  { when: () => true },
);

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
      z.refine((name) => !hasControlCharacters(name), {
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
  .check(uniqueIds('budgets', 'budget ids must be unique within an organization'));

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

/** The check that the entries of the list at `key` have unique ids; it runs once that list has parsed. */
function uniqueIds<K extends string>(key: K, error: string) {
  return z.refine<{ readonly [k in K]: readonly unknown[] }>((value) => idsUnique(value[key]), {
    error,
    path: [key],
    when: (payload) => hasList(payload.value, key),
  });
}

const SCHEDULE_PATTERN =
  /^(rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)|cron\(\S+( \S+){5}\))$/;

const subscriptionSchema = z.strictObject({
  email: z.email({ error: 'not a valid email address' }),
  kinds: z.array(z.enum(ALERT_KINDS, { error: `kinds are ${ALERT_KINDS.join(', ')}` })).check(z.minLength(1)),
  severities: z.optional(z.array(z.enum(SEVERITIES)).check(z.minLength(1))),
});

// ---------------------------------------------------------------------------------------------------------
// Chat channels (Slack and Microsoft Teams through AWS Chatbot)

/** Slack workspace (team) ids start with T; AWS Chatbot accepts `[0-9A-Z]` only. */
const SLACK_WORKSPACE_ID = /^T[0-9A-Z]{2,254}$/;
/** Public channels start with C, private ones with G (older) or C; AWS Chatbot accepts `[A-Za-z0-9]` only. */
const SLACK_CHANNEL_ID = /^[CG][0-9A-Z]{2,254}$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/**
 * A Teams channel id as Teams shows it (`19:…@thread.tacv2`) or URL-encoded as AWS Chatbot stores it
 * (`19%3A…%40thread.tacv2`); `teamsChannelIdForChatbot` turns the first into the second.
 */
const TEAMS_CHANNEL_ID = /^19(:|%3[aA])[A-Za-z0-9_=+/.,-]{1,200}(@|%40)thread\.(tacv2|skype)$/;

const slackChannelSchema = z.strictObject({
  workspaceId: z.string().check(
    z.regex(SLACK_WORKSPACE_ID, {
      error:
        'a Slack workspace id starts with T and has only capital letters and digits, e.g. "T0123ABCD" (AWS Chatbot console → the authorized Slack client → Workspace ID)',
    }),
  ),
  channelId: z.string().check(
    z.regex(SLACK_CHANNEL_ID, {
      error:
        'a Slack channel id starts with C (or G for an older private channel) and has only capital letters and digits, e.g. "C0456EFGH" (the end of the channel\'s "Copy link" URL); not a channel name',
    }),
  ),
});

const teamsChannelSchema = z.strictObject({
  tenantId: z.string().check(
    z.regex(GUID, {
      error: 'a Microsoft Teams tenant id is a GUID, e.g. "0e7a4b1c-2d3f-4a5b-8c9d-0e1f2a3b4c5d"',
    }),
  ),
  teamId: z
    .string()
    .check(z.regex(GUID, { error: "a Microsoft Teams team id is a GUID (the groupId in the team's link)" })),
  channelId: z.string().check(
    z.regex(TEAMS_CHANNEL_ID, {
      error:
        'a Microsoft Teams channel id looks like "19:abc123…@thread.tacv2" (from the channel\'s "Get link to channel", decoded) or its URL-encoded form "19%3Aabc123…%40thread.tacv2"',
    }),
  ),
});

const chatChannelSchema = z
  .strictObject({
    slack: z.optional(slackChannelSchema),
    teams: z.optional(teamsChannelSchema),
    /** Default: every kind. */
    kinds: z.optional(
      z
        .array(z.enum(ALERT_KINDS, { error: `kinds are ${ALERT_KINDS.join(', ')}` }))
        .check(z.minLength(1, { error: 'omit kinds to receive every kind, or list at least one' })),
    ),
    severities: z.optional(z.array(z.enum(SEVERITIES)).check(z.minLength(1))),
  })
  .check(
    z.refine((c) => (c.slack === undefined) !== (c.teams === undefined), {
      error: 'a chat channel takes exactly one of "slack" or "teams"',
    }),
  );

/** The channel id AWS Chatbot's Teams configuration expects: URL-encoded (`19%3A…%40thread.tacv2`). */
export function teamsChannelIdForChatbot(channelId: string): string {
  return channelId.replace(':', '%3A').replace('@', '%40');
}

/** What `deployment.stackName` defaults to. */
export const DEFAULT_STACK_NAME = 'RunwayBudgetGuard';

/**
 * Settings that only the stack reads (and the Lambda, for the metrics it emits): they change what is
 * deployed, not what the guard checks. Optional, and so is every field; `deploymentSettings` fills in the
 * defaults.
 */
const deploymentSchema = z.strictObject({
  // A CloudFormation stack name.
  stackName: z.optional(
    z.string().check(
      z.regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, {
        error: 'a stack name starts with a letter and has up to 128 letters, digits and hyphens',
      }),
    ),
  ),
  reservedConcurrency: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
  perOrganizationMetrics: z.optional(z.boolean()),
  dashboard: z.optional(z.boolean()),
  createSecrets: z.optional(z.boolean()),
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
    chat: z._default(z.array(chatChannelSchema), []),
    deployment: z.optional(deploymentSchema),
  })
  .check(uniqueIds('organizations', 'organization ids must be unique'), recurringStepsAtLeastMin);

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type OrganizationConfig = Config['organizations'][number];
export type BudgetConfig = OrganizationConfig['budgets'][number];
export type Subscription = Config['subscriptions'][number];
export type ChatChannel = Config['chat'][number];

/** The `deployment` object with its defaults filled in. */
export interface DeploymentSettings {
  /** The CloudFormation stack name; also the `stack` dimension of every metric the guard emits. */
  readonly stackName: string;
  /** Concurrency reserved for the guard function; `undefined` (the default) reserves none. */
  readonly reservedConcurrency: number | undefined;
  /** Emit the per-organization (and per-model) metrics and graph them; off by default (cost). */
  readonly perOrganizationMetrics: boolean;
  /** Deploy the CloudWatch dashboard; off by default (cost). */
  readonly dashboard: boolean;
  /**
   * The stack creates each organization's secret (holding a placeholder until the key is put); on by
   * default. Off: the secrets are created outside the stack, which large fleets need (CloudFormation allows
   * 500 resources per stack).
   */
  readonly createSecrets: boolean;
}

export function deploymentSettings(config: Pick<Config, 'deployment'>): DeploymentSettings {
  const deployment = config.deployment ?? {};
  return {
    stackName: deployment.stackName ?? DEFAULT_STACK_NAME,
    reservedConcurrency: deployment.reservedConcurrency,
    perOrganizationMetrics: deployment.perOrganizationMetrics ?? false,
    dashboard: deployment.dashboard ?? false,
    createSecrets: deployment.createSecrets ?? true,
  };
}

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
