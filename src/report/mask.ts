/** Masking: the pipeline step that turns a full secret into what a report may show. */
import { sha256 } from '../detect/engine.js';
import type { SecretInfo } from './model.js';

/** Shorter bodies show no tail at all: four characters of a short secret are too much of it. */
const MIN_BODY_FOR_TAIL = 12;

/** The last 4 characters, which the dashboard's key list shows too; empty for a short body. */
export function tail(secret: string, prefixLength: number): string {
  const body = secret.slice(prefixLength);
  return body.length >= MIN_BODY_FOR_TAIL ? body.slice(-4) : '';
}

export function redact(secret: string, prefixLength: number): string {
  return `${secret.slice(0, prefixLength)}…${tail(secret, prefixLength)}`;
}

export function secretInfo(
  secret: string,
  prefixLength: number,
  kind: string,
  environment: string | null,
  showSecrets: boolean,
  hash = sha256(secret),
): SecretInfo {
  const info: SecretInfo = { redacted: redact(secret, prefixLength), sha256: hash, kind, environment };
  if (showSecrets) info.value = secret;
  return info;
}
