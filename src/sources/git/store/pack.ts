/**
 * A pack of git objects read directly (issue 29's object-store reader): the
 * index (version 2: ids sorted, their offsets, 64-bit offsets for packs over
 * 2 GiB) and the pack (version 2: each object a type and size header, then
 * zlib data; a deltified one names its base by offset, OFS_DELTA, or by id,
 * REF_DELTA). SHA-1 and SHA-256 repositories alike: the index's length says
 * which. Its objects are rebuilt, each once, by walk.ts.
 *
 * Formats: git's gitformat-pack(5).
 */
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { countAtMost } from '../../../common/sorted.js';
import { applyDelta } from './delta.js';
import { PackData, TruncatedPack } from './pack-data.js';

export const OBJECT_TYPES = ['', 'commit', 'tree', 'blob', 'tag', '', 'ofs-delta', 'ref-delta'] as const;
const OFS_DELTA = 6;
const REF_DELTA = 7;

/** A pack's object as stored: its type once its deltas are applied, and its bytes. */
export interface PackedObject {
  type: 'commit' | 'tree' | 'blob' | 'tag';
  bytes: Buffer;
}

/** A damaged or unknown pack or index: named, never a silent pass. */
export class PackError extends Error {}

/** An object's header: its stored type (a whole object's, 1-4) or its base's offset, its size, and where its zlib data lies. */
export interface Header {
  type: number;
  base: number;
  size: number;
  dataAt: number;
  end: number;
}

export class PackFile {
  readonly count: number;
  readonly idLength: number;
  private readonly idx: Buffer;
  private readonly data: PackData;
  /** Where the id table, the offset table and the 64-bit offset table start in the index. */
  private readonly idsAt = 8 + 256 * 4;
  private readonly offsetsAt: number;
  private readonly bigOffsetsAt: number;
  /** Each object's offset, ascending (its ordinal is its place here): where one object's data ends is where the next begins. */
  private sorted: { ends: Float64Array; positions: Uint32Array } | null = null;

  /**
   * `idLength`: 20 for a SHA-1 repository, 32 for SHA-256 (its config's
   * objectformat); else told from the index. `windows`: how the pack is read
   * (pack-data.ts; tests make them small).
   */
  constructor(idxPath: string, packPath: string, idLength?: 20 | 32, windows?: { window: number; count: number }) {
    this.idx = readFileSync(idxPath);
    const { idx } = this;
    if (idx.length < this.idsAt || idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) throw new PackError(`${idxPath}: not a pack index of version 2`);
    this.data = new PackData(packPath, windows?.window, windows?.count);
    const head = Buffer.from(this.data.bytes(0, Math.min(12, this.data.size)));
    if (head.length < 12 || head.toString('latin1', 0, 4) !== 'PACK' || head.readUInt32BE(4) !== 2) throw new PackError(`${packPath}: not a pack of version 2`);
    this.count = idx.readUInt32BE(this.idsAt - 4);
    if (head.readUInt32BE(8) !== this.count) throw new PackError(`${packPath}: holds ${head.readUInt32BE(8)} objects, its index ${this.count}`);
    // ids, crc32s, offsets, 64-bit offsets, then two checksums of the id's length. Told from the index, the
    // length is the one whose 64-bit offset table holds as many entries as its offsets point into.
    const fixed = this.idsAt + this.count * (4 + 4);
    const fits = (n: number) => {
      const bigs = (idx.length - fixed - this.count * n - 2 * n) / 8;
      if (!Number.isInteger(bigs) || bigs < 0) return false;
      const offsets = this.idsAt + this.count * n + this.count * 4;
      let pointing = 0;
      for (let i = 0; i < this.count; i++) if (idx.readUInt32BE(offsets + i * 4) & 0x80000000) pointing++;
      return pointing === bigs;
    };
    this.idLength = idLength ?? (fits(20) ? 20 : fits(32) ? 32 : 0);
    if (this.idLength === 0 || !fits(this.idLength)) throw new PackError(`${idxPath}: its size fits ${idLength ? `no index of ${idLength}-byte ids` : 'neither SHA-1 nor SHA-256 ids'}`);
    this.offsetsAt = this.idsAt + this.count * this.idLength + this.count * 4;
    this.bigOffsetsAt = this.offsetsAt + this.count * 4;
  }

  /**
   * Each object's offset, ascending, then where the objects end (an
   * object's ordinal is its place here: where one object's data ends is
   * where the next begins); and for each ordinal, the object's place in the
   * index. Worked out when first needed: opening a pack to name it costs
   * nothing (git/git's 850,000 offsets take a while to sort).
   */
  private get order(): { ends: Float64Array; positions: Uint32Array } {
    if (this.sorted) return this.sorted;
    const n = this.count;
    const offsets = new Float64Array(n);
    for (let i = 0; i < n; i++) offsets[i] = this.offsetAt(i);
    // Sorted as numbers, natively: each offset with its index in the low bits while both fit a double's 53.
    const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
    let positions: Uint32Array;
    if (this.data.size * 2 ** bits < 2 ** 53) {
      const keyed = offsets.map((o, i) => o * 2 ** bits + i).sort();
      positions = Uint32Array.from(keyed, (k) => k % 2 ** bits);
    } else {
      positions = Uint32Array.from(Array.from({ length: n }, (_, i) => i).sort((a, b) => (offsets[a] as number) - (offsets[b] as number)));
    }
    const ends = new Float64Array(n + 1);
    positions.forEach((p, k) => (ends[k] = offsets[p] as number));
    ends[n] = this.data.size - this.idLength;
    if (n > 0 && ((ends[0] as number) < 12 || (ends[n - 1] as number) >= this.data.size - this.idLength)) throw new PackError(`${this.data.path}: its index's offsets point outside it`);
    return (this.sorted = { ends, positions });
  }

  /** The pack's own checksum, as its index records it: the same pack, the same checksum. */
  get checksum(): string {
    const at = this.idx.length - 2 * this.idLength;
    return this.idx.toString('hex', at, at + this.idLength);
  }

  /** Every object (each rebuilt on its own, from its chain), in the order the pack stores them. */
  *objects(): Iterable<PackedObject & { id: string; offset: number }> {
    for (let n = 0; n < this.count; n++) {
      const offset = this.order.ends[n] as number;
      yield { ...this.read(offset), id: this.idOf(n), offset };
    }
  }

  /** The offset of the object with this ordinal (its place in the pack's order); for `count`, where the last one ends. */
  offsetOfOrdinal(ordinal: number): number {
    return this.order.ends[ordinal] as number;
  }

  /** The id of the object with this ordinal (its place in the pack's order). */
  idOf(ordinal: number): string {
    return this.idAt(this.order.positions[ordinal] as number);
  }

  /** The object ids, in the index's (sorted) order, as hex. */
  *ids(): Iterable<string> {
    for (let i = 0; i < this.count; i++) yield this.idAt(i);
  }

  idAt(i: number): string {
    const at = this.idsAt + i * this.idLength;
    return this.idx.toString('hex', at, at + this.idLength);
  }

  /** The i-th object's offset in the pack (in the index's order). */
  offsetAt(i: number): number {
    const small = this.idx.readUInt32BE(this.offsetsAt + i * 4);
    if ((small & 0x80000000) === 0) return small;
    return Number(this.idx.readBigUInt64BE(this.bigOffsetsAt + (small & 0x7fffffff) * 8));
  }

  /** Where the object `id` (hex) is in the pack, or -1 when the pack does not hold it (binary search of the fan-out's range). */
  offsetOf(id: string): number {
    return this.offsetOfId(Buffer.from(id, 'hex'));
  }

  /** The object at `offset`, its deltas applied (its chain rebuilt from its whole object: walk.ts rebuilds a pack's objects each once). */
  read(offset: number): PackedObject {
    const head = this.header(offset);
    const data = this.inflate(head, offset);
    if (head.base === -1) return { type: OBJECT_TYPES[head.type] as PackedObject['type'], bytes: data };
    const base = this.read(head.base);
    try {
      return { type: base.type, bytes: applyDelta(base.bytes, data) };
    } catch (err) {
      throw new PackError(`the delta at ${offset} in ${this.data.path} does not apply: ${(err as Error).message}`);
    }
  }

  close(): void {
    this.data.close();
  }

  /** The ordinal of the object at `offset`. */
  ordinalOf(offset: number): number {
    const { ends } = this.order;
    const n = countAtMost(ends, offset) - 1;
    if (ends[n] !== offset) throw new PackError(`no object starts at ${offset} in ${this.data.path}`);
    return n;
  }

  private offsetOfId(key: Buffer): number {
    const first = key[0] as number;
    let lo = first === 0 ? 0 : this.idx.readUInt32BE(8 + (first - 1) * 4);
    let hi = this.idx.readUInt32BE(8 + first * 4);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const at = this.idsAt + mid * this.idLength;
      const c = this.idx.compare(key, 0, this.idLength, at, at + this.idLength);
      if (c === 0) return this.offsetAt(mid);
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /** The type of the object at `offset` once its deltas are applied, from the headers down its chain. */
  typeAt(offset: number): number {
    for (let at = offset, steps = 0; steps <= this.count; steps++) {
      const head = this.header(at);
      if (head.base === -1) return head.type;
      at = head.base;
    }
    throw new PackError(`the delta chain from ${offset} in ${this.data.path} loops`);
  }

  /** The header at `offset`: the stored type (a whole object's) or its base's offset, the size, and where the zlib data starts. */
  header(offset: number): Header {
    const { ends } = this.order;
    const end = ends[countAtMost(ends, offset)] ?? this.data.size;
    const raw = this.data.bytes(offset, Math.min(end, offset + 32 + this.idLength));
    let at = 0;
    let byte = raw[at++] as number;
    const type = (byte >> 4) & 7;
    let size = byte & 15;
    for (let shift = 4; byte & 0x80; shift += 7) {
      if (at >= raw.length) throw new PackError(`the header at ${offset} in ${this.data.path} does not end`);
      byte = raw[at++] as number;
      size += (byte & 0x7f) * 2 ** shift;
    }
    let base = -1;
    if (type === OFS_DELTA) {
      byte = raw[at++] as number;
      let back = byte & 0x7f;
      while (byte & 0x80) {
        byte = raw[at++] as number;
        back = (back + 1) * 128 + (byte & 0x7f);
      }
      base = offset - back;
      if (!(base >= 12 && base < offset)) throw new PackError(`the delta at ${offset} in ${this.data.path} names a base outside the pack`);
    } else if (type === REF_DELTA) {
      if (at + this.idLength > raw.length) throw new PackError(`the header at ${offset} in ${this.data.path} does not end`);
      const id = Buffer.from(raw.subarray(at, at + this.idLength));
      at += this.idLength;
      base = this.offsetOfId(id);
      if (base === -1) throw new PackError(`the base ${id.toString('hex')} of the object at ${offset} is not in this pack`);
    } else if (type < 1 || type > 4) {
      throw new PackError(`unknown object type ${type} at ${offset} in ${this.data.path}`);
    }
    return { type, base, size, dataAt: offset + at, end };
  }

  /** The object's zlib data inflated: `head.size` bytes, or PackError. */
  inflate(head: Header, offset: number): Buffer {
    let out: Buffer;
    try {
      // One chunk the object's size (no 16 KiB chunk allocated and copied out of for each small object), up to
      // 16 MiB: a header may claim any size, and what is allocated follows what really inflates.
      out = inflateSync(this.data.bytes(head.dataAt, head.end), { maxOutputLength: Math.max(1, head.size), chunkSize: Math.min(16 << 20, Math.max(64, head.size)) });
    } catch (err) {
      if (err instanceof TruncatedPack) throw new PackError(err.message);
      throw new PackError(`the object at ${offset} does not inflate: ${(err as Error).message}`);
    }
    if (out.length !== head.size) throw new PackError(`the object at ${offset} inflates to ${out.length} bytes, its header says ${head.size}`);
    return out;
  }
}
