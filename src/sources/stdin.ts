/** Standard input as one item, reported at `--path NAME` (or with no path). */
import { OwnedBytes } from './read.js';
import type { Source } from './types.js';

export function stdinSource(input: NodeJS.ReadableStream | Uint8Array, path: string | null): Source {
  return {
    kind: 'stdin',
    root: '-',
    async *items() {
      const bytes = input instanceof Uint8Array ? Buffer.from(input.buffer, input.byteOffset, input.byteLength) : await readAll(input);
      yield [{ origin: { path, commit: null }, bytes: new OwnedBytes(bytes) }];
    },
  };
}

/** A stream read to its end. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
