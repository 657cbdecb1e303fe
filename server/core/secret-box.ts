import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Encryption at rest for secrets Berth must read back (a webhook's HMAC secret and auth header; later,
 * replication credentials): AES-256-GCM with a random nonce per value, so stored values reveal nothing and a
 * tampered one fails to open. Secrets Berth only checks (passwords, robot secrets) are hashed instead.
 */
export class SecretBox {
  private static readonly version = 'v1';

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [SecretBox.version, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join(':');
  }

  open(stored: string): string {
    const [version, iv, tag, sealed] = stored.split(':');
    if (version !== SecretBox.version || !iv || !tag || sealed === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/**
 * The key from `keyFile` when configured, else `<dataDir>/keys/secret.key`, generated on first start (32 random
 * bytes in base64, readable by the owner only). Nodes that share a database must share this key.
 */
export function loadSecretBox(dataDir: string, keyFile: string): SecretBox {
  const file = keyFile || path.join(dataDir, 'keys', 'secret.key');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || keyFile) throw new Error(`cannot read the secret key ${file}: ${(err as Error).message}`);
    text = randomBytes(32).toString('base64');
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`the secret key ${file} must hold 32 bytes in base64`);
  return new SecretBox(key);
}
