/**
 * `node:fs/promises` in the guard bundle: the module itself, from `process.getBuiltinModule`, with the names the
 * bundled code imports. See `lib/guard-bundling.ts` for why the bundle does not `import` built-ins.
 */
const fsPromises = process.getBuiltinModule('node:fs/promises');
export default fsPromises;
export const { readFile } = fsPromises;
