/**
 * The `budget-guard` command line (functions/cli/program.ts). Exit codes: 0 done; 1 the cycle failed (nothing
 * half-written); 2 bad arguments or configuration, with the reason.
 */
import { main } from '../functions/cli/program.ts';

export { main };

// The AWS SDK warns about Node 20 on every client; the CLI's output is for people.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// A reader that stops early (`budget-guard help | head`) closes the pipe: the rest of the output is unwanted,
// not an error. Commander writes the help in parts, so this happens even to the usage.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

process.exitCode = await main(process.argv.slice(2));
