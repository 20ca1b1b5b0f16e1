/**
 * The guard bundle's `@smithy/node-http-handler`. Every AWS client the guard builds is given a
 * `FetchHttpHandler` (`functions/adapters/aws-http.ts`); the SDK's Node runtime config still names
 * `NodeHttpHandler` as its default, and this module makes that default the same fetch handler. The bundle then
 * carries one HTTP stack, the `fetch` the Runway SDK uses anyway, and never loads `node:https`.
 * See `lib/guard-bundling.ts`.
 */

export { streamCollector } from '@smithy/core/serde';
export { FetchHttpHandler as NodeHttpHandler } from '@smithy/fetch-http-handler';
