/**
 * The `budget-guard` command line on commander: one `program.command(...)` block per command, built from the
 * shared options in options.ts. Help and usage errors come from commander. Exit codes: 0 done; 1 the cycle
 * failed (nothing half-written); 2 bad arguments or configuration, with the reason on stderr.
 */
import { Command, CommanderError, Option, type OptionValues } from '@commander-js/extra-typings';
import { ALERT_KINDS, ConfigError } from '../config.ts';
import { HISTORY_FORMATS, HISTORY_GROUPINGS } from '../domain/history.ts';
import { startDemoSimulator } from '../simulator/demo.ts';
import { type BackfillIo, runBackfill } from './backfill.ts';
import { runCheck } from './check.ts';
import { runGate } from './gate.ts';
import { runHistory } from './history.ts';
import {
  configOption,
  demoOption,
  jsonOption,
  nowOption,
  orgOption,
  parseDays,
  parseDuration,
  parsePort,
} from './options.ts';
import { runStatus } from './status.ts';
import { runTestAlert } from './test-alert.ts';
import { type ReadCommandOptions, UsageError } from './wiring.ts';

/** Where the command line reads its environment and writes; `progress` is backfill's progress on stderr. */
export type CliIo = BackfillIo;

/** The process's environment, working directory, stdout and stderr. */
export function processIo(): CliIo {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    progress: process.stderr.isTTY === true,
  };
}

const ENVIRONMENT = `
Environment:
  RUNWAYML_API_SECRET  Runway key (unset: the built-in simulator)
  RUNWAYML_BASE_URL    Runway API base URL
  TABLE_NAME           DynamoDB table (unset: the embedded store in .budget-guard/)
  TOPIC_ARN            SNS topic (unset: print and append to .budget-guard/outbox.jsonl)
  CHAT_TOPIC_ARNS      chat channel topics, one per "chat" entry, comma-separated (with TOPIC_ARN)
  STATE_PARAMETER_PREFIX
                       SSM prefix of the state parameters: check writes them, gate --from-parameter reads them
  BUDGET_GUARD_CONFIG  config JSON, used when --config is not given (else cdk.json's context.budgetGuard)

Exit codes: 0 done, 1 the cycle failed, 2 bad arguments or configuration.`;

/** `--demo` of the commands that read stored state: what it means to them. */
const STORED_STATE_DEMO = 'use the demo config (the default without RUNWAYML_API_SECRET and TABLE_NAME)';

/** `--config`, `--org`, `--now`, `--json` and the given `--demo`, in that order (`check`, `status`). */
function withReadOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  command: Command<A, O, G>,
  demo: ReturnType<typeof demoOption>,
) {
  return command
    .addOption(configOption())
    .addOption(orgOption())
    .addOption(nowOption())
    .addOption(jsonOption())
    .addOption(demo);
}

/** `--config`, `--org` and `--demo` as the commands' options name them. */
function scopeOptions(o: {
  readonly config?: string | undefined;
  readonly org?: string | undefined;
  readonly demo?: true | undefined;
}) {
  return { configPath: o.config, orgId: o.org, demo: o.demo === true };
}

/** The org-scoped commands that read and report (`check`, `status`, `gate`): the scope, `--now` and `--json`. */
function readOptions(
  o: Parameters<typeof scopeOptions>[0] & {
    readonly now?: Date | undefined;
    readonly json?: true | undefined;
  },
): ReadCommandOptions {
  return { ...scopeOptions(o), now: o.now, json: o.json === true };
}

/**
 * The program. Each action reports its exit code through `exit`; commander's own errors (and `--help`) are
 * thrown as `CommanderError`s (`exitOverride`), after commander has written them through `io`.
 */
export function createProgram(io: CliIo, exit: (code: number) => void) {
  const program = new Command('budget-guard')
    .description("budget, tier-cap and quota alerts for Runway's API")
    .usage('<command> [options]')
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (text, write) => write(`budget-guard: ${text.replace(/^error: /, '')}`),
    })
    .helpOption('-h, --help', 'show usage')
    .helpCommand('help [command]', 'show usage (of one command)')
    .addHelpText('after', ENVIRONMENT);

  withReadOptions(
    program
      .command('check')
      .summary('one guard cycle: overview and every notification sent')
      .description(
        'One guard cycle: prints the organization overview and every notification sent. Without RUNWAYML_API_SECRET (or with --demo) it reads the built-in Runway simulator.',
      ),
    demoOption(),
  )
    .option('--verbose', 'write structured logs to stderr')
    .action(async (o) => {
      exit(await runCheck({ ...readOptions(o), verbose: o.verbose === true }, io));
    });

  program
    .command('history')
    .summary('stored usage and snapshots, one row per UTC day, ISO week, month or quarter')
    .description(
      'Stored usage and snapshots, one row per UTC day, ISO week, month or quarter (dates YYYY-MM-DD, inclusive; at most 366 days; default the 30 days to today): net credits, dollars, credits per model, purchases, the balance and tier cap at the end of each period, and a TOTAL row. Days before history starts or after today are blank, never 0. --model limits credits and dollars to one model. CSV is RFC 4180 with CRLF; jsonl is one row a line.',
    )
    .option('--from <date>', 'first day, YYYY-MM-DD (default: 29 days before --to)')
    .option('--to <date>', 'last day, YYYY-MM-DD (default: today, UTC)')
    .addOption(orgOption('the organization (required when the config has more than one)'))
    .option('--model <model>', "only this model's credits and dollars")
    .addOption(
      new Option(
        '--by <period>',
        'one row per UTC day, ISO week (Monday to Sunday), calendar month or calendar quarter',
      )
        .choices(HISTORY_GROUPINGS)
        .default('day'),
    )
    .addOption(new Option('--format <format>', 'output format').choices(HISTORY_FORMATS).default('table'))
    .addOption(configOption())
    .addOption(demoOption(STORED_STATE_DEMO))
    .action(async ({ config, org, demo, ...query }) => {
      // `query`: --from, --to, --model, --by and --format, as HistoryOptions names them.
      exit(await runHistory({ ...scopeOptions({ config, org, demo }), ...query }, io));
    });

  withReadOptions(
    program
      .command('status')
      .summary('health per organization; exit 1 when something needs attention')
      .description(
        "Health per organization, from the table (TABLE_NAME) or the local store: state and reasons, the last successful run and how long ago, the next scheduled run, where history starts, alerts pending or undeliverable, and each email subscription's confirmation (TOPIC_ARN). Exit 1 when something needs attention: no or stale runs, unconfirmed or missing subscriptions, stuck or undeliverable alerts.",
      ),
    demoOption(STORED_STATE_DEMO),
  ).action(async (o) => {
    exit(await runStatus(readOptions(o), io));
  });

  program
    .command('gate')
    .summary("exit 1 when an organization's state is stop, missing or too old (for pipelines)")
    .description(
      "For a pipeline to run before it submits Runway work: exits 0 unless the organization's state is stop (a budget past its stopAt), missing, or older than --max-age, and prints why. Reads the table (TABLE_NAME) or the local store, or with --from-parameter the SSM parameter under STATE_PARAMETER_PREFIX. Runway itself keeps accepting tasks: only callers that check the gate are stopped.",
    )
    .addOption(orgOption('the organization to check').makeOptionMandatory())
    .addOption(
      new Option(
        '--max-age <duration>',
        'oldest state to trust, e.g. 90m, 2h, 1d (default: two schedule periods; plus 6h with --from-parameter)',
      ).argParser(parseDuration),
    )
    .option(
      '--from-parameter',
      'read the SSM state parameter instead of the table (a role that may read only that)',
    )
    .addOption(configOption())
    .addOption(nowOption())
    .addOption(jsonOption())
    .addOption(demoOption(STORED_STATE_DEMO))
    .action(async (o) => {
      const options = {
        ...readOptions(o),
        orgId: o.org,
        maxAgeMs: o.maxAge,
        fromParameter: o.fromParameter === true,
      };
      exit(await runGate(options, io));
    });

  program
    .command('backfill')
    .summary('stores the last N days of Runway usage (default 90)')
    .description(
      "Stores the last N days of Runway usage (1-90, default 90; one request) and writes only the days that changed, so running it again is harmless. A new organization's first check does this too.",
    )
    .addOption(
      new Option('--days <n>', 'days to store, today included: 1 to 90 (default: 90)').argParser(parseDays),
    )
    .addOption(orgOption())
    .addOption(configOption())
    .addOption(demoOption())
    .action(async (o) => {
      exit(await runBackfill({ ...scopeOptions(o), days: o.days }, io));
    });

  program
    .command('test-alert')
    .summary('publishes [TEST] notifications to prove delivery and filters')
    .description(
      'Publishes a [TEST] notification of each subscribed kind (or only --kind) through SNS (TOPIC_ARN) or the local outbox, to prove delivery and filters. No ledger writes.',
    )
    .addOption(configOption())
    .addOption(
      new Option('--kind <kind>', 'only this kind (default: every kind the subscriptions list)').choices(
        ALERT_KINDS,
      ),
    )
    .addOption(orgOption('the organization the samples name (default: the first in the config)'))
    .action(async (o) => {
      exit(await runTestAlert({ configPath: o.config, kind: o.kind, orgId: o.org }, io));
    });

  program
    .command('simulator')
    .summary('serves the Runway simulator alone')
    .description('Serves the Runway simulator alone (point RUNWAYML_BASE_URL at it) until Ctrl+C.')
    .addOption(
      new Option('--port <port>', 'port to listen on (0: any free port)').argParser(parsePort).default(8787),
    )
    .action(async (o) => {
      const sim = await startDemoSimulator({ port: o.port });
      io.stdout(
        `Runway simulator listening on ${sim.url} (simulated data)\n` +
          `Try: RUNWAYML_BASE_URL=${sim.url} RUNWAYML_API_SECRET=<the demo key> budget-guard check\n` +
          'The demo key is DEMO_API_KEY in functions/simulator/demo.ts. Press Ctrl+C to stop.\n',
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sim.close();
      exit(0);
    });

  // After a usage error, point at the usage of the command that rejected the arguments.
  program.showHelpAfterError('Run "budget-guard help" for usage.');
  for (const command of program.commands) {
    command.showHelpAfterError(`Run "budget-guard ${command.name()} --help" for usage.`);
  }
  return program;
}

/**
 * Runs `budget-guard <argv>` and returns the exit code; never exits the process. No arguments prints the usage.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code = 0;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv.length === 0 ? ['help'] : [...argv], { from: 'user' });
    return code;
  } catch (error) {
    // Commander has written its message (or the usage, for --help and help) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof ConfigError || error instanceof UsageError) {
      io.stderr(`budget-guard: ${error.message}\n`);
      return 2;
    }
    io.stderr(`budget-guard: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
