/**
 * How the guard's Lambda code is bundled, in one place: the stack's `NodejsFunction` and `npm run bench`
 * (which measures the bundle as deployed) both take it from here.
 *
 * Ordinary `NodejsFunction` settings: one minified ESM file for Node.js 24, every dependency the function can
 * reach inside (the AWS SDK at the pinned versions too, not the copy in the Lambda runtime), ES module entry
 * points preferred, no source map. Nothing is replaced or aliased: the SDK clients run as published, so an SDK
 * upgrade changes nothing here. The few modules the SDK loads only on paths Lambda never takes stay out of the
 * file ({@link UNREACHABLE_IN_LAMBDA}).
 * Names are not kept (`keepNames` adds ~25 KiB of `__name` calls): every error class of the guard and of the
 * SDK sets its `name` explicitly, so logs and alerts still name errors correctly.
 */
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The project root: where the bundler runs. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The guard's Lambda entry point. */
export const GUARD_ENTRY = fileURLToPath(new URL('../functions/guard/handler.ts', import.meta.url));

/** What `NodejsFunction` derives from `Runtime.NODEJS_24_X`. */
export const GUARD_TARGET = 'node24';

/**
 * Modules the SDK imports only with a dynamic `import()`, on paths the deployed guard never takes. Bundling
 * them would only make every cold start parse them (about 120 KiB, 10 ms). Left out, the `import()` stays in
 * the file as written; were a path ever taken, it would resolve at run time like any package.
 *
 * - The default credential chain's providers after the first: Lambda always sets the function role's
 *   credentials in the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), and the
 *   chain's first provider, `fromEnv`, is bundled and answers. SSO, shared config files, credential
 *   processes, web identity tokens and the container or instance metadata services are never asked.
 * - The event-stream codec: the SDK loads it for operations that stream events, and none of the operations
 *   the guard calls (DynamoDB, SNS, SSM, Secrets Manager) does.
 *
 * The stack's bundle test checks that the file imports nothing but Node.js built-ins statically, and that each
 * of these is only ever loaded by `import()`; the Lambda bundle test runs the file with credentials in the
 * environment only, as Lambda does.
 */
export const UNREACHABLE_IN_LAMBDA = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
  '@smithy/core/event-streams',
] as const;

/**
 * `NodejsFunction`'s `bundling` for the guard: `bundling: { ...GUARD_BUNDLING, forceDockerBundling: false }`.
 * `cdk synth` with these options writes the same `index.mjs`, byte for byte, as `guardEsbuildOptions`.
 */
export const GUARD_BUNDLING = {
  format: OutputFormat.ESM,
  target: GUARD_TARGET,
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: false,
  keepNames: false,
  // Bundle everything the function can reach, the AWS SDK included, so the runtime uses the versions the tests
  // ran with.
  externalModules: [...UNREACHABLE_IN_LAMBDA],
} satisfies BundlingOptions;

/**
 * The same bundle through esbuild's API (`build(guardEsbuildOptions(outfile))`), option for option what
 * `NodejsFunction` passes to the esbuild CLI for {@link GUARD_BUNDLING}.
 */
export function guardEsbuildOptions(outfile: string): BuildOptions {
  return {
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [GUARD_ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: GUARD_BUNDLING.target,
    mainFields: [...GUARD_BUNDLING.mainFields],
    minify: GUARD_BUNDLING.minify,
    sourcemap: GUARD_BUNDLING.sourceMap,
    keepNames: GUARD_BUNDLING.keepNames,
    external: [...GUARD_BUNDLING.externalModules],
  };
}
