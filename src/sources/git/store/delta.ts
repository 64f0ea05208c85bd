/**
 * git's delta format (gitformat-pack(5), "Deltified representation"): the
 * base's size and the result's, as little-endian base-128 numbers, then
 * instructions: a byte with its top bit set copies a range of the base (the
 * low four bits say which offset bytes follow, the next three which size
 * bytes; a size of 0 means 0x10000); a byte from 1 to 127 inserts that many
 * bytes that follow it; 0 is reserved. A delta that does not fit its base, or
 * does not build the size it names, is refused.
 */
export class DeltaError extends Error {}

/**
 * The result of applying `delta` to `base`. With `fresh`, the parts of the
 * result the delta makes new are added to it as [start, end) pairs: each
 * inserted run, and each seam where a copied range follows one that did not
 * end where it starts in the base (empty pairs: two copies can join into
 * bytes neither range held). Everything else in the result is a range of the
 * base, copied whole.
 */
export function applyDelta(base: Buffer, delta: Buffer, fresh?: number[]): Buffer {
  const head = deltaHeader(delta);
  if (head.base !== base.length) throw new DeltaError(`delta is for a base of ${head.base} bytes, not ${base.length}`);
  const out = Buffer.allocUnsafe(head.result);
  let at = head.length;
  let written = 0;
  /** Where the last copy ended in the base; -1 after an insert (whose own range covers the join). */
  let copiedTo = -1;
  while (at < delta.length) {
    const op = delta[at++] as number;
    if (op & 0x80) {
      let offset = 0;
      let length = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) offset += (delta[at++] as number) * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) length += (delta[at++] as number) * 2 ** (8 * i);
      if (length === 0) length = 0x10000;
      if (offset + length > base.length || written + length > out.length) throw new DeltaError('delta copies past its base or its result');
      copyInto(out, written, base, offset, length);
      if (fresh && copiedTo !== -1 && copiedTo !== offset) fresh.push(written, written);
      copiedTo = offset + length;
      written += length;
    } else if (op !== 0) {
      if (at + op > delta.length || written + op > out.length) throw new DeltaError('delta inserts past its end or its result');
      copyInto(out, written, delta, at, op);
      if (fresh) {
        // Inserts in a row (at most 127 bytes each) are one range.
        if (copiedTo === -1 && fresh.length > 0 && fresh[fresh.length - 1] === written) fresh[fresh.length - 1] = written + op;
        else fresh.push(written, written + op);
      }
      copiedTo = -1;
      at += op;
      written += op;
    } else {
      throw new DeltaError('delta holds the reserved instruction 0');
    }
  }
  if (written !== out.length) throw new DeltaError(`delta builds ${written} bytes, not the ${out.length} it names`);
  return out;
}

/** Below this, bytes are copied one by one: Buffer.copy's own cost is more than a short range's (most ranges a delta copies are short). */
const SHORT_COPY = 64;

function copyInto(out: Buffer, at: number, from: Buffer, start: number, length: number): void {
  if (length < SHORT_COPY) for (let i = 0; i < length; i++) out[at + i] = from[start + i] as number;
  else out.set(from.subarray(start, start + length), at);
}

/** A delta's two sizes (its base's, its result's) and how many bytes they take. */
export function deltaHeader(delta: Buffer): { base: number; result: number; length: number } {
  let at = 0;
  const size = (): number => {
    let n = 0;
    let shift = 0;
    let byte: number;
    do {
      if (at >= delta.length) throw new DeltaError('delta ends inside its header');
      byte = delta[at++] as number;
      n += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return n;
  };
  const base = size();
  const result = size();
  return { base, result, length: at };
}
