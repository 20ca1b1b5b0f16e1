/**
 * The guard Lambda with the project's defaults: Node.js 24 on arm64, one ESM bundle built locally by esbuild
 * with every dependency it can reach inside (the AWS SDK at the pinned versions too), the validated config
 * shipped next to it as `config.json`, its own log group, and a role that starts with no permissions at all.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Config } from '../functions/config.ts';
import { GUARD_CONFIG_FILE } from '../functions/contract.ts';
import { GUARD_BUNDLING, GUARD_ENTRY, PROJECT_ROOT } from './guard-bundling.ts';

export { GUARD_ENTRY };

export interface GuardFunctionProps {
  /** Environment variables: names of resources only. The configuration travels in the code asset. */
  readonly environment: Record<string, string>;
  /** The validated config, shipped as `config.json` next to `index.mjs` in the code asset. */
  readonly config: Config;
  /** Concurrency reserved for the function; `undefined` reserves none. */
  readonly reservedConcurrency?: number;
  readonly timeout: Duration;
  /**
   * How long a queued invocation is still worth running. The scheduler invokes asynchronously; an event
   * older than one schedule period is superseded by the next run.
   */
  readonly maxEventAge: Duration;
}

export class GuardFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: GuardFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An explicit role instead of the default one: the default attaches the AWSLambdaBasicExecutionRole
    // managed policy, which may write to any log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runway Budget Guard: the guard function',
    });
    this.logGroup.grantWrite(this.role);

    // The config is written to a file at synth time and copied into the bundle's output directory, so the
    // asset (hashed from that output) changes whenever the config does, and its size is bounded only by
    // Lambda's 250 MB for unzipped code. Bundling runs inside the NodejsFunction constructor, so the file can
    // go right after it.
    const configJson = `${JSON.stringify(props.config)}\n`;
    const staging = mkdtempSync(join(tmpdir(), 'budget-guard-config-'));
    const configSource = join(staging, GUARD_CONFIG_FILE);
    writeFileSync(configSource, configJson);
    try {
      this.function = new NodejsFunction(this, 'Function', {
        description: 'Runway Budget Guard: reads each Runway organization, stores snapshots, sends alerts',
        entry: GUARD_ENTRY,
        handler: 'handler',
        projectRoot: PROJECT_ROOT,
        depsLockFilePath: fileURLToPath(new URL('../package-lock.json', import.meta.url)),
        runtime: Runtime.NODEJS_24_X,
        architecture: Architecture.ARM_64,
        // 512 MB: more CPU for a faster cold start of a ~0.6 MB bundle; at one short run per hour the
        // difference to 256 MB is a fraction of a cent a month.
        memorySize: 512,
        timeout: props.timeout,
        // None by default: a new account's Lambda concurrency quota is 10, all of it unreserved, and Lambda
        // refuses any reservation that leaves less than 10 unreserved. Overlapping runs are safe without it:
        // each alert is claimed in the ledger with a conditional write before it is published.
        reservedConcurrentExecutions: props.reservedConcurrency,
        // The next scheduled run catches up, and a failed run already fires the errors alarm.
        retryAttempts: 0,
        maxEventAge: props.maxEventAge,
        role: this.role,
        logGroup: this.logGroup,
        environment: props.environment,
        // One minified ESM file with every dependency it can reach inside; see guard-bundling.ts (shared with
        // `npm run bench`), plus the config file.
        bundling: {
          ...GUARD_BUNDLING,
          forceDockerBundling: false,
          commandHooks: copyAfterBundling(configSource, GUARD_CONFIG_FILE),
        },
      });
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
}

/**
 * Copies `source` into the bundle's output directory as `name`, after esbuild wrote `index.mjs`. The guard
 * is bundled locally (no Docker), so the output directory is a path on this machine.
 */
function copyAfterBundling(source: string, name: string): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => {
      const target = join(outputDir, name);
      return [
        platform() === 'win32'
          ? `copy /Y "${source}" "${target}"`
          : `cp ${posixQuote(source)} ${posixQuote(target)}`,
      ];
    },
  };
}

function posixQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
