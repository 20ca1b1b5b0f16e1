/**
 * The guard Lambda with the project's defaults: Node.js 24 on arm64, one ESM bundle built locally by esbuild
 * with every dependency inside (the AWS SDK at the pinned versions too), one run at a time, its own log
 * group, and a role that starts with no permissions at all.
 */
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GUARD_BUNDLING, GUARD_ENTRY, PROJECT_ROOT } from './guard-bundling.ts';

export { GUARD_ENTRY };

/** Lambda's limit on the total size of a function's environment variables (names and values). */
const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

export interface GuardFunctionProps {
  /** Environment variables; their total size is checked against Lambda's 4 KiB limit at synth time. */
  readonly environment: Record<string, string>;
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

  /** @throws Error when the environment exceeds Lambda's 4 KiB limit (usually a very long config). */
  constructor(scope: Construct, id: string, props: GuardFunctionProps) {
    super(scope, id);
    assertEnvironmentFits(props.environment);

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

    this.function = new NodejsFunction(this, 'Function', {
      description: 'Runway Budget Guard: reads each Runway organization, stores snapshots, sends alerts',
      entry: GUARD_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: fileURLToPath(new URL('../package-lock.json', import.meta.url)),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      // 512 MB: more CPU for a faster cold start of a ~0.5 MB bundle; at one short run per hour the
      // difference to 256 MB is a fraction of a cent a month.
      memorySize: 512,
      timeout: props.timeout,
      // One run at a time: two overlapping runs would only race for the same ledger items.
      reservedConcurrentExecutions: 1,
      // The next scheduled run catches up, and a failed run already fires the errors alarm.
      retryAttempts: 0,
      maxEventAge: props.maxEventAge,
      role: this.role,
      logGroup: this.logGroup,
      environment: props.environment,
      // One minified ESM file with every dependency inside; see guard-bundling.ts (shared with `npm run bench`).
      bundling: { ...GUARD_BUNDLING, forceDockerBundling: false },
    });
  }
}

function assertEnvironmentFits(environment: Record<string, string>): void {
  const bytes = Object.entries(environment).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value),
    0,
  );
  if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    throw new Error(
      `the guard's environment is ${bytes} bytes, above Lambda's limit of ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}; ` +
        'BUDGET_GUARD_CONFIG carries the whole config, so shorten names or split organizations across stacks',
    );
  }
}
