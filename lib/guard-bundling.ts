/**
 * How the guard's Lambda code is bundled, in one place: the stack's `NodejsFunction` and `npm run bench`
 * (which measures the bundle as deployed) both take it from here.
 *
 * One minified ESM file, every dependency inside (the AWS SDK at the pinned versions too), no source map.
 * Three SDK modules are resolved to small local ones, two the guard never runs in Lambda and one it runs
 * without needing its dependencies:
 * - `@aws-sdk/credential-provider-node` → `functions/guard/lambda-credentials.ts` (Lambda's environment
 *   credentials; the full chain brings SSO, STS and instance-metadata clients, ~120 KiB);
 * - `@smithy/core/event-streams` → `functions/guard/no-event-streams.ts` (none of the guard's operations
 *   streams events; ~17 KiB);
 * - `@aws-sdk/endpoint-cache` → `functions/guard/endpoint-cache.ts` (the DynamoDB client's endpoint-discovery
 *   cache, same class and behaviour on a `Map` instead of `mnemonist`'s LRU cache; ~7 KiB).
 * Names are not kept (`keepNames` adds ~25 KiB of `__name` calls): every error class of the guard and of the
 * SDK sets its `name` explicitly, so logs and alerts still name errors correctly.
 */
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The project root: where the bundler runs and alias paths start. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The guard's Lambda entry point. */
export const GUARD_ENTRY = fileURLToPath(new URL('../functions/guard/handler.ts', import.meta.url));

/**
 * Lets CommonJS packages bundled into the ESM output call `require` for Node built-ins; esbuild's ESM
 * output has no `require` of its own.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** What `NodejsFunction` derives from `Runtime.NODEJS_24_X`. */
export const GUARD_TARGET = 'node24';

/** Module → replacement, relative to {@link PROJECT_ROOT}. */
export const GUARD_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/guard/lambda-credentials.ts',
  '@smithy/core/event-streams': './functions/guard/no-event-streams.ts',
  '@aws-sdk/endpoint-cache': './functions/guard/endpoint-cache.ts',
};

/**
 * `NodejsFunction`'s `bundling` for the guard: `bundling: { ...GUARD_BUNDLING, forceDockerBundling: false }`.
 * `cdk synth` with these options writes the same `index.mjs`, byte for byte, as `guardEsbuildOptions`.
 */
export const GUARD_BUNDLING = {
  format: OutputFormat.ESM,
  target: GUARD_TARGET,
  banner: ESM_REQUIRE_BANNER,
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: false,
  keepNames: false,
  // Bundle everything, the AWS SDK included, so the runtime uses the versions the tests ran with.
  externalModules: [],
  esbuildArgs: {
    '--alias': Object.entries(GUARD_ALIASES).map(([module, replacement]) => `${module}=${replacement}`),
  },
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
    banner: { js: GUARD_BUNDLING.banner },
    mainFields: [...GUARD_BUNDLING.mainFields],
    minify: GUARD_BUNDLING.minify,
    sourcemap: GUARD_BUNDLING.sourceMap,
    keepNames: GUARD_BUNDLING.keepNames,
    alias: { ...GUARD_ALIASES },
  };
}
