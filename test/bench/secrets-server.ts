/**
 * A local Secrets Manager that answers `GetSecretValue` (JSON 1.1 protocol) from a map of secret names to
 * values, so the bundled guard reads its Runway keys the way it does in Lambda.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsServer {
  readonly url: string;
  set(name: string, value: string): void;
  requests(): number;
  close(): Promise<void>;
}

export async function startSecretsServer(): Promise<SecretsServer> {
  const secrets = new Map<string, string>();
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests += 1;
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        return reply(400, { __type: 'UnknownOperationException', message: 'Only GetSecretValue is served' });
      }
      const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        SecretId?: string;
      };
      const value = SecretId === undefined ? undefined : secrets.get(SecretId);
      if (SecretId === undefined || value === undefined) {
        return reply(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
      }
      reply(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${SecretId}-AbCdEf`,
        Name: SecretId,
        SecretString: value,
        VersionId: '00000000-0000-0000-0000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (name, value) => void secrets.set(name, value),
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
