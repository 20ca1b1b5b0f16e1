/**
 * `node:crypto` in the guard bundle: the module itself, from `process.getBuiltinModule`, with the names the
 * bundled code imports. See `lib/guard-bundling.ts` for why the bundle does not `import` built-ins.
 */
const crypto = process.getBuiltinModule('node:crypto');
export default crypto;
export const {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  getRandomValues,
  randomUUID,
  sign,
} = crypto;
