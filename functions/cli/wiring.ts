/**
 * Builds the CLI's adapters from the environment: the AWS table and topic when named, otherwise the embedded
 * store and the local outbox; the real Runway API with a key, otherwise the built-in simulator.
 *
 * Simulated data never mixes with real data. In demo mode (`--demo`, or no RUNWAYML_API_SECRET) every command
 * uses its own embedded store and outbox under `.budget-guard/demo/`, whatever the environment holds:
 * `TABLE_NAME` and `TOPIC_ARN` are not opened (the descriptions say so), and the real embedded store and outbox
 * (`.budget-guard/dynamo`, `.budget-guard/outbox.jsonl`) are not touched. So a demo run cannot write simulated
 * snapshots under a real organization id, publish the demo's alerts to a real topic, or fill the ledger a
 * real run later reads (its first alert would be suppressed as "already sent").
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { withChatChannels } from '../adapters/chat-notifier.ts';
import { createDocumentClient, DynamoStore, ensureTable } from '../adapters/dynamo-store.ts';
import { startEmbeddedDynamo } from '../adapters/embedded-dynamo.ts';
import { OutboxNotifier } from '../adapters/outbox-notifier.ts';
import { createRunwayClient } from '../adapters/runway-client.ts';
import { createSnsClient, SnsNotifier } from '../adapters/sns-notifier.ts';
import { type SsmStateParameters, stateParametersAt } from '../adapters/ssm-state.ts';
import { type Config, parseConfig, parseConfigText, parseJsonDocument } from '../config.ts';
import { type GuardEnv, LOCAL_STATE_DIR } from '../contract.ts';
import type { NotifierPort, RunwayPort, StorePort } from '../domain/types.ts';
import type { OrgTarget } from '../guard/cycle.ts';
import { createDemoConfig, DEMO_API_KEY, startDemoSimulator } from '../simulator/demo.ts';

/** Wrong arguments or configuration: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The table the embedded store keeps its data in. */
export const EMBEDDED_TABLE = 'budget-guard';

export interface Closer {
  close(): Promise<void>;
}

/** Where demo mode keeps its store and outbox, under the local state directory. */
export const DEMO_STATE_SUBDIR = 'demo';

/** What every org-scoped command takes: `--config`, `--org`, `--demo` and the clock. */
export interface ScopeOptions {
  readonly configPath?: string | undefined;
  /** One organization; default every configured one (`gate` requires it). */
  readonly orgId?: string | undefined;
  /** The time the figures are relative to ("today"); default the system clock. */
  readonly now?: Date | undefined;
  readonly demo: boolean;
}

/** The options of the org-scoped commands that read and report (`check`, `status`, `gate`). */
export interface ReadCommandOptions extends ScopeOptions {
  readonly json: boolean;
}

/** Which data a command works on: simulated (demo mode) or real. */
export interface DataMode {
  readonly demo: boolean;
}

/** Paths under the working directory where local state lives: demo mode has a directory of its own. */
export function localPaths(cwd: string, mode: DataMode = { demo: false }) {
  const dir = mode.demo ? resolve(cwd, LOCAL_STATE_DIR, DEMO_STATE_SUBDIR) : resolve(cwd, LOCAL_STATE_DIR);
  const shown = mode.demo ? `${LOCAL_STATE_DIR}/${DEMO_STATE_SUBDIR}` : LOCAL_STATE_DIR;
  return { dir, shown, dynamo: join(dir, 'dynamo'), outbox: join(dir, 'outbox.jsonl') };
}

/** Demo mode: asked for with `--demo`, or no Runway key to read a real organization with. */
export function isDemo(options: { readonly demo: boolean; readonly env: GuardEnv }): boolean {
  return options.demo || !options.env.RUNWAYML_API_SECRET?.trim();
}

/**
 * Loads configuration: `--config F` (a config document, or a cdk.json whose `context.budgetGuard` holds it),
 * else `BUDGET_GUARD_CONFIG`, else the demo config in demo mode, else `./cdk.json`.
 * @throws ConfigError for an invalid document; UsageError when there is none.
 */
export async function loadConfig(options: {
  configPath?: string | undefined;
  env: GuardEnv;
  cwd: string;
  demo: boolean;
}): Promise<{ config: Config; source: string }> {
  const fromFile = async (path: string, source: string) => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new UsageError(
        `Cannot read the config file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
    const doc = parseJsonDocument(text, source);
    const context = (doc as { context?: { budgetGuard?: unknown } } | null)?.context;
    if (context && 'budgetGuard' in context) {
      return {
        config: parseConfig(context.budgetGuard, `${source} context.budgetGuard`),
        source: `${source} context.budgetGuard`,
      };
    }
    return { config: parseConfig(doc, source), source };
  };
  if (options.configPath) return fromFile(resolve(options.cwd, options.configPath), options.configPath);
  if (options.env.BUDGET_GUARD_CONFIG) {
    return {
      config: parseConfigText(options.env.BUDGET_GUARD_CONFIG, 'BUDGET_GUARD_CONFIG'),
      source: 'BUDGET_GUARD_CONFIG',
    };
  }
  if (options.demo)
    return {
      config: parseConfig(createDemoConfig(), 'the demo config'),
      source: 'the built-in demo config',
    };
  try {
    return await fromFile(join(options.cwd, 'cdk.json'), 'cdk.json');
  } catch (error) {
    if (error instanceof UsageError) {
      throw new UsageError(
        'No configuration: pass --config <file>, set BUDGET_GUARD_CONFIG, or run from the project directory (cdk.json).',
      );
    }
    throw error;
  }
}

/**
 * The prelude of the commands that read stored state (`history`, `status`, `gate`): demo mode (`--demo`, or
 * neither a Runway key nor `TABLE_NAME` to read), and the configuration and where it came from.
 * @throws ConfigError for an invalid document; UsageError when there is none.
 */
export async function loadStoredStateConfig(
  options: { readonly configPath?: string | undefined; readonly demo: boolean },
  io: { readonly env: GuardEnv; readonly cwd: string },
): Promise<{ config: Config; source: string; demo: boolean }> {
  const demo = options.demo || (!io.env.RUNWAYML_API_SECRET?.trim() && !io.env.TABLE_NAME?.trim());
  const { config, source } = await loadConfig({
    configPath: options.configPath,
    env: io.env,
    cwd: io.cwd,
    demo,
  });
  return { config, source, demo };
}

/** `--org`, or the only configured organization. */
export function chooseOrganization(
  config: Config,
  orgId: string | undefined,
): Config['organizations'][number] {
  const [only, ...others] = selectOrganizations(config, orgId);
  if (only && others.length === 0) return only;
  const ids = config.organizations.map((o) => o.id);
  throw new UsageError(
    `The config has ${ids.length} organizations: choose one with --org (${ids.join(', ')}).`,
  );
}

/**
 * `--org`'s organization, or every configured one without it.
 * @throws UsageError naming the configured ids when `orgId` is not one of them.
 */
export function selectOrganizations(config: Config, orgId: string | undefined): Config['organizations'] {
  if (orgId === undefined) return config.organizations;
  const org = config.organizations.find((o) => o.id === orgId);
  if (!org) {
    throw new UsageError(
      `Unknown organization "${orgId}". Configured: ${config.organizations.map((o) => o.id).join(', ')}.`,
    );
  }
  return [org];
}

/**
 * The DynamoDB table named by TABLE_NAME, or the embedded store under `.budget-guard/`. In demo mode always the
 * demo's own embedded store (`.budget-guard/demo/`), never the table.
 */
export async function openStore(
  env: GuardEnv,
  cwd: string,
  mode: DataMode,
): Promise<{ store: StorePort; description: string } & Closer> {
  if (env.TABLE_NAME && !mode.demo) {
    const client = createDocumentClient();
    return {
      store: new DynamoStore({ client, tableName: env.TABLE_NAME }),
      description: `DynamoDB table ${env.TABLE_NAME}`,
      close: async () => client.destroy(),
    };
  }
  const paths = localPaths(cwd, mode);
  const embedded = await startEmbeddedDynamo({ dataDir: paths.dynamo });
  const client = createDocumentClient({
    endpoint: embedded.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await ensureTable(client, EMBEDDED_TABLE);
  } catch (error) {
    client.destroy();
    await embedded.close();
    throw error;
  }
  return {
    store: new DynamoStore({ client, tableName: EMBEDDED_TABLE }),
    description: mode.demo
      ? `demo store ${paths.shown}/dynamo (simulated data only${env.TABLE_NAME ? `; TABLE_NAME ${env.TABLE_NAME} is not used in demo mode` : ''})`
      : `local store ${paths.shown}/dynamo`,
    close: async () => {
      client.destroy();
      await embedded.close();
    },
  };
}

/**
 * The SSM state parameters under STATE_PARAMETER_PREFIX, or undefined when it is not set.
 * @throws UsageError when the prefix is malformed.
 */
export function openStatePublisher(env: GuardEnv): SsmStateParameters | undefined {
  try {
    return stateParametersAt(env.STATE_PARAMETER_PREFIX);
  } catch (error) {
    throw new UsageError(
      `STATE_PARAMETER_PREFIX: ${(error as Error).message}; use the stack output StateParameterPrefix`,
    );
  }
}

/**
 * The SNS topic named by TOPIC_ARN, or the local outbox (printed through `write`). In demo mode always the demo's
 * own outbox (`.budget-guard/demo/outbox.jsonl`), never the topic. With CHAT_TOPIC_ARNS (and the config's `chat`
 * list) the chat cards also go to the matching channels' topics.
 * @throws UsageError when CHAT_TOPIC_ARNS does not match the config's chat channels.
 */
export function openNotifier(
  env: GuardEnv,
  cwd: string,
  write: (text: string) => void,
  mode: DataMode,
  config?: Config,
): { notifier: NotifierPort; description: string } & Closer {
  if (env.TOPIC_ARN && !mode.demo) {
    const client = createSnsClient();
    let fanout: ReturnType<typeof withChatChannels>;
    try {
      fanout = withChatChannels(
        new SnsNotifier({ client, topicArn: env.TOPIC_ARN }),
        client,
        env.CHAT_TOPIC_ARNS,
        config?.chat ?? [],
      );
    } catch (error) {
      client.destroy();
      throw new UsageError((error as Error).message);
    }
    const { notifier, targets } = fanout;
    return {
      notifier,
      description:
        targets.length === 0
          ? `SNS topic ${env.TOPIC_ARN}`
          : `SNS topic ${env.TOPIC_ARN} and ${targets.length} chat channel topic(s) (${targets
              .map((t) => t.label)
              .join(', ')})`,
      close: async () => client.destroy(),
    };
  }
  const paths = localPaths(cwd, mode);
  return {
    notifier: new OutboxNotifier({ outboxPath: paths.outbox, write }),
    description: mode.demo
      ? `printed below and appended to ${paths.shown}/outbox.jsonl (demo mode never publishes${env.TOPIC_ARN ? `; TOPIC_ARN ${env.TOPIC_ARN} is not used` : ' to SNS'})`
      : `printed below and appended to ${paths.shown}/outbox.jsonl (set TOPIC_ARN to publish to SNS)`,
    close: async () => {},
  };
}

/**
 * Runway targets for the configured organizations: the simulator in demo mode (every organization reads the
 * demo organization), otherwise the real API with RUNWAYML_API_SECRET (which reads one organization).
 */
export async function openRunway(options: {
  config: Config;
  orgId?: string | undefined;
  env: GuardEnv;
  demo: boolean;
  now: Date;
}): Promise<{ targets: OrgTarget[]; description: string; simulated: boolean } & Closer> {
  const orgs = selectOrganizations(options.config, options.orgId);
  if (options.demo) {
    const fixed = options.now;
    const simulator = await startDemoSimulator({ now: () => fixed });
    return {
      targets: orgs.map((org) => ({
        org,
        keySource: 'the built-in simulator',
        connect: async (signal) =>
          createRunwayClient({ apiKey: DEMO_API_KEY, baseURL: simulator.url, signal }),
      })),
      description: `the built-in Runway simulator at ${simulator.url} (simulated data)`,
      simulated: true,
      close: () => simulator.close(),
    };
  }
  const apiKey = options.env.RUNWAYML_API_SECRET ?? '';
  const first = orgs[0];
  if (orgs.length > 1 || !first) {
    throw new UsageError(
      `RUNWAYML_API_SECRET reads one organization, and the config has ${orgs.length}: choose one with --org (${orgs
        .map((o) => o.id)
        .join(', ')}).`,
    );
  }
  const baseURL = options.env.RUNWAYML_BASE_URL;
  const runway = (signal: AbortSignal): RunwayPort => createRunwayClient({ apiKey, baseURL, signal });
  return {
    targets: [
      {
        org: first,
        keySource: 'the RUNWAYML_API_SECRET environment variable',
        connect: async (signal) => runway(signal),
      },
    ],
    description: `the Runway API at ${baseURL ?? 'https://api.dev.runwayml.com'}`,
    simulated: false,
    close: async () => {},
  };
}

/**
 * The prelude of every command that reads Runway: demo mode (asked for, or no RUNWAYML_API_SECRET), the
 * configuration (and where it came from), and the Runway targets. The caller closes `runway`, and opens its
 * store and notifier with `mode`, so a demo run stays in the demo's own store and outbox.
 */
export async function openGuardSources(options: {
  configPath?: string | undefined;
  orgId?: string | undefined;
  demo: boolean;
  now: Date;
  env: GuardEnv;
  cwd: string;
}): Promise<{
  config: Config;
  configSource: string;
  runway: Awaited<ReturnType<typeof openRunway>>;
  mode: DataMode;
}> {
  const demo = isDemo(options);
  const { config, source: configSource } = await loadConfig({
    configPath: options.configPath,
    env: options.env,
    cwd: options.cwd,
    demo,
  });
  const runway = await openRunway({ config, orgId: options.orgId, env: options.env, demo, now: options.now });
  return { config, configSource, runway, mode: { demo } };
}
