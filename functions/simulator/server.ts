/**
 * The built-in Runway simulator: a real HTTP server that speaks Runway's two organization endpoints the way
 * @runwayml/sdk 4.20.1 calls them, so the real SDK (and the guard) talk to it over HTTP.
 *
 * - `GET /v1/organization` → `{ creditBalance, tier: { maxMonthlyCreditSpend, models }, usage: { models } }`.
 * - `POST /v1/organization/usage` with JSON `{ startDate?, beforeDate? }` → `{ models, results }`. `startDate`
 *   defaults to today − 30 days and `beforeDate` (exclusive) to `startDate` + 30; a window over 90 days, a
 *   malformed date or an empty window is a 400. Only days with usage appear; `models` lists models with usage.
 * - Every request needs `Authorization: Bearer <key>` of a known organization (else 401) and an
 *   `X-Runway-Version` header (else 400). Errors are `{"error": "<text>"}` as Runway sends them.
 *
 * Faults (`setFault`/`addFault`) are applied before authentication, to every matching request, until their
 * `times` run out. Nothing is logged unless a `log` callback is given; keys are never logged in full.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from '../adapters/sleep.ts';
import { addDays, daysBetween, isIsoDate, utcDate } from '../domain/dates.ts';
import {
  fromState,
  type OrganizationState,
  organizationBody,
  type SimulatedModelLimits,
  type SimulatedOrganization,
  toState,
  usageBody,
} from './organization.ts';

export type SimulatorEndpoint = 'organization' | 'usage';

/** Which requests a fault hits and for how long. */
export interface FaultTarget {
  /** Default `any`. */
  readonly endpoint?: SimulatorEndpoint | 'any';
  /** Only requests with this key; default every key (known or not). */
  readonly apiKey?: string;
  /** Clears itself after hitting this many requests; default never. */
  readonly times?: number;
}

export type SimulatorFault = FaultTarget &
  (
    | {
        /** Answer with this status. `body` defaults to `{"error": "<standard text>"}`. */
        readonly kind: 'status';
        readonly status: number;
        readonly body?: unknown;
        readonly headers?: Readonly<Record<string, string>>;
      }
    /** Accept the request and never answer. */
    | { readonly kind: 'hang' }
    /** Destroy the socket without answering. */
    | { readonly kind: 'drop' }
    /** 200 with `content-type: application/json` and a truncated JSON document. */
    | { readonly kind: 'malformedJson' }
    /** 200 with this JSON body instead of the organization's data (schema-invalid data, odd shapes). */
    | { readonly kind: 'body'; readonly body: unknown }
    /** Wait this long, then answer normally. */
    | { readonly kind: 'delay'; readonly ms: number }
  );

export interface RunwaySimulatorOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  /** Default `127.0.0.1` (loopback only). */
  readonly host?: string;
  /** The simulator's clock; it decides "today" for the usage defaults. Default: the real clock. */
  readonly now?: () => Date;
  readonly organizations?: readonly SimulatedOrganization[];
  /** Added to every answer, to imitate network latency. Default 0. */
  readonly latencyMs?: number;
  /** Receives one line per request. Default: nothing is logged. */
  readonly log?: (line: string) => void;
}

export interface RequestCounts {
  organization: number;
  usage: number;
}

export interface RunwaySimulator {
  /** Base URL for the SDK (`baseURL`, or `RUNWAYML_BASE_URL`), e.g. `http://127.0.0.1:51234`. */
  readonly url: string;
  readonly port: number;
  /** Stops the server and drops open connections (including hanging requests). */
  close(): Promise<void>;
  /** Requests received with this key (every request, including failed and faulted ones). */
  requests(apiKey: string): RequestCounts;
  /** Requests received with any key. */
  totalRequests(): RequestCounts;
  resetRequests(): void;
  /** Replaces every fault with this one; `undefined` clears them all. */
  setFault(fault: SimulatorFault | undefined): void;
  /** Adds a fault after the existing ones; the first fault that matches a request applies. */
  addFault(fault: SimulatorFault): void;
  /** Adds an organization, or replaces the one with the same key. */
  addOrganization(org: SimulatedOrganization): void;
  /** Removes an organization: its key then gets 401, like a revoked key. */
  removeOrganization(apiKey: string): void;
  /** A copy of an organization's current state. */
  getOrganization(apiKey: string): SimulatedOrganization | undefined;
  setCreditBalance(apiKey: string, credits: number): void;
  setTierCap(apiKey: string, maxMonthlyCreditSpend: number): void;
  /** Sets a model's tier limits; `undefined` removes the model from the tier. */
  setModelLimits(apiKey: string, model: string, limits: SimulatedModelLimits | undefined): void;
  /** Sets `usage.models[model].dailyGenerations`; `undefined` removes the model from the usage list. */
  setDailyGenerations(apiKey: string, model: string, generations: number | undefined): void;
  /** Adds net credits to a day's usage of a model (negative for a refund). */
  addUsage(apiKey: string, date: string, model: string, amount: number): void;
  /** Replaces a day's net credits of a model, as Runway does when it restates a day. */
  restateUsage(apiKey: string, date: string, model: string, amount: number): void;
}

const MAX_WINDOW_DAYS = 90;
const DEFAULT_WINDOW_DAYS = 30;
const MAX_BODY_BYTES = 64 * 1024;

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad request.',
  401: 'The API key provided is not valid.',
  403: 'This API key does not have access to this resource.',
  404: 'Not found.',
  405: 'Method not allowed.',
  429: 'You have exceeded the rate limit. Please try again later.',
  500: 'An internal error occurred.',
  502: 'Bad gateway.',
  503: 'The service is temporarily unavailable. Please try again.',
  504: 'The service is overloaded. Please try again.',
};

interface ActiveFault {
  fault: SimulatorFault;
  remaining: number;
}

/**
 * Starts the simulator on `host:port` and resolves once it listens.
 * @throws Error when two organizations share a key, or the port cannot be bound.
 */
export async function startRunwaySimulator(options: RunwaySimulatorOptions = {}): Promise<RunwaySimulator> {
  const now = options.now ?? (() => new Date());
  const log = options.log;
  const latencyMs = options.latencyMs ?? 0;
  const orgs = new Map<string, OrganizationState>();
  for (const org of options.organizations ?? []) {
    if (orgs.has(org.apiKey))
      throw new Error(`Two simulated organizations share the key ending ${tail(org.apiKey)}`);
    orgs.set(org.apiKey, toState(org));
  }
  const counts = new Map<string, RequestCounts>();
  let faults: ActiveFault[] = [];

  function count(apiKey: string, endpoint: SimulatorEndpoint): void {
    const entry = counts.get(apiKey) ?? { organization: 0, usage: 0 };
    entry[endpoint] += 1;
    counts.set(apiKey, entry);
  }

  function takeFault(apiKey: string, endpoint: SimulatorEndpoint): SimulatorFault | undefined {
    const active = faults.find(
      ({ fault }) =>
        (fault.endpoint === undefined || fault.endpoint === 'any' || fault.endpoint === endpoint) &&
        (fault.apiKey === undefined || fault.apiKey === apiKey),
    );
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) faults = faults.filter((f) => f !== active);
    return active.fault;
  }

  function stateOf(apiKey: string): OrganizationState {
    const state = orgs.get(apiKey);
    if (!state) throw new Error(`No simulated organization has the key ending ${tail(apiKey)}`);
    return state;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]?.replace(/\/+$/, '') ?? '';
    const method = req.method ?? 'GET';
    const apiKey = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const respond = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void => {
      log?.(`${method} ${path} ${status} key …${tail(apiKey)}`);
      send(res, status, body, headers);
    };

    const endpoint: SimulatorEndpoint | undefined =
      path === '/v1/organization' ? 'organization' : path === '/v1/organization/usage' ? 'usage' : undefined;
    if (!endpoint) return respond(404, { error: STATUS_TEXT[404] });
    count(apiKey, endpoint);

    if (latencyMs > 0) await sleep(latencyMs);
    const fault = takeFault(apiKey, endpoint);
    if (fault) {
      switch (fault.kind) {
        case 'hang':
          log?.(`${method} ${path} hangs key …${tail(apiKey)}`);
          return;
        case 'drop':
          log?.(`${method} ${path} dropped key …${tail(apiKey)}`);
          req.socket.destroy();
          return;
        case 'malformedJson':
          log?.(`${method} ${path} 200 (malformed JSON) key …${tail(apiKey)}`);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"creditBalance": 12, "tier": {"maxMonthlyCreditSpend": ');
          return;
        case 'status':
          return respond(
            fault.status,
            fault.body ?? { error: STATUS_TEXT[fault.status] ?? 'Error.' },
            fault.headers,
          );
        case 'body':
          return respond(200, fault.body);
        case 'delay':
          await sleep(fault.ms);
          break;
      }
    }

    const expectedMethod = endpoint === 'organization' ? 'GET' : 'POST';
    if (method !== expectedMethod) return respond(405, { error: STATUS_TEXT[405] });
    if (!req.headers['x-runway-version']) {
      return respond(400, { error: 'The X-Runway-Version header is required.' });
    }
    const state = orgs.get(apiKey);
    if (!state) return respond(401, { error: STATUS_TEXT[401] });

    if (endpoint === 'organization') return respond(200, organizationBody(state));

    let body: unknown;
    try {
      const text = await readBody(req);
      body = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return respond(400, { error: 'The request body must be JSON.' });
    }
    const window = usageWindow(body, utcDate(now()));
    if ('error' in window) return respond(400, { error: window.error });
    return respond(200, usageBody(state, window.startDate, window.beforeDate));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log?.(`simulator error: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) send(res, 500, { error: STATUS_TEXT[500] });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
    requests: (apiKey) => ({ ...(counts.get(apiKey) ?? { organization: 0, usage: 0 }) }),
    totalRequests: () => {
      const total = { organization: 0, usage: 0 };
      for (const c of counts.values()) {
        total.organization += c.organization;
        total.usage += c.usage;
      }
      return total;
    },
    resetRequests: () => counts.clear(),
    setFault: (fault) => {
      faults = fault ? [activate(fault)] : [];
    },
    addFault: (fault) => {
      faults.push(activate(fault));
    },
    addOrganization: (org) => {
      orgs.set(org.apiKey, toState(org));
    },
    removeOrganization: (apiKey) => {
      orgs.delete(apiKey);
    },
    getOrganization: (apiKey) => {
      const state = orgs.get(apiKey);
      return state ? fromState(state) : undefined;
    },
    setCreditBalance: (apiKey, credits) => {
      stateOf(apiKey).creditBalance = credits;
    },
    setTierCap: (apiKey, maxMonthlyCreditSpend) => {
      stateOf(apiKey).maxMonthlyCreditSpend = maxMonthlyCreditSpend;
    },
    setModelLimits: (apiKey, model, limits) => {
      const tier = stateOf(apiKey).tierModels;
      if (limits) tier.set(model, { ...limits });
      else tier.delete(model);
    },
    setDailyGenerations: (apiKey, model, generations) => {
      const usage = stateOf(apiKey).dailyGenerations;
      if (generations === undefined) usage.delete(model);
      else usage.set(model, generations);
    },
    addUsage: (apiKey, date, model, amount) => {
      const day = usageDay(stateOf(apiKey), date);
      day.set(model, (day.get(model) ?? 0) + amount);
    },
    restateUsage: (apiKey, date, model, amount) => {
      usageDay(stateOf(apiKey), date).set(model, amount);
    },
  };
}

function activate(fault: SimulatorFault): ActiveFault {
  if (fault.times !== undefined && !(fault.times >= 1))
    throw new RangeError('a fault needs times ≥ 1 (or none)');
  return { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY };
}

function usageDay(state: OrganizationState, date: string): Map<string, number> {
  if (!isIsoDate(date)) throw new RangeError(`${JSON.stringify(date)} is not a YYYY-MM-DD date`);
  const day = state.usage.get(date) ?? new Map<string, number>();
  state.usage.set(date, day);
  return day;
}

/** Runway's rules for the usage window, with its defaults. */
function usageWindow(
  body: unknown,
  today: string,
): { startDate: string; beforeDate: string } | { error: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { error: 'The request body must be a JSON object.' };
  }
  const { startDate, beforeDate } = body as { startDate?: unknown; beforeDate?: unknown };
  for (const [name, value] of [
    ['startDate', startDate],
    ['beforeDate', beforeDate],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || !isIsoDate(value))) {
      return { error: `${name} must be a date in YYYY-MM-DD format.` };
    }
  }
  const start = (startDate as string | undefined) ?? addDays(today, -DEFAULT_WINDOW_DAYS);
  const before = (beforeDate as string | undefined) ?? addDays(start, DEFAULT_WINDOW_DAYS);
  const days = daysBetween(start, before);
  if (days <= 0) return { error: 'beforeDate must be after startDate.' };
  if (days > MAX_WINDOW_DAYS) return { error: `The date range cannot exceed ${MAX_WINDOW_DAYS} days.` };
  return { startDate: start, beforeDate: before };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The last four characters of a key: enough to tell keys apart in a log line. */
function tail(apiKey: string): string {
  return apiKey.length > 8 ? apiKey.slice(-4) : '';
}
