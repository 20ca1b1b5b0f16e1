/** The one stack test that bundles the real guard with esbuild, as `cdk synth` and `cdk deploy` do. */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.ts';
import { BudgetGuardStack } from '../../lib/budget-guard-stack.ts';
import { ESM_REQUIRE_BANNER } from '../../lib/guard-function.ts';
import { exampleConfigInput } from './stack-fixture.ts';

describe('guard bundle', () => {
  const app = new App();
  afterAll(() => rmSync(app.outdir, { recursive: true, force: true }));

  it('is one minified ESM file with the require shim, every dependency inside and no source map', () => {
    new BudgetGuardStack(app, 'RunwayBudgetGuard', {
      config: parseConfig(exampleConfigInput(), 'cdk.json'),
    });
    app.synth();
    // The guard's code is the stack's only asset.
    const assetDirs = readdirSync(app.outdir).filter((name) => name.startsWith('asset.'));
    expect(assetDirs).toHaveLength(1);
    const assetDir = join(app.outdir, String(assetDirs[0]));

    expect(readdirSync(assetDir)).toEqual(['index.mjs']);
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
    // Bundled, not resolved at run time: the only import statements left are for Node.js built-ins.
    const imported = [...code.matchAll(/(?:^|[;}\n])import\s*(?:[\w$*{}\s,]+from\s*)?["']([^"']+)["']/g)].map(
      (m) => m[1],
    );
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((specifier) => !specifier?.startsWith('node:') && specifier !== 'module')).toEqual(
      [],
    );
    // Minified: long lines (the few line breaks left are inside template literals).
    expect(code.length / code.split('\n').length).toBeGreaterThan(2000);
    expect(statSync(join(assetDir, 'index.mjs')).size).toBeLessThan(2 * 1024 * 1024);
  }, 60_000);
});
