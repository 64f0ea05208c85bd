import { createHash } from 'node:crypto';

/** A key's identity after detection: the hex SHA-256 of the full secret, the same wherever the key is found. */
export function sha256(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
