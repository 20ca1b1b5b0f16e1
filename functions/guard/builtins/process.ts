/**
 * `node:process` in the guard bundle: the module itself, from `process.getBuiltinModule`, with the names the
 * bundled code imports. See `lib/guard-bundling.ts` for why the bundle does not `import` built-ins.
 */
// The global `process` is the module: no need to ask for it.
export default process;
export const { env, versions } = process;
