/**
 * An HTTP proxy on 127.0.0.1 that holds every request for a fixed time before passing it to a local server
 * (dynalite, fauxqs), so the guard sees network latency without knowing it is measured. It also counts the
 * AWS operations it forwards: `X-Amz-Target` for JSON protocols (DynamoDB, Secrets Manager) and `Action=`
 * for the query protocol (SNS).
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LatencyProxy {
  /** `http://127.0.0.1:<port>`: point the SDK's endpoint here. */
  readonly url: string;
  /** Operations forwarded since the last reset, by name (`PutItem`, `Publish`, …). */
  counts(): Readonly<Record<string, number>>;
  resetCounts(): void;
  close(): Promise<void>;
}

export async function startLatencyProxy(options: {
  readonly target: string;
  readonly latencyMs: number;
}): Promise<LatencyProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let counts: Record<string, number> = {};

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = operationOf(req.headers['x-amz-target'], body);
      counts[operation] = (counts[operation] ?? 0) + 1;
      void sleep(options.latencyMs).then(() => {
        const upstream = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: target.host },
            agent,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', (error) => {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`proxy: ${error.message}`);
        });
        upstream.end(body);
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      counts = {};
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

function operationOf(target: string | string[] | undefined, body: Buffer): string {
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'))?.[1];
  return action ?? 'unknown';
}

/** DynamoDB operations that write (a failed conditional write is still a write request, and billed). */
export const DYNAMO_WRITE_OPERATIONS = [
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
] as const;

export function writeRequests(counts: Readonly<Record<string, number>>): number {
  return DYNAMO_WRITE_OPERATIONS.reduce((sum, op) => sum + (counts[op] ?? 0), 0);
}
