/**
 * `node:stream` in the guard bundle: the module itself, from `process.getBuiltinModule`, with the names the
 * bundled code imports. See `lib/guard-bundling.ts` for why the bundle does not `import` built-ins.
 */
const stream = process.getBuiltinModule('node:stream');
export default stream;
export const { PassThrough, Readable, Writable } = stream;
