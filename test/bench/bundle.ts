/**
 * The guard bundle as deployed (the stack's bundling options from `lib/guard-bundling.ts`), what is big in
 * it, and how long a fresh Node process takes to import it compared with an empty one.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { guardEsbuildOptions } from '../../lib/guard-bundling.ts';

export interface GuardBundle {
  readonly file: string;
  readonly bytes: number;
  /** Bytes in the output per package (or per project folder), largest first. */
  readonly topInputs: readonly { readonly name: string; readonly bytes: number }[];
}

export async function buildGuardBundle(dir: string): Promise<GuardBundle> {
  const file = join(dir, 'index.mjs');
  const { metafile } = await build({ ...guardEsbuildOptions(file), metafile: true, logLevel: 'warning' });
  if (!metafile) throw new Error('esbuild returned no metafile');
  return { file, bytes: statSync(file).size, topInputs: inputsByPackage(metafile) };
}

function inputsByPackage(metafile: Metafile): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
      const name = pkg ?? path.split('/').slice(0, 2).join('/');
      totals.set(name, (totals.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

export interface ColdStart {
  readonly emptyMs: number;
  readonly importMs: number;
  readonly ratio: number;
}

/**
 * Median wall time of `node` running an empty module and a module that imports the bundle, spawned
 * alternately `runs` times each (alternating keeps machine load fair to both).
 */
export function measureColdStart(bundleFile: string, runs: number): ColdStart {
  const empty: number[] = [];
  const imported: number[] = [];
  const url = pathToFileURL(bundleFile).href;
  const spawnMs = (code: string) => {
    const started = process.hrtime.bigint();
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore' });
    if (child.status !== 0) throw new Error(`node exited with ${child.status} importing ${bundleFile}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  spawnMs(`await import(${JSON.stringify(url)});`); // warm the file cache
  for (let i = 0; i < runs; i++) {
    empty.push(spawnMs(''));
    imported.push(spawnMs(`await import(${JSON.stringify(url)});`));
  }
  const emptyMs = median(empty);
  const importMs = median(imported);
  return { emptyMs, importMs, ratio: importMs / emptyMs };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
