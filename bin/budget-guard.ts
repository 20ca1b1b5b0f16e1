/**
 * The `budget-guard` command line. Exit codes: 0 done; 1 the cycle failed (nothing half-written);
 * 2 bad arguments or configuration, with the reason.
 */
import { parseArgs } from 'node:util';
import { runBackfill } from '../functions/cli/backfill.ts';
import { runCheck } from '../functions/cli/check.ts';
import { runHistory } from '../functions/cli/history.ts';
import { runTestAlert } from '../functions/cli/test-alert.ts';
import { UsageError } from '../functions/cli/wiring.ts';
import { ConfigError } from '../functions/config.ts';
import { startDemoSimulator } from '../functions/simulator/demo.ts';

const HELP = `budget-guard — budget, tier-cap and quota alerts for Runway's API

Usage:
  budget-guard check [--config F] [--org ID] [--now ISO] [--json] [--demo] [--verbose]
      One guard cycle: prints the organization overview and every notification sent.
      Without RUNWAYML_API_SECRET (or with --demo) it reads the built-in Runway simulator.
  budget-guard history [--from D] [--to D] [--org ID] [--model M] [--format table|csv|json] [--config F] [--demo]
      Stored usage and snapshots, one row per UTC day (dates YYYY-MM-DD, inclusive; at most 366 days;
      default the 30 days to today): net credits, dollars, credits per model, the day's balance and tier
      cap, and a TOTAL row. --model limits credits and dollars to one model. CSV is RFC 4180 with CRLF.
  budget-guard backfill [--days N] [--org ID] [--config F] [--demo]
      Stores the last N days of Runway usage (1-90, default 90; one request) and writes only the days
      that changed, so running it again is harmless. A new organization's first check does this too.
  budget-guard test-alert [--config F] [--kind K] [--org ID]
      Publishes a [TEST] notification of each subscribed kind (or only K) through SNS
      (TOPIC_ARN) or the local outbox, to prove delivery and filters. No ledger writes.
  budget-guard simulator [--port P]
      Serves the Runway simulator alone (point RUNWAYML_BASE_URL at it).
  budget-guard help

Environment:
  RUNWAYML_API_SECRET  Runway key (unset: the built-in simulator)
  RUNWAYML_BASE_URL    Runway API base URL
  TABLE_NAME           DynamoDB table (unset: the embedded store in .budget-guard/)
  TOPIC_ARN            SNS topic (unset: print and append to .budget-guard/outbox.jsonl)
  BUDGET_GUARD_CONFIG  config JSON (else --config, else cdk.json's context.budgetGuard)

Exit codes: 0 done, 1 the cycle failed, 2 bad arguments or configuration.
`;

// The AWS SDK warns about Node 20 on every client; the CLI's output is for people.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

type Command = (args: string[]) => Promise<number>;

function parseNow(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const match = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value);
  // Every period is UTC, so a time without an offset is read as UTC, not as this machine's local time.
  const iso = match && !match[4] ? `${value.length === 10 ? `${value}T00:00:00` : value}Z` : value;
  const date = new Date(iso);
  if (!match || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `--now must be an ISO 8601 date or time (UTC unless it has an offset), e.g. 2026-11-22T08:00:00Z (got "${value}")`,
    );
  }
  return date;
}

const io = {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
};

const commands: Record<string, Command> = {
  async check(args) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        config: { type: 'string' },
        org: { type: 'string' },
        now: { type: 'string' },
        json: { type: 'boolean', default: false },
        demo: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
      },
    });
    return runCheck(
      {
        configPath: values.config,
        orgId: values.org,
        now: parseNow(values.now),
        json: values.json === true,
        demo: values.demo === true,
        verbose: values.verbose === true,
      },
      io,
    );
  },
  async history(args) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        config: { type: 'string' },
        org: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        model: { type: 'string' },
        format: { type: 'string', default: 'table' },
        demo: { type: 'boolean', default: false },
      },
    });
    return runHistory(
      {
        configPath: values.config,
        orgId: values.org,
        from: values.from,
        to: values.to,
        model: values.model,
        format: values.format,
        demo: values.demo === true,
      },
      io,
    );
  },
  async backfill(args) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        config: { type: 'string' },
        org: { type: 'string' },
        days: { type: 'string' },
        demo: { type: 'boolean', default: false },
      },
    });
    const days = values.days === undefined ? undefined : Number(values.days);
    if (days !== undefined && (values.days?.trim() === '' || !Number.isInteger(days))) {
      throw new UsageError(`--days must be a whole number from 1 to 90 (got "${values.days}")`);
    }
    return runBackfill(
      { configPath: values.config, orgId: values.org, days, demo: values.demo === true },
      { ...io, progress: process.stderr.isTTY === true },
    );
  },
  async 'test-alert'(args) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        config: { type: 'string' },
        kind: { type: 'string' },
        org: { type: 'string' },
      },
    });
    return runTestAlert({ configPath: values.config, kind: values.kind, orgId: values.org }, io);
  },
  async simulator(args) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: { port: { type: 'string', default: '8787' } },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be a port number (got "${values.port}")`);
    const sim = await startDemoSimulator({ port });
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
    return 0;
  },
  async help() {
    io.stdout(HELP);
    return 0;
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name = 'help', ...rest] = argv;
  const command = commands[name === '--help' || name === '-h' ? 'help' : name];
  try {
    if (!command)
      throw new UsageError(`Unknown command "${name}". Commands: ${Object.keys(commands).join(', ')}.`);
    return await command(rest);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError) {
      io.stderr(`budget-guard: ${error.message}\n`);
      return 2;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`budget-guard: ${error.message}\nRun "budget-guard help" for usage.\n`);
      return 2;
    }
    io.stderr(`budget-guard: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
