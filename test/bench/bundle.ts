/**
 * The guard bundle as deployed (the stack's bundling options from `lib/guard-bundling.ts`), what is big in
 * it, and how long a fresh Node process takes to import it compared with an empty one.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
  /**
   * `node -e 'await import(emptyModule)'`: Node starting and importing an empty module, which is where the
   * Lambda runtime stands when it imports the handler (it is an ES module itself, so Node's module loader is
   * already running). The target's denominator: an empty bundle scores 1.00×.
   */
  readonly baselineMs: number;
  /** `node -e 'await import(bundle)'`. */
  readonly importMs: number;
  /** `importMs / baselineMs`. */
  readonly ratio: number;
  /** `node -e ''`: a process that runs nothing, not even the module loader. */
  readonly bareMs: number;
  /** The Node.js built-ins the bundle imports (`node:crypto`, `node:https`, …). */
  readonly builtins: readonly string[];
  /** A process that only imports those built-ins: `builtinsMs - baselineMs` is Node's own code. */
  readonly builtinsMs: number;
}

/** The built-in modules a bundle imports statically (not those it loads later with `import()`). */
export function bundleBuiltins(code: string): string[] {
  const imported = code.matchAll(
    /(?:^|[;}\n])import\s*(?:[\w$*{}\s,]+from\s*)?["'](node:[^"']+|module)["']/g,
  );
  return [...new Set([...imported].map((m) => String(m[1])))].sort();
}

/**
 * Median wall time of `node` running nothing, importing an empty module, importing the bundle, and importing
 * only the bundle's built-ins, spawned in turn `runs` times each (taking turns keeps machine load fair to
 * all four).
 */
export function measureColdStart(bundleFile: string, runs: number): ColdStart {
  const builtins = bundleBuiltins(readFileSync(bundleFile, 'utf8'));
  const emptyModule = join(dirname(bundleFile), 'empty.mjs');
  writeFileSync(emptyModule, '');
  const importOf = (file: string) => `await import(${JSON.stringify(pathToFileURL(file).href)});`;
  const variants = {
    empty: '',
    emptyModule: importOf(emptyModule),
    bundle: importOf(bundleFile),
    builtins: builtins.map((name) => `import ${JSON.stringify(name)};`).join(''),
  };
  const times: Record<keyof typeof variants, number[]> = {
    empty: [],
    emptyModule: [],
    bundle: [],
    builtins: [],
  };
  const spawnMs = (code: string) => {
    const started = process.hrtime.bigint();
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore' });
    if (child.status !== 0) throw new Error(`node exited with ${child.status} running: ${code}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  spawnMs(variants.bundle); // warm the file cache
  for (let i = 0; i < runs; i++) {
    for (const [name, code] of Object.entries(variants))
      times[name as keyof typeof variants].push(spawnMs(code));
  }
  const baselineMs = median(times.emptyModule);
  const importMs = median(times.bundle);
  return {
    baselineMs,
    importMs,
    ratio: importMs / baselineMs,
    bareMs: median(times.empty),
    builtins,
    builtinsMs: median(times.builtins),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
