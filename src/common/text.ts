/**
 * Words and numbers as people read them, for everything that prints: counts
 * with their nouns, sizes, durations, text from scanned content made safe for
 * a terminal, paths quoted as git quotes them, words wrapped to a width, a
 * word quoted for a shell. A leaf: it imports nothing, so any layer may use it.
 */

export function plural(n: number, word: string, many = `${word}s`): string {
  return n === 1 ? word : many;
}

/** `29,469`. (Not toLocaleString: its first call loads ICU's locale data, a cost every hook run would pay.) */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : String(n);
}

/** `1 key`, `29,469 objects`: a number as people read it, with its noun. */
export function count(n: number, word: string, many?: string): string {
  return `${formatNumber(n)} ${plural(n, word, many)}`;
}

/** `512 B`, `78.3 KiB`, `1.2 GiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** `0.07 s`, `39.0 s`, `2 min 05 s`: a duration as people read it. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return s < 7200 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, '0')} min`;
}

const SIMPLE_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\v': '\\v', '\f': '\\f', '\r': '\\r' };
/**
 * What a terminal must not be handed raw: C0 and C1 control characters (ESC
 * starts a colour or cursor sequence), DEL, the Unicode bidirectional controls
 * (which reorder what is shown), and lone surrogates (bytes of a name that are
 * not UTF-8, see common/names.ts).
 */
// eslint-disable-next-line no-control-regex -- these are exactly the characters to escape
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(ch: string): string {
  const simple = SIMPLE_ESCAPES[ch];
  if (simple) return simple;
  const code = ch.charCodeAt(0);
  // A lone surrogate from a name stands for one byte (U+DC80 + byte - 0x80): shown as that byte, in octal as git does.
  if (code >= 0xdc80 && code <= 0xdcff) return `\\${(code - 0xdc00).toString(8).padStart(3, '0')}`;
  if (code < 0x100) return `\\${code.toString(8).padStart(3, '0')}`;
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text from scanned content (a warning, an author, a ref), safe to print: anything unprintable escaped. */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, escapeChar);
}

/**
 * A path as git shows one: as it is when it is plain, else in double quotes
 * with C-style escapes (`"a\nb.env"`, `"x\377.env"`), so that it can be
 * copied back into a shell and never drives the terminal.
 */
export function quotePath(path: string): string {
  UNPRINTABLE.lastIndex = 0;
  if (!UNPRINTABLE.test(path) && !/["\\]/.test(path)) return path;
  return `"${path.replace(/["\\]/g, (c) => `\\${c}`).replace(UNPRINTABLE, escapeChar)}"`;
}

/** A number's unit, which a line never starts with: `0.02 s`, `826.1 KiB` and `2 min 05 s` stay whole. */
const UNIT = /^(ms|s|min|h|B|KiB|MiB|GiB|TiB)\b/;

/** Word-wrap to `width` columns: the first line indented by `first`, the rest by `rest`. A word longer than a line is never broken, nor a number from its unit. */
export function wrap(text: string, width: number, first: number, rest = first): string[] {
  const words: string[] = [];
  for (const word of text.split(' ')) {
    if (UNIT.test(word) && /\d$/.test(words[words.length - 1] ?? '')) words[words.length - 1] += ` ${word}`;
    else words.push(word);
  }
  const lines: string[] = [];
  let line = ' '.repeat(first);
  for (const word of words) {
    const fresh = line.trim() === '';
    if (!fresh && line.length + 1 + word.length > width) {
      lines.push(line);
      line = ' '.repeat(rest) + word;
    } else {
      line += fresh ? word : ` ${word}`;
    }
  }
  lines.push(line);
  return lines;
}

/** A word as a POSIX shell reads it back, for commands a message suggests: `'my repo'`. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${printable(s).replace(/'/g, "'\\''")}'`;
}
