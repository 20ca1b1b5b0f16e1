/**
 * How the guard's Lambda code is bundled, in one place: the stack's `NodejsFunction` and `npm run bench`
 * (which measures the bundle as deployed) both take it from here.
 *
 * One minified ESM file, every dependency inside (the AWS SDK at the pinned versions too), no source map.
 * Some modules are resolved to small local ones (`GUARD_ALIASES`):
 * - `@aws-sdk/credential-provider-node` → `functions/guard/lambda-credentials.ts` (Lambda's environment
 *   credentials; the full chain brings SSO, STS and instance-metadata clients, ~120 KiB);
 * - `@smithy/core/event-streams` → `functions/guard/no-event-streams.ts` (none of the guard's operations
 *   streams events; ~17 KiB);
 * - `@aws-sdk/endpoint-cache` → `functions/guard/endpoint-cache.ts` (the DynamoDB client's endpoint-discovery
 *   cache, same class and behaviour on a `Map` instead of `mnemonist`'s LRU cache; ~7 KiB);
 * - the Node.js built-ins the SDK imports (`node:crypto`, `node:https`, `node:fs`, …) →
 *   `functions/guard/builtins/`, which take each module from `process.getBuiltinModule`. An ESM `import` of a built-in makes Node build an ES
 *   module facade over it, reading every export once: for `node:process` that creates `process.stdin`,
 *   `stdout` and `stderr` and the allowed-flags set, for `node:fs` and `node:crypto` it loads their stream
 *   and Web Crypto parts. That is ~4 ms of a cold start for nothing the guard uses.
 * With no `import` of a built-in left and no CommonJS `require` in any bundled package, the bundle needs no
 * `createRequire` banner. The stack's bundle test fails if either comes back.
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

/** What `NodejsFunction` derives from `Runtime.NODEJS_24_X`. */
export const GUARD_TARGET = 'node24';

/** Module → replacement, relative to {@link PROJECT_ROOT}. */
export const GUARD_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/guard/lambda-credentials.ts',
  '@smithy/core/event-streams': './functions/guard/no-event-streams.ts',
  '@aws-sdk/endpoint-cache': './functions/guard/endpoint-cache.ts',
  'node:crypto': './functions/guard/builtins/crypto.ts',
  'node:fs': './functions/guard/builtins/fs.ts',
  'node:fs/promises': './functions/guard/builtins/fs-promises.ts',
  'node:https': './functions/guard/builtins/https.ts',
  'node:os': './functions/guard/builtins/os.ts',
  'node:path': './functions/guard/builtins/path.ts',
  'node:process': './functions/guard/builtins/process.ts',
  'node:stream': './functions/guard/builtins/stream.ts',
};

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
    mainFields: [...GUARD_BUNDLING.mainFields],
    minify: GUARD_BUNDLING.minify,
    sourcemap: GUARD_BUNDLING.sourceMap,
    keepNames: GUARD_BUNDLING.keepNames,
    alias: { ...GUARD_ALIASES },
  };
}
