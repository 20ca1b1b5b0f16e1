/** The one stack test that bundles the real guard with esbuild, as `cdk synth` and `cdk deploy` do. */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.ts';
import { BudgetGuardStack } from '../../lib/budget-guard-stack.ts';
import { exampleConfigInput } from './stack-fixture.ts';

describe('guard bundle', () => {
  const app = new App();
  afterAll(() => rmSync(app.outdir, { recursive: true, force: true }));

  it('is one minified ESM file, every dependency inside, no import statement and no source map', () => {
    new BudgetGuardStack(app, 'RunwayBudgetGuard', {
      config: parseConfig(exampleConfigInput(), 'cdk.json'),
    });
    app.synth();
    // The guard's code is the stack's only asset.
    const assetDirs = readdirSync(app.outdir).filter((name) => name.startsWith('asset.'));
    expect(assetDirs).toHaveLength(1);
    const assetDir = join(app.outdir, String(assetDirs[0]));

    // The config travels next to the code (see guard-config-asset.test.ts).
    expect(readdirSync(assetDir)).toEqual(['config.json', 'index.mjs']);
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
    // Bundled, not resolved at run time, and no static import left at all: Node.js built-ins come from
    // `process.getBuiltinModule` (see lib/guard-bundling.ts), so Node builds no ES module facade for them.
    expect(code).not.toMatch(/(?:^|[;}\n])import\s*(?:[\w$*{}\s,]+from\s*)?["']/);
    expect(code).toContain('getBuiltinModule("node:crypto")');
    // No CommonJS `require` either: esbuild's ESM stand-in for it throws "Dynamic require of … is not
    // supported", and without a `require` banner that is what a bundled `require` call would do.
    expect(code).not.toContain('Dynamic require of');
    // Minified: long lines (the few line breaks left are inside template literals).
    expect(code.length / code.split('\n').length).toBeGreaterThan(2000);
    expect(statSync(join(assetDir, 'index.mjs')).size).toBeLessThan(2 * 1024 * 1024);
  }, 60_000);
});
