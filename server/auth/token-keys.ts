import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keyIdOf, type SigningKey } from './jwt.ts';

/**
 * The token signing key: read from `keyFile` when configured, else from `<dataDir>/keys/token-signing.pem`,
 * generated on first start (P-256, file readable by the owner only).
 */
export function loadSigningKey(dataDir: string, keyFile: string): SigningKey {
  const file = keyFile || path.join(dataDir, 'keys', 'token-signing.pem');
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || keyFile) throw new Error(`cannot read the token signing key ${file}: ${(err as Error).message}`);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  }
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`the token signing key ${file} must be an EC P-256 private key`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, kid: keyIdOf(publicKey) };
}
