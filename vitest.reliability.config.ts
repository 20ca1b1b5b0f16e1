/**
 * `npm run reliability`: the reliability suite (test/reliability) with large counts, ending with the summary
 * table (scenarios, faults injected, alerts expected, delivered, lost, duplicated, secret bytes leaked).
 * The default `npm test` runs the same files with small counts and prints no table.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

const reportFile = join(tmpdir(), `budget-guard-reliability-${process.pid}.jsonl`);
// The global setup (which prints the table) runs in this process, the tests in workers: both read it.
process.env.RELIABILITY_REPORT_FILE = reportFile;

export default defineConfig({
  test: {
    ...base.test,
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/reliability/report.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    env: {
      ...base.test?.env,
      RELIABILITY_REPORT_FILE: reportFile,
      RELIABILITY_SIM_RUNS: process.env.RELIABILITY_SIM_RUNS ?? '12',
      RELIABILITY_RACE_ROUNDS: process.env.RELIABILITY_RACE_ROUNDS ?? '20',
      RELIABILITY_FULL_MATRIX: '1',
    },
  },
});
