/**
 * Test helpers for anything that talks to Runway: one simulator per test file, started and stopped by vitest
 * hooks, and keys that never collide between tests (so request counts belong to one test).
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createRunwayClient } from '../../functions/adapters/runway-client.ts';
import type { OrganizationConfig } from '../../functions/config.ts';
import type { OrgTarget } from '../../functions/guard/cycle.ts';
import {
  type RunwaySimulator,
  type RunwaySimulatorOptions,
  startRunwaySimulator,
} from '../../functions/simulator/server.ts';

let keySequence = 0;

/** A key shaped like Runway's (`key_` + 128 hex characters), unique within the process. */
export function uniqueApiKey(label = 'test'): string {
  keySequence += 1;
  const prefix = `${Buffer.from(label).toString('hex')}${String(keySequence).padStart(6, '0')}`;
  return `key_${prefix.padEnd(128, '0').slice(0, 128)}`;
}

/**
 * Starts a simulator before the file's tests and closes it after them; faults are cleared after each test.
 * @returns a getter, valid inside tests and hooks.
 */
export function useRunwaySimulator(options: RunwaySimulatorOptions = {}): () => RunwaySimulator {
  let simulator: RunwaySimulator | undefined;
  beforeAll(async () => {
    simulator = await startRunwaySimulator(options);
  });
  afterEach(() => {
    simulator?.setFault(undefined);
  });
  afterAll(async () => {
    await simulator?.close();
  });
  return () => {
    if (!simulator) throw new Error('The Runway simulator is not running yet (use it inside a test or hook)');
    return simulator;
  };
}

/** A cycle target that reads `org` from the simulator at `baseURL` with `apiKey`, over the real SDK client. */
export function simulatorTarget(
  org: OrganizationConfig,
  apiKey: string,
  baseURL: string,
  keySource = 'the RUNWAYML_API_SECRET environment variable',
): OrgTarget {
  return {
    org,
    keySource,
    connect: async (signal) => createRunwayClient({ apiKey, baseURL, signal }),
  };
}
