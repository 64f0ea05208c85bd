/**
 * Messages (warnings, errors) may quote what they are about: a path, a value
 * in a config file, a rule's example. None of them may carry a key out in
 * full. This masks anything key-shaped in a message: a Chatbot Platform key
 * keeps its public prefix and last four characters, and any other long
 * random-looking token keeps its first four. Commit ids and other hex stay.
 */
import { redact } from './report/mask.js';

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
