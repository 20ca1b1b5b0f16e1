/**
 * Runs the real `budget-guard` command (the package's `bin`, bin/budget-guard.js) in a child process, as a
 * user would: its own working directory and only the environment the test gives it. Asynchronous, so servers
 * the test runs in this process (simulator, dynalite, fauxqs) keep answering while the command runs.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The installed entry point (`"bin": { "budget-guard": "bin/budget-guard.js" }`). */
export const CLI_BIN = fileURLToPath(new URL('../../bin/budget-guard.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** The working directory; local state goes to `<cwd>/.budget-guard/`. */
  readonly cwd: string;
  /** Added to a minimal environment (PATH and HOME only): nothing else leaks in from the test process. */
  readonly env?: Readonly<Record<string, string>>;
  /** Kills the command after this long (a hung command fails the test, it does not hang it). Default 30 s. */
  readonly timeoutMs?: number;
}

/** Runs `budget-guard <args>` and resolves when it exits. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? options.cwd,
    // No instance metadata lookups when the AWS SDK looks for credentials.
    AWS_EC2_METADATA_DISABLED: 'true',
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: options.cwd, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A fresh temporary working directory; `remove()` deletes it with everything in it. */
export async function tempWorkdir(
  label = 'budget-guard-e2e',
): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `${label}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Asserts that a command ran cleanly (exit 0, nothing on stderr) and printed each of `texts` on stdout: anywhere,
 * or with `wholeLines`, each as a line of its own.
 */
export function expectPrinted(
  result: Pick<CliResult, 'code' | 'stdout' | 'stderr'>,
  texts: readonly string[],
  { wholeLines = false }: { readonly wholeLines?: boolean } = {},
): void {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const printed = wholeLines ? result.stdout.split('\n') : result.stdout;
  for (const text of texts) expect(printed, text).toContain(text);
}
