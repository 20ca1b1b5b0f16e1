/**
 * `node:fs` in the guard bundle: the module itself, from `process.getBuiltinModule`, with the names the
 * bundled code imports. See `lib/guard-bundling.ts` for why the bundle does not `import` built-ins.
 */
const fs = process.getBuiltinModule('node:fs');
export default fs;
export const { createReadStream, fstatSync, lstatSync, promises, ReadStream, readFileSync } = fs;
