/**
 * The read buffers cat-file's output is read into (./objects.ts): a ring of
 * three reused in turn, and bytes lent from them that know when their buffer
 * was refilled under them.
 */
import { OwnedBytes } from '../../content/read.js';
import type { Bytes } from '../types.js';

/** One read's size: a megabyte. */
export const READ_BYTES = 1 << 20;

/**
 * One read buffer of a ring. Each refill advances its generation, and what it
 * lent before is no longer valid: `Lent.view()` checks.
 */
export class Slot {
  private readonly buf = Buffer.allocUnsafeSlow(READ_BYTES);
  private generation = 0;

  /** Refills the buffer (`read` says how many bytes it put there); what was lent from it before expires. */
  fill(read: (buf: Buffer) => number): Buffer {
    this.generation++;
    return this.buf.subarray(0, read(this.buf));
  }

  lend(start: number, end: number): Bytes {
    return new Lent(this, this.generation, start, end);
  }

  /** The bytes, if the buffer has not been refilled since they were lent. */
  bytes(generation: number, start: number, end: number): Buffer {
    if (generation !== this.generation) throw new Error('lent bytes read after their buffer was refilled: keep() them first');
    return this.buf.subarray(start, end);
  }
}

class Lent implements Bytes {
  constructor(
    private readonly slot: Slot,
    private readonly generation: number,
    private readonly start: number,
    private readonly end: number,
  ) {}

  get length(): number {
    return this.end - this.start;
  }

  view(): Buffer {
    return this.slot.bytes(this.generation, this.start, this.end);
  }

  keep(): Bytes {
    return new OwnedBytes(Buffer.from(this.view()));
  }

  subarray(start: number, end = this.length): Bytes {
    return new Lent(this.slot, this.generation, this.start + start, this.start + Math.min(end, this.length));
  }
}

/**
 * Read buffers, reused in turn: fresh memory costs a page fault per 4 KiB on
 * first touch, which on gVisor made allocating a buffer per read cost more than
 * the read itself. Three, because a batch must stay intact until its consumer
 * has taken two more (merge() advances a reader as soon as its batch is taken).
 * The ring turns only when a batch is lent: a read that finds nothing whole
 * (git caught up with) reuses its slot, or a reader polling while its consumer
 * awaits would come round to the batch the consumer still holds.
 */
export class Ring {
  private readonly slots = [new Slot(), new Slot(), new Slot()];
  private turn = 0;

  current(): Slot {
    return this.slots[this.turn % this.slots.length] as Slot;
  }

  /** Something was lent from the current slot: the next read goes into the next one. */
  advance(): void {
    this.turn++;
  }
}
