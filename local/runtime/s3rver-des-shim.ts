/**
 * s3rver 3.7.1 makes ListObjectsV2's continuation token with `crypto.createCipheriv('des', …)`
 * (lib/controllers/bucket.js). Single DES lives in OpenSSL 3's legacy provider, which Node 20 and
 * 22 do not load, so every listing of more than 1,000 keys (or of MaxKeys fewer than there are)
 * answered 500 InternalError: ERR_OSSL_EVP_UNSUPPORTED.
 *
 * Three-key DES (EDE) with all three keys equal is single DES, and DES-EDE3-CBC is in the default
 * provider. This maps exactly the 'des' algorithm onto it with the key repeated three times: the
 * same bytes the legacy provider gives, nothing else changes. Installed once, in the process that
 * runs s3rver, only where 'des' is unsupported.
 */
import crypto from 'node:crypto';

const DES = 'des';
const DES_KEY_BYTES = 8;
let installed = false;

/** Whether this Node's OpenSSL can make a 'des' cipher without the shim. */
export function desSupported(): boolean {
  try {
    crypto.createCipheriv(DES, Buffer.alloc(DES_KEY_BYTES), Buffer.alloc(DES_KEY_BYTES));
    return true;
  } catch {
    return false;
  }
}

/** Makes `createCipheriv('des', …)` and `createDecipheriv('des', …)` work where OpenSSL 3 lacks single DES. Idempotent. */
export function installS3rverDesShim(): void {
  if (installed || desSupported()) return;
  installed = true;
  const { createCipheriv, createDecipheriv } = crypto;
  const tripled = (key: crypto.CipherKey): Buffer => {
    const bytes = typeof key === 'string' ? Buffer.from(key) : ArrayBuffer.isView(key) ? Buffer.from(key.buffer, key.byteOffset, key.byteLength) : key.export();
    if (bytes.length !== DES_KEY_BYTES) throw new RangeError(`a 'des' key is ${DES_KEY_BYTES} bytes, got ${bytes.length}`);
    return Buffer.concat([bytes, bytes, bytes]);
  };
  crypto.createCipheriv = ((algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, options?: never) =>
    algorithm === DES ? createCipheriv('des-ede3-cbc', tripled(key), iv) : createCipheriv(algorithm, key, iv, options)) as typeof crypto.createCipheriv;
  crypto.createDecipheriv = ((algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, options?: never) =>
    algorithm === DES ? createDecipheriv('des-ede3-cbc', tripled(key), iv) : createDecipheriv(algorithm, key, iv, options)) as typeof crypto.createDecipheriv;
}
