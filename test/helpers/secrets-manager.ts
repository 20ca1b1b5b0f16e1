/**
 * A local Secrets Manager that answers `GetSecretValue` (JSON 1.1 protocol) from a map of secret names to
 * values, for the SDK's Secrets Manager client pointed at it (`endpoint`, or `AWS_ENDPOINT_URL_SECRETS_MANAGER`
 * for a bundle in another process): unit tests, the bundle test, the bench.
 *
 * Like AWS, it checks each request's SigV4 signature: it re-signs what it received with `SignatureV4` and the
 * credentials it was started with, and answers a missing, malformed or wrong signature, an unknown access key
 * or a wrong session token with AWS's error documents. That is also a check that the client is configured
 * right (region, credentials, service name). Faults can be injected for the next requests.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, HttpRequest } from '@smithy/types';

/**
 * The server's credentials unless it is given others: a role session's, as Lambda has, with a session token.
 * Made up, and long enough that a test scanning output for them cannot match by chance.
 */
export const TEST_CREDENTIALS: Readonly<
  Required<Pick<AwsCredentialIdentity, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>>
> = {
  accessKeyId: 'ASIALOCALTESTSECRETS1',
  secretAccessKey: 'tEsT/SeCrEtAcCeSsKeY+local0secrets0manager0x',
  sessionToken:
    'IQoJb3JpZ2luX2VjEAAaCXVzLWVhc3QtMSJGMEQCIHRlc3Qtc2Vzc2lvbi10b2tlbi1mb3ItbG9jYWwtc2VjcmV0cw==',
};

/** What the next request gets instead of its answer. */
export type SecretsManagerFault =
  /** HTTP 500 `InternalServiceError` (retryable). */
  | { readonly kind: 'internal' }
  /** HTTP 400 `ThrottlingException` (retryable). */
  | { readonly kind: 'throttling' }
  /** Any AWS error document, e.g. 400 `AccessDeniedException`. */
  | { readonly kind: 'error'; readonly status: number; readonly type: string; readonly message: string }
  /** The connection is destroyed without an answer. */
  | { readonly kind: 'drop' }
  /** The real answer, `ms` late. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** HTTP 200 with the real answer cut short: not JSON, and it still carries the secret value. */
  | { readonly kind: 'truncated' };

export interface SecretsManagerServerOptions {
  /** The credentials requests must be signed with; defaults to {@link TEST_CREDENTIALS}. */
  readonly credentials?: AwsCredentialIdentity;
  /** The region requests must be signed for; defaults to `us-east-1`. */
  readonly region?: string;
}

export interface SecretsManagerServer {
  /** `http://127.0.0.1:<port>`; point `AWS_ENDPOINT_URL_SECRETS_MANAGER` here. */
  readonly url: string;
  /** The region requests must be signed for. */
  readonly region: string;
  /** The credentials requests must be signed with. */
  readonly credentials: AwsCredentialIdentity;
  /** Stores `value` as `SecretString`, or as `SecretBinary` when it is bytes. */
  set(name: string, value: string | Uint8Array): void;
  /** The next `times` requests get `fault`, after their signature is checked. */
  inject(fault: SecretsManagerFault, times?: number): void;
  /** Requests received, faulted and rejected ones included. */
  requests(): number;
  close(): Promise<void>;
}

const SERVICE = 'secretsmanager';
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,]+)\/(\d{8})\/([^/,]+)\/([^/,]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 15 * 60 * 1000;
const NOT_FOUND = "Secrets Manager can't find the specified secret.";

export async function startSecretsManagerServer(
  options: SecretsManagerServerOptions = {},
): Promise<SecretsManagerServer> {
  const credentials = options.credentials ?? TEST_CREDENTIALS;
  const region = options.region ?? 'us-east-1';
  const secrets = new Map<string, string | Uint8Array>();
  const faults: SecretsManagerFault[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let requests = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests += 1;
      void handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => {
        reply(res, 500, { __type: 'InternalServiceError', message: `Test server failed: ${String(error)}` });
      });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const rejection = await checkSignature(req, body);
    if (rejection !== undefined) return reply(res, 400, rejection);
    const fault = faults.shift();
    if (fault?.kind === 'drop') return void req.socket.destroy();
    if (fault?.kind === 'internal') {
      return reply(res, 500, {
        __type: 'InternalServiceError',
        message: 'An error occurred on the server side.',
      });
    }
    if (fault?.kind === 'throttling')
      return reply(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
    if (fault?.kind === 'error')
      return reply(res, fault.status, { __type: fault.type, message: fault.message });

    const [status, answer] = answerFor(req, body);
    if (fault?.kind === 'truncated') {
      const text = JSON.stringify(answer);
      return replyText(res, 200, text.slice(0, -1));
    }
    if (fault?.kind === 'delay') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) reply(res, status, answer);
      }, fault.ms);
      timers.add(timer);
      return;
    }
    reply(res, status, answer);
  }

  function answerFor(req: IncomingMessage, body: string): [number, Record<string, unknown>] {
    if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
      return [400, { __type: 'UnknownOperationException', message: 'Only GetSecretValue is served' }];
    }
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') {
      return [400, { __type: 'SerializationException', message: 'Expected application/x-amz-json-1.1' }];
    }
    let secretId: unknown;
    try {
      secretId = (JSON.parse(body) as { SecretId?: unknown }).SecretId;
    } catch {
      return [400, { __type: 'SerializationException', message: 'The request body is not JSON' }];
    }
    const value = typeof secretId === 'string' ? secrets.get(secretId) : undefined;
    if (value === undefined) return [400, { __type: 'ResourceNotFoundException', message: NOT_FOUND }];
    return [
      200,
      {
        ARN: `arn:aws:secretsmanager:${region}:000000000000:secret:${secretId}-AbCdEf`,
        Name: secretId,
        ...(typeof value === 'string'
          ? { SecretString: value }
          : { SecretBinary: Buffer.from(value).toString('base64') }),
        VersionId: '00000000-0000-0000-0000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      },
    ];
  }

  /** AWS's error document for a request that is not signed by `credentials`, or undefined when it is. */
  async function checkSignature(
    req: IncomingMessage,
    body: string,
  ): Promise<Record<string, string> | undefined> {
    const header = req.headers.authorization;
    const incomplete = (message: string) => ({ __type: 'IncompleteSignatureException', message });
    const invalid = (message: string) => ({ __type: 'InvalidSignatureException', message });
    const unrecognized = {
      __type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
    if (header === undefined) return incomplete('Authorization header requires a SigV4 signature.');
    const match = AUTHORIZATION.exec(header);
    const amzDate = req.headers['x-amz-date'];
    if (match === null || typeof amzDate !== 'string' || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
      return incomplete('The request signature does not conform to AWS standards.');
    }
    const [, accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaderList = ''] = match;
    const signedHeaders = signedHeaderList.split(';');
    if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) {
      return incomplete('Signed headers must include host and x-amz-date.');
    }
    if (accessKeyId !== credentials.accessKeyId) return unrecognized;
    const token = req.headers['x-amz-security-token'];
    if (token !== credentials.sessionToken) return unrecognized;
    if (token !== undefined && !signedHeaders.includes('x-amz-security-token')) {
      return incomplete('x-amz-security-token must be signed.');
    }
    if (scopeDate !== amzDate.slice(0, 8) || scopeRegion !== region || scopeService !== SERVICE) {
      return invalid(`Credential should be scoped to ${amzDate.slice(0, 8)}/${region}/${SERVICE}.`);
    }
    const signingDate = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13)}`,
    );
    if (Math.abs(Date.now() - signingDate.getTime()) > MAX_SKEW_MS) return invalid('Signature expired.');
    const bodyHash = req.headers['x-amz-content-sha256'];
    if (bodyHash !== undefined && bodyHash !== createHash('sha256').update(body).digest('hex')) {
      return invalid('The provided x-amz-content-sha256 header does not match what was computed.');
    }

    // Re-sign exactly what arrived (the signed headers, the body) and compare.
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      const value = req.headers[name];
      if (value === undefined) return incomplete(`Signed header ${name} is missing.`);
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const received: HttpRequest = {
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: new URL(req.url ?? '/', 'http://127.0.0.1').pathname,
      query: {},
      headers,
      body,
    };
    // A client that did not sign the body hash must not get one added (the signer adds it by default).
    const applyChecksum = signedHeaders.includes('x-amz-content-sha256');
    const signer = new SignatureV4({ service: SERVICE, region, credentials, sha256: Sha256, applyChecksum });
    const expected = await signer.sign(received, { signingDate });
    if (expected.headers.authorization !== header) {
      return invalid(
        'The request signature we calculated does not match the signature you provided. ' +
          'Check your AWS Secret Access Key and signing method.',
      );
    }
    return undefined;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    region,
    credentials,
    set: (name, value) => void secrets.set(name, value),
    inject: (fault, times = 1) => {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    requests: () => requests,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  replyText(res, status, JSON.stringify(body));
}

function replyText(res: ServerResponse, status: number, text: string): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
  res.end(text);
}
