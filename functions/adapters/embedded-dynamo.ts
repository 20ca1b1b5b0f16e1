/**
 * The CLI's embedded DynamoDB-compatible store, used when no `TABLE_NAME` is set: dynalite in this process,
 * listening on 127.0.0.1, persisted to a LevelDB directory (or in memory without one). Tables are ACTIVE at once.
 * dynalite has no TTL and no transactions; the guard needs neither to be correct.
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import lockfile from 'proper-lockfile';

/** A lock not refreshed for this long is stale: its holder is gone. The holder refreshes it twice as often. */
export const LOCK_STALE_MS = 10_000;

export interface EmbeddedDynamo {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  readonly endpoint: string;
  /** Stops listening and closes the store, flushing it to disk. Safe to call twice. */
  close(): Promise<void>;
}

/** The embedded store could not start: the port is taken, or the data directory is unusable or in use. */
export class EmbeddedDynamoError extends Error {
  override name = 'EmbeddedDynamoError';
}

/**
 * Starts dynalite on 127.0.0.1, on `port` or a free one. With `dataDir` the data persists there across restarts
 * (the directory is created) and a lock (`lockDataDir`) keeps a second process out: LevelDB allows one opener, and dynalite
 * crashes the process on a store that failed to open instead of answering an error. Throws `EmbeddedDynamoError`.
 */
export async function startEmbeddedDynamo(
  options: { dataDir?: string | undefined; port?: number | undefined } = {},
): Promise<EmbeddedDynamo> {
  const { dataDir, port = 0 } = options;
  const releaseLock = dataDir === undefined ? async () => {} : await lockDataDir(dataDir);

  const server = dynalite({
    ...(dataDir !== undefined ? { path: dataDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (cause) {
    await releaseLock();
    throw new EmbeddedDynamoError(`The local store cannot listen on 127.0.0.1:${port}`, { cause });
  }
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((error?: Error) => (error ? reject(error) : resolve()));
      // Idle keep-alive sockets of SDK clients would hold the server, and so the store, open.
      server.closeIdleConnections();
    }).finally(releaseLock);
    return closing;
  };
  return { endpoint, close };
}

/**
 * Takes the data directory for this process with proper-lockfile: a lock directory next to the data
 * (`<dataDir>.lock`) whose mtime the holder refreshes every few seconds. A lock whose mtime is older than
 * `LOCK_STALE_MS` belongs to a process that is gone (killed, crashed, a container that stopped) and is taken
 * over, whatever PID that process had: judging by mtime survives PID reuse, where a PID file does not (a CLI
 * killed while it ran as PID 1 in a container left a lock every later run took for live).
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (cause) {
    throw new EmbeddedDynamoError(`Cannot create the local store directory ${dataDir}`, { cause });
  }
  const lockfilePath = `${dataDir}.lock`;
  try {
    return await lockfile.lock(dataDir, {
      lockfilePath,
      realpath: false,
      stale: LOCK_STALE_MS,
      update: LOCK_STALE_MS / 2,
      // A refresh that failed (the machine slept, the disk went away) must not crash a run in progress with an
      // uncaught error; the run finishes, and the next one takes the lock afresh.
      onCompromised: () => {},
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new EmbeddedDynamoError(
        `The local store in ${dataDir} is in use by another budget-guard process (its lock ${lockfilePath} ` +
          `was refreshed less than ${LOCK_STALE_MS / 1000} s ago); wait for it to finish and run again. ` +
          `A lock left by a process that was killed is taken over on its own once it is ${LOCK_STALE_MS / 1000} s old.`,
        { cause: error },
      );
    }
    throw new EmbeddedDynamoError(`Cannot lock the local store directory ${dataDir}`, { cause: error });
  }
}
