/**
 * The line git's cat-file writes for an object: `<oid> <type> <size>` (the
 * header before each object of `--batch`, each line of the listing's
 * `--batch-check`), or `<name> missing` / `<name> ambiguous`. Read from bytes,
 * with the type one of a few constant strings and the size counted from its
 * digits: a history's listing and read parse one per object (express: 83,000),
 * and splitting decoded text cost four strings and an array each.
 */
const SPACE = 0x20;

export interface ObjectHeader {
  oid: string;
  /** `blob`, `tree`, `commit`, `tag`, `missing`, `ambiguous`, or what git wrote there otherwise. */
  type: string;
  /** 0 when the line has none (`missing`), NaN if it is not a number. */
  size: number;
}

const KNOWN = ['blob', 'tree', 'commit', 'tag', 'missing', 'ambiguous'].map((name) => ({ name, bytes: Buffer.from(name) }));

/** The type between `from` and `to`: a constant string for the known ones. */
function typeAt(data: Buffer, from: number, to: number): string {
  for (const { name, bytes } of KNOWN) {
    if (to - from === bytes.length && data[from] === bytes[0] && data.compare(bytes, 0, bytes.length, from, to) === 0) return name;
  }
  return data.toString('latin1', from, to);
}

function sizeAt(data: Buffer, from: number, to: number): number {
  let size = 0;
  for (let i = from; i < to; i++) {
    const digit = (data[i] as number) - 0x30;
    if (digit < 0 || digit > 9) return NaN;
    size = size * 10 + digit;
  }
  return size;
}

/**
 * The header on the line from `at` to the newline at `nl`; null if it has no
 * space at all, or (with `trees` false) if it is a tree's, which is then
 * passed over before its id is decoded: trees are the bulk of any listing.
 */
export function parseHeader(data: Buffer, at: number, nl: number, trees = true): ObjectHeader | null {
  const sp = data.indexOf(SPACE, at);
  if (sp === -1 || sp > nl) return null;
  let sp2 = data.indexOf(SPACE, sp + 1);
  if (sp2 === -1 || sp2 > nl) sp2 = nl;
  const type = typeAt(data, sp + 1, sp2);
  if (!trees && type === 'tree') return null;
  return { oid: data.toString('latin1', at, sp), type, size: sp2 < nl ? sizeAt(data, sp2 + 1, nl) : 0 };
}
