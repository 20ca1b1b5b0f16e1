/**
 * The CLI's embedded DynamoDB-compatible store, used when no `TABLE_NAME` is set: dynalite in this process,
 * listening on 127.0.0.1, persisted to a LevelDB directory (or in memory without one). Tables are ACTIVE at once.
 * dynalite has no TTL and no transactions; the guard needs neither to be correct.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';

/** Inside the data directory; LevelDB leaves files with names it does not use alone. */
const LOCK_FILE = 'budget-guard.pid';

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
 * (the directory is created) and a lock file keeps a second process out: LevelDB allows one opener, and dynalite
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

/** Takes the data directory for this process, replacing the lock of a process that no longer runs. */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = join(dataDir, LOCK_FILE);
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (cause) {
    throw new EmbeddedDynamoError(`Cannot create the local store directory ${dataDir}`, { cause });
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new EmbeddedDynamoError(`Cannot lock the local store directory ${dataDir}`, { cause: error });
      }
    }
    const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
    if (attempt >= 2 || isRunning(holder)) {
      throw new EmbeddedDynamoError(
        `The local store in ${dataDir} is in use by process ${holder || 'unknown'}; wait for it to finish, ` +
          `or delete ${lockPath} if no budget-guard process is running`,
      );
    }
    await rm(lockPath, { force: true });
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
