/**
 * A pack's bytes, read a window at a time: a pack is never read into memory
 * whole (git/git's is 500 MB). Many small windows are kept, the least
 * recently used let go. A walk of delta families (walk.ts) goes back and
 * forth: a family's objects lie near one another, but not next to each
 * other, and not next to the family after it. On a quarter of git/git's
 * objects (961,000 reads of an object or its header), windows of 64 KiB kept
 * 256 at a time read the pack 25,700 times and 1.7 GB in all; one read per
 * object would be 961,000 system calls, and 4 MiB windows 50 GB.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** A pack that ends inside an object. */
export class TruncatedPack extends Error {}

export class PackData {
  readonly size: number;
  private readonly fd: number;
  /** Windows by where they start (a multiple of `align`), least recently used first. */
  private readonly windows = new Map<number, Buffer>();
  private readonly align: number;
  private scratch: Buffer = Buffer.alloc(0);

  /** `window`: the bytes a window holds; `count`: how many are kept. */
  constructor(
    readonly path: string,
    private readonly window = 64 << 10,
    private readonly count = 256,
  ) {
    this.align = window / 4;
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  /** Bytes [start, end) of the pack, lent: valid until the next call. */
  bytes(start: number, end: number): Buffer {
    const { align, windows } = this;
    const first = start - (start % align);
    // The windows that could hold `start`: those starting up to three alignments before it.
    for (let at = first; at >= 0 && at > first - this.window; at -= align) {
      const w = windows.get(at);
      if (w === undefined || end > at + w.length) continue;
      windows.delete(at);
      windows.set(at, w);
      return w.subarray(start - at, end - at);
    }
    // An object larger than half a window is read on its own.
    if (end - start > this.window / 2) {
      if (this.scratch.length < end - start) this.scratch = Buffer.allocUnsafe(end - start);
      return this.fill(this.scratch.subarray(0, end - start), start);
    }
    let memory: Buffer | undefined;
    if (windows.size >= this.count) {
      const [oldest, buf] = windows.entries().next().value as [number, Buffer];
      windows.delete(oldest);
      memory = buf;
    }
    const length = Math.min(this.window, this.size - first);
    if (end > first + length) throw new TruncatedPack(`${this.path} ends at ${this.size}, inside an object`);
    // A window's buffer is reused once let go (its length is the window's, but at the pack's end).
    const buf = this.fill(memory && memory.length === length ? memory : Buffer.allocUnsafe(length), first);
    windows.set(first, buf);
    return buf.subarray(start - first, end - first);
  }

  close(): void {
    closeSync(this.fd);
  }

  private fill(buf: Buffer, start: number): Buffer {
    for (let got = 0; got < buf.length; ) {
      const n = readSync(this.fd, buf, got, buf.length - got, start + got);
      if (n === 0) throw new TruncatedPack(`${this.path} ends at ${start + got}, inside an object`);
      got += n;
    }
    return buf;
  }
}
