/** Standard input as one item, reported at `--path NAME` (or with no path). */
import { OwnedBytes } from '../content/read.js';
import type { Source } from './types.js';

/** `maxBytes`: past this size the input is too large to scan, and no more of it is read. */
export function stdinSource(input: NodeJS.ReadableStream | Uint8Array, path: string | null, maxBytes = Infinity): Source {
  return {
    kind: 'stdin',
    root: '-',
    async *items() {
      const bytes = input instanceof Uint8Array ? Buffer.from(input.buffer, input.byteOffset, input.byteLength) : await readAll(input, maxBytes + 1);
      yield [{ origin: { path, commit: null }, bytes: new OwnedBytes(bytes) }];
    },
  };
}

/**
 * A stream read to its end, or until `limit` bytes: then reading stops (a
 * gigabyte piped in is not held in memory to be refused).
 */
export async function readAll(stream: NodeJS.ReadableStream, limit = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(buf);
    size += buf.length;
    if (size >= limit) break;
  }
  return Buffer.concat(chunks).subarray(0, Math.min(size, limit));
}
