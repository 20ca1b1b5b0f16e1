/**
 * The guard bundle's `@aws-sdk/endpoint-cache`: the DynamoDB client's endpoint-discovery cache, with the same
 * class, methods and behaviour (expiry, recency order, capacity) on a `Map` instead of the `mnemonist`
 * LRU cache and its `obliterator` helpers (~7 KiB of the bundle). The guard never enables endpoint
 * discovery, so in Lambda the cache stays empty: each DynamoDB request only asks `getEndpoint` and finds
 * nothing. See `lib/guard-bundling.ts`; the CLI keeps the SDK's module.
 */

/** An endpoint as `DescribeEndpoints` returns it. */
export interface Endpoint {
  Address: string;
  CachePeriodInMinutes: number;
}

/** An endpoint with the time (ms since the epoch) after which it is no longer used. */
export interface EndpointWithExpiry {
  Address: string;
  Expires: number;
}

/** Same export as `@aws-sdk/endpoint-cache`, which `@aws-sdk/middleware-endpoint-discovery` constructs. */
export class EndpointCache {
  /** Least recently used first: reading an entry (`get`) moves it to the end. */
  readonly #entries = new Map<string, EndpointWithExpiry[]>();
  readonly #capacity: number;

  /** @throws Error unless `capacity` is a positive number, like the SDK's cache. */
  constructor(capacity: number) {
    if (typeof capacity !== 'number' || !(capacity > 0)) {
      throw new Error(`EndpointCache capacity should be a positive number, got ${String(capacity)}`);
    }
    this.#capacity = capacity;
  }

  /** One of the unexpired addresses for `key`, chosen at random; `undefined` when there is none. */
  getEndpoint(key: string): string | undefined {
    const endpoints = this.get(key);
    if (!endpoints || endpoints.length === 0) return undefined;
    return endpoints[Math.floor(Math.random() * endpoints.length)]?.Address;
  }

  /** The unexpired endpoints for `key`; when all have expired the entry is emptied and `undefined` returned. */
  get(key: string): EndpointWithExpiry[] | undefined {
    if (!this.has(key)) return undefined;
    const value = this.#entries.get(key);
    if (!value) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    const now = Date.now();
    const unexpired = value.filter((endpoint) => now < endpoint.Expires);
    if (unexpired.length === 0) {
      this.delete(key);
      return undefined;
    }
    return unexpired;
  }

  set(key: string, endpoints: readonly Endpoint[]): void {
    const now = Date.now();
    const value = endpoints.map(({ Address, CachePeriodInMinutes }) => ({
      Address,
      Expires: now + CachePeriodInMinutes * 60 * 1000,
    }));
    if (this.#entries.has(key)) {
      this.#entries.delete(key);
    } else if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, value);
  }

  /** Empties the entry for `key` (it stays, without endpoints), as the SDK's cache does. */
  delete(key: string): void {
    this.set(key, []);
  }

  /** Whether `key` has endpoints, expired or not; does not count as a use. */
  has(key: string): boolean {
    return (this.#entries.get(key)?.length ?? 0) > 0;
  }

  clear(): void {
    this.#entries.clear();
  }
}
