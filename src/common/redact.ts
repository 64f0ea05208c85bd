/**
 * What output may show of a secret. A key in a report is redacted: its
 * public prefix and its last four characters (`redact`). Messages (warnings,
 * errors) may quote what they are about: a path, a value in a config file, a
 * rule's example; none of them may carry a key out in full, so anything
 * key-shaped in one is masked (`maskSecrets`): a Chatbot Platform key as a
 * report shows it, any other long random-looking token to its first four
 * characters. Commit ids and other hex stay.
 */

/** Shorter bodies show no tail at all: four characters of a short secret are too much of it. */
const MIN_BODY_FOR_TAIL = 12;

/** The last 4 characters, which the dashboard's key list shows too; empty for a short body. */
export function tail(secret: string, prefixLength: number): string {
  const body = secret.slice(prefixLength);
  return body.length >= MIN_BODY_FOR_TAIL ? body.slice(-4) : '';
}

/** A secret as a report shows it: `sk_live_…ab12`. */
export function redact(secret: string, prefixLength: number): string {
  return `${secret.slice(0, prefixLength)}…${tail(secret, prefixLength)}`;
}

const KEY = /sk_(?:live|test)_(?:[a-z][a-z0-9]{1,15}_)?[A-Za-z0-9]{8,}/g;
// No slash: a path is made of names, each judged on its own.
const TOKEN = /[A-Za-z0-9+_=-]{20,}/g;

export function maskSecrets(text: string): string {
  return maskKeys(text).replace(TOKEN, (token) => (looksRandom(token) ? `${token.slice(0, 4)}…` : token));
}

/**
 * Only what has a platform key's shape, masked: for names a report must keep
 * recognisable (paths, authors, refs, targets), where a random-looking file
 * name is a name, not a secret.
 */
export function maskKeys(text: string): string {
  return text.replace(KEY, (key) => redact(key, /^sk_[a-z]+_(?:[a-z][a-z0-9]{1,15}_)?/.exec(key)?.[0].length ?? 0));
}

/** Upper case, lower case and digits together, and not hex: how generated secrets look, and names rarely do. */
function looksRandom(token: string): boolean {
  if (/^[0-9a-f]+$/i.test(token)) return false;
  return /[A-Z]/.test(token) && /[a-z]/.test(token) && /[0-9]/.test(token);
}
