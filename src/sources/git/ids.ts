/**
 * Object ids kept as sorted fixed-width records rather than as strings: 20
 * bytes each (32 in a SHA-256 repository) instead of ~60 for a string and its
 * slot in a Set or Map, which is what lets a history of any length be held
 * (the scan cache, the commit graph). A lookup is a binary search over each
 * record's first four bytes, as numbers, and compares whole ids only among
 * the few that share them.
 */
/** A SHA-1 id's bytes. */
export const ID_BYTES = 20;

export class ObjectIds {
  private readonly prefixes: Uint32Array;

  /** `records`: ids of `width` bytes in ascending byte order. */
  constructor(
    readonly records: Buffer,
    readonly width = ID_BYTES,
  ) {
    this.prefixes = new Uint32Array(records.length / width);
    for (let i = 0; i < this.prefixes.length; i++) this.prefixes[i] = records.readUInt32BE(i * width);
  }

  /** The ids in `records` (`width` bytes each, any order), sorted. */
  static sort(records: Buffer, width = ID_BYTES): ObjectIds {
    return new ObjectIds(sortedRecords(records, width), width);
  }

  get size(): number {
    return this.prefixes.length;
  }

  /** Where the id spelled `oid` (lower-case hex) sits, or -1. */
  indexOf(oid: string): number {
    const w = this.width;
    if (oid.length !== w * 2) return -1;
    const prefix = parseInt(oid.slice(0, 8), 16);
    for (let i = this.first(prefix); i < this.size && this.prefixes[i] === prefix; i++) {
      if (this.records.toString('hex', i * w, (i + 1) * w) === oid) return i;
    }
    return -1;
  }

  /** Where the id at `at` in `buf` (a record of the same width) sits, or -1. */
  indexOfRecord(buf: Buffer, at: number): number {
    const w = this.width;
    const prefix = buf.readUInt32BE(at);
    for (let i = this.first(prefix); i < this.size && this.prefixes[i] === prefix; i++) {
      if (this.records.compare(buf, at, at + w, i * w, (i + 1) * w) === 0) return i;
    }
    return -1;
  }

  /** The first record whose prefix is at least `prefix`. */
  private first(prefix: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.prefixes[mid] as number) < prefix) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A sorted copy of `records` (`width` bytes each, any order); an id given twice is there twice, side by side. */
export function sortedRecords(records: Buffer, width = ID_BYTES): Buffer {
  const prefix = (i: number) => records.readUInt32BE(i * width);
  const order = new Uint32Array(records.length / width).map((_, i) => i);
  order.sort((a, b) => prefix(a) - prefix(b) || records.compare(records, b * width, (b + 1) * width, a * width, (a + 1) * width));
  const sorted = Buffer.allocUnsafe(records.length);
  order.forEach((from, to) => records.copy(sorted, to * width, from * width, (from + 1) * width));
  return sorted;
}

/** Hex ids (all of one width, set by the first: SHA-1 or SHA-256) gathered as records in a buffer that doubles as it fills. */
export class IdRecords {
  private buf = Buffer.allocUnsafe(ID_BYTES * 1024);
  private length = 0;
  width = ID_BYTES;

  add(hex: string): void {
    if (this.length === 0) this.width = hex.length >> 1;
    if (this.length + this.width > this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    this.length += this.buf.write(hex, this.length, this.width, 'hex');
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
