/**
 * `budget-guard check` in process against the demo simulator: the overview names the config it used, and a
 * budget on a model the organization's tier and stored usage never mention is a warning, in the report and
 * in `--json`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCheck } from '../../functions/cli/check.ts';
import { createDemoConfig } from '../../functions/simulator/demo.ts';

const NOW = new Date('2026-11-22T10:30:00.000Z');

function capture(env: Io['env'], cwd: string) {
  const out: string[] = [];
  const io: Io = { env, cwd, stdout: (t) => void out.push(t), stderr: () => {} };
  return { io, stdout: () => out.join('') };
}

/** The demo config with budgets on a typo, on a published model the demo never uses, and on act_two. */
function configWithModels(): string {
  const config = createDemoConfig();
  const org = config.organizations[0];
  if (!org?.budgets) throw new Error('the demo config has budgets');
  org.budgets.push(
    { id: 'veo-typo', period: 'day', model: 'veo3.2', limit: { credits: 1000 }, thresholds: [80] },
    { id: 'kling', period: 'month', model: 'kling3.0_pro', limit: { usd: 100 }, thresholds: [80] },
    // Not in the tier, but used: stored usage counts.
    { id: 'act-two', period: 'month', model: 'act_two', limit: { usd: 100 }, thresholds: [80] },
  );
  return JSON.stringify(config);
}

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'budget-guard-check-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('check: the config used, and budgets on models never seen', () => {
  it('--json carries configSource and warnings; the report has a Config line and a Warnings block', async () => {
    const env = { BUDGET_GUARD_CONFIG: configWithModels() };
    const json = capture(env, cwd);
    expect(await runCheck({ demo: true, json: true, now: NOW }, json.io)).toBe(0);
    const output = JSON.parse(json.stdout()) as {
      configSource: string;
      warnings: { orgId: string; path: string; model: string; suggestion: string | null; message: string }[];
    };
    expect(output.configSource).toBe('BUDGET_GUARD_CONFIG');
    expect(output.warnings.map((w) => [w.orgId, w.path, w.model, w.suggestion])).toEqual([
      ['studio', '$.organizations[0].budgets[2].model', 'veo3.2', 'veo3.1'],
      ['studio', '$.organizations[0].budgets[3].model', 'kling3.0_pro', null],
    ]);
    expect(output.warnings[0]?.message).toContain("It is not in Runway's published model list either");
    expect(output.warnings[1]?.message).toContain('It is a model Runway publishes');

    const text = capture(env, cwd);
    expect(await runCheck({ demo: true, json: false, now: NOW }, text.io)).toBe(0);
    const report = text.stdout();
    expect(report).toContain('  Config         BUDGET_GUARD_CONFIG\n');
    expect(report).toMatch(
      /\nWarnings\n {2}- \$\.organizations\[0\]\.budgets\[2\]\.model: budget "veo-typo" of studio names the model "veo3\.2".*did you mean "veo3\.1"\?/,
    );
    expect(report).not.toContain('"act_two"');
  });

  it('the demo config: named as such, no warnings', async () => {
    const json = capture({}, cwd);
    expect(await runCheck({ demo: true, json: true, now: NOW }, json.io)).toBe(0);
    expect(JSON.parse(json.stdout())).toMatchObject({
      configSource: 'the built-in demo config',
      warnings: [],
    });
  });
});
