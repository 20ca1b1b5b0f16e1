/**
 * How the guard's Lambda code is bundled, in one place: the stack's `NodejsFunction` and `npm run bench`
 * (which measures the bundle as deployed) both take it from here.
 *
 * Ordinary `NodejsFunction` settings: one minified ESM file for Node.js 24, every dependency inside (the AWS
 * SDK at the pinned versions too, not the copy in the Lambda runtime), ES module entry points preferred, no
 * source map. Nothing is replaced or aliased: the SDK clients run as published, so an SDK upgrade changes
 * nothing here.
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
  };
}
