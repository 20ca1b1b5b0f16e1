/** The one stack test that bundles the real guard with esbuild, as `cdk synth` and `cdk deploy` do. */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.ts';
import { BudgetGuardStack } from '../../lib/budget-guard-stack.ts';
import { guardEsbuildOptions, UNREACHABLE_IN_LAMBDA } from '../../lib/guard-bundling.ts';
import { exampleConfigInput } from './stack-fixture.ts';

describe('guard bundle', () => {
  const app = new App();
  afterAll(() => rmSync(app.outdir, { recursive: true, force: true }));

  it('is one minified ESM file with every reachable dependency inside, the SDK as published, that Node imports', async () => {
    new BudgetGuardStack(app, 'RunwayBudgetGuard', {
      config: parseConfig(exampleConfigInput(), 'cdk.json'),
    });
    app.synth();
    // The guard's code is the stack's only asset: one file, no source map, no node_modules beside it.
    const assetDirs = readdirSync(app.outdir).filter((name) => name.startsWith('asset.'));
    expect(assetDirs).toHaveLength(1);
    const assetDir = join(app.outdir, String(assetDirs[0]));

    // The config travels next to the code (see guard-config-asset.test.ts).
    expect(readdirSync(assetDir)).toEqual(['config.json', 'index.mjs']);
    const file = join(assetDir, 'index.mjs');
    const code = readFileSync(file, 'utf8');
    expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
    expect(code).not.toMatch(/\bmodule\.exports\s*=/);
    // Every package the function can reach is inside: the only modules imported when the file loads are
    // Node.js built-ins.
    const imported = [...code.matchAll(/(?:^|[;}\n])import\s*(?:[\w$*{}\s,]+from\s*)?["']([^"']+)["']/g)];
    expect(imported.length).toBeGreaterThan(0);
    for (const [, specifier] of imported) expect(specifier).toMatch(/^node:/);
    // The packages left out are loaded by the SDK's own `import()`, each on a path Lambda never takes, and by
    // nothing else: an SDK release that imported one of them statically would fail here, not in Lambda.
    const loadedLater = [...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => String(m[1]));
    const packagesLoadedLater = [...new Set(loadedLater.filter((s) => !s.startsWith('node:')))].sort();
    expect(packagesLoadedLater).toEqual([...UNREACHABLE_IN_LAMBDA].sort());
    for (const name of UNREACHABLE_IN_LAMBDA) expect(code).not.toMatch(new RegExp(`from\\s*["']${name}["']`));
    // The SDK as published: its default credential chain (with `fromEnv`, the provider that answers in
    // Lambda) and its endpoint cache are bundled, not stand-ins; no built-in is taken from
    // `process.getBuiltinModule`.
    expect(code).toContain('Could not load credentials from any providers');
    expect(code).toContain('Unable to find environment variable credentials');
    expect(code).not.toContain('Lambda sets them from the function role');
    expect(code).not.toContain('Event streams are not part of the guard bundle');
    expect(code).not.toContain('getBuiltinModule');
    // The Secrets Manager client is the SDK's.
    expect(code).toContain('com.amazonaws.secretsmanager#ResourceNotFoundException');
    // Minified: long lines (the few line breaks left are inside template literals).
    expect(code.length / code.split('\n').length).toBeGreaterThan(2000);
    expect(statSync(file).size).toBeLessThan(2 * 1024 * 1024);

    // It runs: a fresh Node process imports it and finds the handler. esbuild stands in for a CommonJS
    // `require` of a module it did not bundle with a function that throws "Dynamic require of … is not
    // supported"; importing evaluates the whole bundle, so such a call at load time would fail here.
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(typeof m.handler);`,
      ],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('function');
    expect(code).not.toContain('Dynamic require of');

    // The bench measures what is deployed: esbuild's API with `guardEsbuildOptions` writes the same file.
    const benchFile = join(app.outdir, 'bench-index.mjs');
    await build({ ...guardEsbuildOptions(benchFile), logLevel: 'warning' });
    expect(readFileSync(benchFile, 'utf8') === code).toBe(true);
  }, 60_000);
});
