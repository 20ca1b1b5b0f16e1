/**
 * The command line's option parsers (strict ISO 8601 `--now`, `--days`, `--port`) and the program itself, in
 * this process: help and usage errors from commander, exit codes, nothing written to stdout on an error.
 */
import { describe, expect, it } from 'vitest';
import { parseDays, parseInstant, parseNow, parsePort } from '../../functions/cli/options.ts';
import { type CliIo, main } from '../../functions/cli/program.ts';
import { UsageError } from '../../functions/cli/wiring.ts';

describe('parseInstant', () => {
  it.each([
    ['2026-11-22T08:00:00Z', '2026-11-22T08:00:00.000Z'],
    ['2026-11-22T08:00Z', '2026-11-22T08:00:00.000Z'],
    ['2026-11-22', '2026-11-22T00:00:00.000Z'],
    ['2026-11-22T08:00', '2026-11-22T08:00:00.000Z'],
    ['2026-11-22T08:00:30', '2026-11-22T08:00:30.000Z'],
    ['2026-11-22T08:00:00.5Z', '2026-11-22T08:00:00.500Z'],
    ['2026-11-22T08:00:00.123456Z', '2026-11-22T08:00:00.123Z'],
    ['2026-11-22T08:00:00+01:00', '2026-11-22T07:00:00.000Z'],
    ['2026-11-22T08:00:00-0530', '2026-11-22T13:30:00.000Z'],
    ['2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z'],
    ['2028-02-29T23:59:59Z', '2028-02-29T23:59:59.000Z'],
    ['2000-02-29', '2000-02-29T00:00:00.000Z'],
    ['0050-06-01', '0050-06-01T00:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseInstant(text).toISOString()).toBe(iso);
  });

  it.each([
    ['2026-02-30', 'February 2026 has 28 days'],
    ['2027-02-29', 'February 2027 has 28 days'],
    ['1900-02-29', 'February 1900 has 28 days'],
    ['2026-04-31T10:00Z', 'April 2026 has 30 days'],
    ['2026-01-00', 'January 2026 has 31 days'],
    ['2026-13-01', 'there is no month 13'],
    ['2026-00-10', 'there is no month 00'],
    ['2026-11-22T24:00', 'there is no hour 24'],
    ['2026-11-22T24:00:00Z', 'there is no hour 24'],
    ['2026-11-22T08:60', 'there is no minute 60'],
    ['2026-11-22T08:00:60Z', 'there is no second 60'],
    ['2026-11-22T08:00+25:00', '+25:00 is not a UTC offset'],
    ['garbage', 'not an ISO 8601 date or time'],
    ['', 'not an ISO 8601 date or time'],
    ['2026-11-22 08:00', 'not an ISO 8601 date or time'],
    ['2026-11-22T8:00', 'not an ISO 8601 date or time'],
    ['22/11/2026', 'not an ISO 8601 date or time'],
    ['1732262400000', 'not an ISO 8601 date or time'],
  ])('%s is refused: %s', (text, reason) => {
    expect(() => parseInstant(text)).toThrow(new RangeError(reason));
  });
});

describe('the --now, --days and --port parsers', () => {
  it('--now names the value and the reason', () => {
    expect(parseNow('2026-11-22T08:00:00+01:00')).toStrictEqual(new Date('2026-11-22T07:00:00Z'));
    expect(() => parseNow('2026-02-30')).toThrow(UsageError);
    expect(() => parseNow('2026-02-30')).toThrow(
      '--now must be an ISO 8601 date or time (UTC unless it has an offset), e.g. 2026-11-22T08:00:00Z (got "2026-02-30": February 2026 has 28 days)',
    );
    expect(() => parseNow('garbage')).toThrow(/--now must be an ISO 8601 date .*\(got "garbage"\)$/);
  });

  it('--days is a whole number from 1 to 90', () => {
    expect(parseDays('1')).toBe(1);
    expect(parseDays('90')).toBe(90);
    for (const bad of ['0', '91', '-1', '1.5', '1e1', '', ' 5', 'ten']) {
      expect(() => parseDays(bad), bad).toThrow(UsageError);
      expect(() => parseDays(bad), bad).toThrow(`--days must be a whole number from 1 to 90`);
    }
  });

  it('--port is 0 to 65535', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort('65535')).toBe(65535);
    for (const bad of ['65536', '-1', '80.5', '', 'http']) {
      expect(() => parsePort(bad), bad).toThrow(
        `--port must be a port number from 0 to 65535 (got "${bad}")`,
      );
    }
  });
});

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: {},
    cwd: process.cwd(),
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('the program', () => {
  it('help, no arguments and -h print the commands, the environment and the exit codes on stdout', async () => {
    for (const argv of [['help'], [], ['-h'], ['--help']]) {
      const result = await run(...argv);
      expect(result, argv.join(' ')).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^Usage: budget-guard <command> \[options\]/);
      for (const command of ['check', 'history', 'backfill', 'test-alert', 'simulator', 'help']) {
        expect(result.stdout).toMatch(new RegExp(`^ {2}${command} \\[`, 'm'));
      }
      expect(result.stdout).toContain('Environment:\n  RUNWAYML_API_SECRET');
      expect(result.stdout).toMatch(
        /BUDGET_GUARD_CONFIG .*\n\nExit codes: 0 done, 1 the cycle failed, 2 bad arguments or configuration\.\n$/,
      );
    }
  });

  it.each([
    ['check', ['--config <file>', '--org <id>', '--now <iso>', '--json', '--demo', '--verbose']],
    [
      'history',
      [
        '--from <date>',
        '--to <date>',
        '--org <id>',
        '--model <model>',
        '--format <format>',
        '--config',
        '--demo',
      ],
    ],
    ['backfill', ['--days <n>', '--org <id>', '--config <file>', '--demo']],
    ['test-alert', ['--config <file>', '--kind <kind>', '--org <id>']],
    ['simulator', ['--port <port>', '(default: 8787)']],
  ])('%s --help and help %s print its options', async (command, options) => {
    const viaFlag = await run(command, '--help');
    expect(viaFlag).toMatchObject({ code: 0, stderr: '' });
    expect(viaFlag.stdout).toMatch(new RegExp(`^Usage: budget-guard ${command} \\[options\\]`));
    for (const option of [...options, '-h, --help']) expect(viaFlag.stdout, option).toContain(option);
    expect(await run('help', command)).toStrictEqual(viaFlag);
  });

  it.each([
    [['check', '--frobnicate'], "budget-guard: unknown option '--frobnicate'\n"],
    [['check', '--jsn'], "budget-guard: unknown option '--jsn'\n(Did you mean --json?)\n"],
    [['frobnicate'], "budget-guard: unknown command 'frobnicate'\n"],
    [['--demo'], "budget-guard: unknown option '--demo'\n"],
    [['check', 'now'], "budget-guard: too many arguments for 'check'. Expected 0 arguments but got 1.\n"],
    [['check', '--now'], "budget-guard: option '--now <iso>' argument missing\n"],
    [
      ['history', '--format', 'xml'],
      "budget-guard: option '--format <format>' argument 'xml' is invalid. Allowed choices are table, csv, json, jsonl.\n",
    ],
    [
      ['test-alert', '--kind', 'nope'],
      "budget-guard: option '--kind <kind>' argument 'nope' is invalid. Allowed choices are budget, forecast, tier-cap, daily-quota, balance, tier-change, anomaly, guard-error, digest.\n",
    ],
  ])("%j exits 2 with commander's reason and where to find the usage", async (argv, reason) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const command = argv[0] === 'check' || argv[0] === 'history' || argv[0] === 'test-alert' ? argv[0] : '';
    const hint = command
      ? `Run "budget-guard ${command} --help" for usage.\n`
      : 'Run "budget-guard help" for usage.\n';
    expect(result.stderr).toBe(reason + hint);
  });

  it.each([
    [['check', '--now', '2026-02-30'], '(got "2026-02-30": February 2026 has 28 days)'],
    [['check', '--now=2027-02-29T08:00Z'], '(got "2027-02-29T08:00Z": February 2027 has 28 days)'],
    [['backfill', '--days', '0'], '--days must be a whole number from 1 to 90'],
    [['backfill', '--days', '91'], '--days must be a whole number from 1 to 90'],
    [['simulator', '--port', '65536'], '--port must be a port number from 0 to 65535 (got "65536")'],
  ])('%j exits 2 before running anything', async (argv, reason) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^budget-guard: .*\n$/);
    expect(result.stderr).toContain(reason);
  });
});
