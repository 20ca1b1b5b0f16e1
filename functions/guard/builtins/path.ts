/**
 * `node:path` in the guard bundle: the module itself, from `process.getBuiltinModule`, with the names the
 * bundled code imports. See `lib/guard-bundling.ts` for why the bundle does not `import` built-ins.
 */
const path = process.getBuiltinModule('node:path');
export default path;
export const { dirname, join, sep } = path;
