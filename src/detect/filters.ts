/**
 * Filters that tell a real secret from key-shaped text in docs and examples.
 * They look only at the secret's body (the part after a `sk_live_`-style prefix).
 */

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * Words that documentation puts where a key belongs. Long words (5+ letters)
 * are rejected wherever they appear: a random base62 body contains one by chance
 * about once in a million. Short words only count when the body is made of such words.
 */
const LONG_WORDS = [
  'example', 'sample', 'placeholder', 'replace', 'changeme', 'dummy', 'redacted', 'insert',
  'yourkey', 'secretkey', 'apikey', 'notreal', 'fakekey', 'testkey', 'mykey', 'xxxxx',
];
const SHORT_WORDS = [
  'your', 'my', 'the', 'api', 'key', 'keys', 'here', 'secret', 'token', 'live', 'test', 'prod', 'dev',
  'staging', 'fake', 'foo', 'bar', 'baz', 'todo', 'fixme', 'abc', 'xyz', 'me', 'value', 'goes',
  'put', 'paste', 'new', 'old', 'sk', 'webhook', 'chatbot', 'platform', 'null', 'none', 'empty',
  'string', 'default', 'invalid', 'valid', 'some', 'random', 'real', 'not',
  ...LONG_WORDS,
].sort((a, b) => b.length - a.length);

const ORDER = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Why a body is a placeholder, or null when it looks like a real secret. */
export function placeholderReason(body: string): string | null {
  if (/\$\{|\{\{|\$\(|<[^>]*>|%[sd]|\[\[/.test(body)) return 'templated';
  const lower = body.toLowerCase();
  if (/(.)\1{5,}/.test(lower)) return 'repeated';
  if (hasShortPeriod(lower)) return 'repeated';
  if (isSequential(lower) || hasCountingRun(lower)) return 'sequential';
  for (const w of LONG_WORDS) if (lower.includes(w)) return 'placeholder-word';
  if (madeOfWords(lower)) return 'placeholder-word';
  return null;
}

/** `abc123abc123…`: the body repeats a unit of at most half its length. */
function hasShortPeriod(s: string): boolean {
  for (let p = 1; p <= s.length / 2; p++) {
    let ok = true;
    for (let i = p; i < s.length; i++) {
      if (s[i] !== s[i - p]) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

/** `0123456789abcdef…`, `abcdefghij…`, `zyxw…`: most neighbours are one step apart. */
function isSequential(s: string): boolean {
  let steps = 0;
  let pairs = 0;
  for (let i = 1; i < s.length; i++) {
    const a = ORDER.indexOf(s[i - 1] ?? '');
    const b = ORDER.indexOf(s[i] ?? '');
    if (a < 0 || b < 0) continue;
    pairs++;
    if (Math.abs(a - b) === 1) steps++;
  }
  return pairs > 0 && steps / pairs >= 0.6;
}

/** A counting run at least this long marks a made-up body wherever it sits. */
const COUNTING_RUN = 8;

/**
 * `envkey1234567890`, `51QrtvMAbc1234567890`, `…stuvwxyz`: somewhere a run of
 * eight or more characters counts up or down (digits, or letters; 9 to 0 wraps
 * as people type it). A word before the run dilutes the whole-body check
 * above, and a random base62 body holds such a run about once in 10^12.
 */
function hasCountingRun(s: string): boolean {
  let run = 1;
  let direction = 0;
  for (let i = 1; i < s.length; i++) {
    const step = countingStep(s.charCodeAt(i - 1), s.charCodeAt(i));
    if (step !== 0 && (step === direction || run === 1)) {
      direction = step;
      if (++run >= COUNTING_RUN) return true;
    } else {
      run = step === 0 ? 1 : 2;
      direction = step;
    }
  }
  return false;
}

/** +1 or -1 when `b` follows `a` in counting order (same class: digits, or lower-case letters), else 0. */
function countingStep(a: number, b: number): number {
  const digit = (c: number) => c >= 48 && c <= 57;
  const letter = (c: number) => c >= 97 && c <= 122;
  if (digit(a) && digit(b)) return b - a === 1 || (a === 57 && b === 48) ? 1 : a - b === 1 || (a === 48 && b === 57) ? -1 : 0;
  if (letter(a) && letter(b)) return b - a === 1 ? 1 : a - b === 1 ? -1 : 0;
  return 0;
}

/** `your_api_key_here`, `REPLACEME`, `xxxx_your_key`: nothing left once the words are gone. */
function madeOfWords(s: string): boolean {
  let rest = s.replace(/[^a-z0-9]+/g, ' ');
  for (const w of SHORT_WORDS) rest = rest.split(w).join(' ');
  rest = rest.replace(/\s+/g, '').replace(/\d+/g, (d) => (d.length <= 3 ? '' : d));
  return rest.length < 4;
}
