/**
 * `node:os` in the guard bundle: the module itself, from `process.getBuiltinModule`, with the names the
 * bundled code imports. See `lib/guard-bundling.ts` for why the bundle does not `import` built-ins.
 */
const os = process.getBuiltinModule('node:os');
export default os;
export const { homedir, platform, release } = os;
