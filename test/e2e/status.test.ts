/**
 * `budget-guard status` end to end, the way a user meets it: the real `budget-guard check` (a child process) runs
 * the demo in a temporary working directory, then `runStatus` reads what it left in the embedded store, with
 * the environment and working directory the command would have.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../functions/cli/check.ts';
import { runStatus } from '../../functions/cli/status.ts';
import type { StatusReport } from '../../functions/cli/status-report.ts';
import { expectPrinted, runCli, tempWorkdir } from '../helpers/cli.ts';

const CHECKED_AT = '2026-11-25T09:30:00Z';
const minutesAfter = (minutes: number) => new Date(Date.parse(CHECKED_AT) + minutes * 60_000);

let work: Awaited<ReturnType<typeof tempWorkdir>>;

beforeAll(async () => {
  work = await tempWorkdir('budget-guard-status');
});
afterAll(async () => {
  await work?.remove();
});

async function status(now: Date, json = false) {
  const out: string[] = [];
  const err: string[] = [];
  // No Runway key, no table, no topic: the demo config and the embedded store under the working directory.
  const io: Io = { env: {}, cwd: work.dir, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
  const code = await runStatus({ now, json, demo: false }, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('status after the demo check', () => {
  it('says nothing has run in a new directory', async () => {
    const result = await status(minutesAfter(0));

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Studio production (studio)');
    expect(result.stdout).toContain(
      '  Last success   none: no guard run has succeeded yet (NEEDS ATTENTION)',
    );
    expect(result.stdout).toContain('1 thing needs attention.');
  });

  it('is all good 15 minutes after a check, stale 3 hours after, and never writes', async () => {
    const check = await runCli(['check', '--now', CHECKED_AT], { cwd: work.dir });
    expect(check.code, check.stderr).toBe(0);
    const outbox = join(work.dir, '.budget-guard', 'demo', 'outbox.jsonl');
    const sent = await readFile(outbox, 'utf8');

    const fresh = await status(minutesAfter(15));
    expectPrinted(
      fresh,
      [
        'Runway Budget Guard status — 2026-11-25 09:45 UTC',
        '  Config         the built-in demo config',
        '  History        demo store .budget-guard/demo/dynamo (simulated data only)',
        '  Schedule       rate(1 hour); a last success older than 2 hours is stale',
        'Studio production (studio)',
        '  Last success   2026-11-25 09:30 UTC, 15 minutes ago',
        '  Next run       due by 2026-11-25 10:30 UTC, in 45 minutes',
        '  Alerts         none pending',
        'Subscriptions',
        'All good.',
      ],
      { wholeLines: true },
    );
    expect(fresh.stdout).toMatch(/ {2}State {10}(ok|warn|critical), as of 2026-11-25 09:30 UTC/);
    expect(fresh.stdout).toMatch(/ {2}History from {3}\d{4}-\d{2}-\d{2}\n/);
    expect(fresh.stdout).not.toMatch(/undefined|NaN|null/);
    // The demo's own outbox, where its check wrote.
    expect(fresh.stdout).toContain(
      'not applicable: demo mode never publishes, so notifications go to the local outbox\n  (.budget-guard/demo/outbox.jsonl), which has no subscribers',
    );

    const stale = await status(minutesAfter(180), true);
    expect(stale.code).toBe(1);
    const report = JSON.parse(stale.stdout) as StatusReport;
    expect(report).toMatchObject({
      ok: false,
      // The same key as `check --json`.
      configSource: 'the built-in demo config',
      organizations: [
        {
          orgId: 'studio',
          lastSuccess: { at: '2026-11-25T09:30:00.000Z', ageSeconds: 10_800, stale: true },
          nextRun: { kind: 'overdue', at: '2026-11-25T10:30:00.000Z' },
          ledger: [],
        },
      ],
      subscriptions: { applicable: false },
      verdict: '1 thing needs attention.',
    });

    expect(await readFile(outbox, 'utf8')).toBe(sent);
  });
});
