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

export function applyDelta(base: Buffer, delta: Buffer): Buffer {
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
  const baseSize = size();
  if (baseSize !== base.length) throw new DeltaError(`delta is for a base of ${baseSize} bytes, not ${base.length}`);
  const out = Buffer.allocUnsafe(size());
  let written = 0;
  while (at < delta.length) {
    const op = delta[at++] as number;
    if (op & 0x80) {
      let offset = 0;
      let length = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) offset += (delta[at++] as number) * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) length += (delta[at++] as number) * 2 ** (8 * i);
      if (length === 0) length = 0x10000;
      if (offset + length > base.length || written + length > out.length) throw new DeltaError('delta copies past its base or its result');
      base.copy(out, written, offset, offset + length);
      written += length;
    } else if (op !== 0) {
      if (at + op > delta.length || written + op > out.length) throw new DeltaError('delta inserts past its end or its result');
      delta.copy(out, written, at, at + op);
      at += op;
      written += op;
    } else {
      throw new DeltaError('delta holds the reserved instruction 0');
    }
  }
  if (written !== out.length) throw new DeltaError(`delta builds ${written} bytes, not the ${out.length} it names`);
  return out;
}
