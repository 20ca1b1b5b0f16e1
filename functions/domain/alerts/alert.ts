/**
 * What every alert kind is made of. Each kind lives in one file of this folder and exports one
 * {@link AlertDefinition}: its finding type, its rule, its message draft and its samples. `registry.ts` lists
 * them; rule evaluation, rendering, `budget-guard test-alert`, the golden tests and the README's examples
 * all read the registry. Nothing here imports an SDK.
 */
import type { Config, OrganizationConfig, Severity } from '../../config.ts';
import type { PurchaseHistory, UsageIndex } from '../figures.ts';
import type { Overview } from '../overview.ts';
import type { BalanceEpisode, OrganizationDetails, Snapshot } from '../types.ts';

/** Everything a rule may look at: the organization's details, its usage history and the config. */
export interface RuleInput {
  readonly org: OrganizationConfig;
  readonly config: Config;
  /** The evaluation instant; periods are its UTC day and month. */
  readonly now: Date;
  readonly details: OrganizationDetails;
  /** Usage history: at least the current month and the last 30 days. */
  readonly usage: UsageIndex;
  /** First UTC day the usage history is known from. */
  readonly historyStart: string;
  /** The newest stored snapshot before this run, if any. */
  readonly previous?: Snapshot | undefined;
  /** The open low-balance episode, if any. */
  readonly balanceEpisode?: BalanceEpisode | undefined;
  /**
   * Credits bought per UTC day in the last 30 days (today's inferred by this run), and since when the guard
   * has watched the balance. Absent: nothing is known, and the tier cap is measured on usage.
   */
  readonly purchases?: PurchaseHistory | undefined;
}

/** What a rule sees besides its input: the overview of the same inputs and the findings of earlier rules. */
export interface EvaluationContext {
  readonly input: RuleInput;
  readonly overview: Overview;
  /** Findings of the rules listed before this one in the registry. */
  readonly earlier: readonly FindingBase[];
}

/** The ledger identity and summary every finding carries. */
export interface FindingBase {
  readonly kind: string;
  readonly rule: string;
  /** The period it fires once per, e.g. `2026-11`, `2026-11-22`, `2026-11-22T08`. */
  readonly period: string;
  /** Threshold %, `critical`, `info`, … */
  readonly level: string;
  readonly severity: Severity;
  /** Lower levels of the same rule and period that this finding covers. */
  readonly covers: readonly string[];
  /** One line for the status item, logs and the digest's "Needs attention". */
  readonly summary: string;
}

export interface MessageContext {
  readonly orgId: string;
  readonly orgName: string;
  readonly usdPerCredit: number;
  /** When Runway's figures were read. */
  readonly now: Date;
  /** Marks the message as a test that needs no action. */
  readonly test?: boolean;
}

/** A message before layout: `render.ts` turns it into the subject, the text and the JSON body. */
export interface Draft {
  /** Subject after the `<org>: ` prefix. */
  readonly subject: string;
  readonly headline: string;
  readonly facts: readonly (readonly [string, string])[];
  readonly advice: readonly string[];
  readonly sections?: readonly { readonly title: string; readonly lines: readonly string[] }[];
  /**
   * In words, what this alert is and when it can come again ("You get this alert once per budget, month and
   * threshold; …"). The ledger key stays in the JSON body and the message attributes.
   */
  readonly footer?: string | undefined;
  /**
   * Where the figures come from, replacing "Figures read from Runway's API at …" (a `guard-error` read
   * nothing).
   */
  readonly source?: string | undefined;
  /** The kind's own figures for the JSON body. */
  readonly data: Readonly<Record<string, unknown>>;
}

/** A fixed example of a kind, for `test-alert`, the golden files and the README. */
export interface Sample<F extends FindingBase = FindingBase> {
  /** Unique across kinds; the golden file's name. */
  readonly name: string;
  readonly severity: Severity;
  /** Builds the finding for the organization and clock the message is rendered in. */
  readonly finding: (ctx: MessageContext) => F;
  /**
   * The clock the sample's figures were read at, for a sample about another hour than `SAMPLE_NOW` (the first
   * hour of a day, the last day of a month): rendered at the fixture clock, it is stamped with this one.
   */
  readonly now?: Date;
}

/** One alert kind. Adding a kind is one file exporting this and one line in `registry.ts`. */
export interface AlertDefinition<F extends FindingBase = FindingBase> {
  readonly kind: F['kind'];
  /** True for a kind that reports rather than warns (`digest`): it never sets the organization's status. */
  readonly informational?: boolean;
  /**
   * The rule: findings that hold now. Absent for kinds raised outside the rules (`guard-error`, raised from a
   * failed read).
   */
  readonly evaluate?: (context: EvaluationContext) => readonly F[];
  /** The message draft of one finding. */
  readonly draft: (finding: F, ctx: MessageContext) => Draft;
  /** One sample per severity the kind can be sent at; the first is its usual shape. */
  readonly samples: readonly Sample<F>[];
}

/** Defines a kind with its finding type checked (the registry keeps them as `AlertDefinition`). */
export function defineAlert<F extends FindingBase>(definition: AlertDefinition<F>): AlertDefinition<F> {
  return definition;
}

/** The instant every sample is set at: Sun 22 Nov 2026, 09:30 UTC. */
export const SAMPLE_NOW = new Date('2026-11-22T09:30:00.000Z');

/** The price of a credit in every sample: Runway's $0.01. */
export const SAMPLE_USD_PER_CREDIT = 0.01;

/** The context the golden files are rendered in. */
export function sampleContext(overrides: Partial<MessageContext> = {}): MessageContext {
  return {
    orgId: 'studio',
    orgName: 'Studio production',
    usdPerCredit: SAMPLE_USD_PER_CREDIT,
    now: SAMPLE_NOW,
    ...overrides,
  };
}

/** The first line of every test notification (`budget-guard test-alert`), in the email and the chat card. */
export const TEST_NOTIFICATION_BANNER =
  'TEST NOTIFICATION — sent by `budget-guard test-alert` to prove delivery and filters. The figures are examples; no action is needed.';

/** Pages of Runway's developer portal that advice points to. */
export const RUNWAY_PAGES = {
  usage: 'the Usage page of the Runway developer portal (dev.runwayml.com)',
  billing: 'the Billing page of the Runway developer portal (dev.runwayml.com)',
  keys: 'the API Keys page of the Runway developer portal (dev.runwayml.com)',
} as const;

/** Where the config lives, for advice that asks to change it. */
export const CONFIG_PLACE = "the guard's configuration (cdk.json, context.budgetGuard)";

/**
 * The rule of a finding scoped to one model, when the kind also has organization-wide rules (`reserved`):
 * the model's name as is, unless it equals a reserved rule or starts with `model:`; then `model:<name>`. So a
 * model named `total` never takes the organization-wide rule `total`, and no two models share a rule.
 * (`alertKey` encodes the rule for the ledger.)
 */
export function modelRule(model: string, reserved: readonly string[]): string {
  return reserved.includes(model) || model.startsWith('model:') ? `model:${model}` : model;
}
