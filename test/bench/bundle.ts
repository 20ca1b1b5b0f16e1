/**
 * The guard bundle as deployed (the stack's bundling options from `lib/guard-bundling.ts`), what is big in
 * it, and how long a fresh Node process takes to import it compared with an empty one.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
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
  /** The Node.js built-ins the bundle imports at its top level (`import … from "node:https"`). */
  readonly builtins: readonly string[];
  /** A process that imports only those built-ins: the part of `importMs` that is Node's own code. */
  readonly builtinsMs: number;
}

/** The built-in modules a bundle imports statically (not those it loads later with `import()`). */
export function staticBuiltins(code: string): string[] {
  const names = [
    ...code.matchAll(/(?:^|[;}\n])import\s*(?:[\w$*{}\s,]+from\s*)?["'](node:[^"']+|module)["']/g),
  ];
  return [...new Set(names.map((m) => String(m[1])))].sort();
}

/**
 * Median wall time of `node` running an empty module, a module that imports the bundle, and a module that
 * imports only the bundle's built-ins, spawned alternately `runs` times each (alternating keeps machine
 * load fair to all three).
 */
export function measureColdStart(bundleFile: string, runs: number): ColdStart {
  const empty: number[] = [];
  const imported: number[] = [];
  const builtinsOnly: number[] = [];
  const builtins = staticBuiltins(readFileSync(bundleFile, 'utf8'));
  const builtinsCode = builtins.map((name) => `import ${JSON.stringify(name)};`).join('');
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
    builtinsOnly.push(spawnMs(builtinsCode));
  }
  const emptyMs = median(empty);
  const importMs = median(imported);
  return { emptyMs, importMs, ratio: importMs / emptyMs, builtins, builtinsMs: median(builtinsOnly) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
