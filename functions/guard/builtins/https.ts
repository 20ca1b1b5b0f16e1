/**
 * `node:https` in the guard bundle: the module itself, from `process.getBuiltinModule`, with the names the
 * bundled code imports. See `lib/guard-bundling.ts` for why the bundle does not `import` built-ins.
 */
const https = process.getBuiltinModule('node:https');
export default https;
export const { Agent, request } = https;
