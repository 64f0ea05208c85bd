/**
 * Reading objects through `git cat-file --batch`: object ids in, `<oid> <type>
 * <size>\n<bytes>\n` out, streamed with bounded memory.
 *
 * A missing object is answered `<oid> missing` and skipped. A corrupt one makes
 * git exit; the reader reports that object and starts a new git process with
 * the ids after it, so one bad object never ends the scan.
 */
import { firstLine, readAhead, spawnGit } from './exec.js';

export interface GitObject {
  oid: string;
  type: string;
  bytes: Buffer;
}

export interface ObjectProblem {
  oid: string;
  reason: 'missing' | 'corrupt';
  message: string;
}

const NL = 0x0a;

/** Objects in the order of `oids`, a batch per chunk of git's output (one promise per chunk, not per object). */
export async function* readObjects(
  cwd: string,
  oids: readonly string[],
  onProblem: (p: ObjectProblem) => void,
): AsyncIterable<GitObject[]> {
  let next = 0;
  while (next < oids.length) {
    const start = next;
    // --buffer: no flush after every object, so the pipe carries large writes.
    const child = spawnGit(cwd, ['cat-file', '--batch', '--buffer']);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.on('error', () => {}); // git died early (a corrupt object): handled below
    void feed(child.stdin, oids, start);

    let partial: Buffer = Buffer.alloc(0); // an incomplete header line
    let body: { oid: string; type: string; bytes: Buffer; filled: number } | null = null;
    let skipNewline = false;
    for await (const chunks of readAhead(child.stdout)) {
      const batch: GitObject[] = [];
      for (const chunk of chunks) {
        const data = partial.length === 0 ? chunk : Buffer.concat([partial, chunk]);
        let at = 0;
        while (at < data.length) {
          if (skipNewline) {
            at++;
            skipNewline = false;
          } else if (body !== null) {
            // A large object arriving over several chunks fills one buffer of its size.
            const n = Math.min(body.bytes.length - body.filled, data.length - at);
            data.copy(body.bytes, body.filled, at, at + n);
            body.filled += n;
            at += n;
            if (body.filled === body.bytes.length) {
              batch.push({ oid: body.oid, type: body.type, bytes: body.bytes });
              body = null;
              skipNewline = true;
            }
          } else {
            const nl = data.indexOf(NL, at);
            if (nl === -1) break;
            const [oid = '', type = '', sizeText = ''] = data.toString('latin1', at, nl).split(' ');
            at = nl + 1;
            next++;
            if (type === 'missing' || type === 'ambiguous') {
              onProblem({ oid, reason: 'missing', message: `object ${oid} is ${type}` });
              continue;
            }
            const size = Number(sizeText);
            if (data.length - at >= size) {
              batch.push({ oid, type, bytes: data.subarray(at, at + size) });
              at += size;
              skipNewline = true;
            } else {
              body = { oid, type, bytes: Buffer.allocUnsafe(size), filled: 0 };
            }
          }
        }
        partial = at < data.length ? data.subarray(at) : Buffer.alloc(0);
      }
      if (batch.length > 0) yield batch;
    }
    const code = await exited;
    if (body !== null) {
      onProblem({ oid: body.oid, reason: 'corrupt', message: firstLine(stderr) || `git cat-file exited with code ${code}` });
    } else if (next < oids.length) {
      // git stopped before answering oids[next]: that object could not be read.
      onProblem({ oid: oids[next] ?? '', reason: 'corrupt', message: firstLine(stderr) || `git cat-file exited with code ${code}` });
      next++;
    }
  }
}

async function feed(stdin: NodeJS.WritableStream, oids: readonly string[], from: number): Promise<void> {
  const BATCH = 512;
  for (let i = from; i < oids.length; i += BATCH) {
    const ok = stdin.write(oids.slice(i, i + BATCH).join('\n') + '\n');
    if (!ok) {
      const drained = await new Promise<boolean>((resolve) => {
        stdin.once('drain', () => resolve(true));
        stdin.once('error', () => resolve(false));
        stdin.once('close', () => resolve(false));
      });
      if (!drained) return;
    }
  }
  stdin.end();
}

/**
 * The same, with the ids split into `parts` contiguous runs, each read by its
 * own git process: inflating objects is git's work, and one process uses one
 * core. Contiguous runs keep each process's delta-base cache useful, since the
 * ids come in pack order. Objects arrive in whatever order the processes
 * produce them.
 */
export async function* readObjectsParallel(
  cwd: string,
  oids: readonly string[],
  parts: number,
  onProblem: (p: ObjectProblem) => void,
): AsyncIterable<GitObject[]> {
  const n = Math.max(1, Math.min(parts, Math.ceil(oids.length / 256)));
  if (n === 1) {
    yield* readObjects(cwd, oids, onProblem);
    return;
  }
  const size = Math.ceil(oids.length / n);
  const iterators = Array.from({ length: n }, (_, i) => readObjects(cwd, oids.slice(i * size, (i + 1) * size), onProblem)[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<GitObject[]> }>>();
  const pull = (i: number) => pending.set(i, (iterators[i] as AsyncIterator<GitObject[]>).next().then((r) => ({ i, r })));
  iterators.forEach((_, i) => pull(i));
  while (pending.size > 0) {
    const { i, r } = await Promise.race(pending.values());
    if (r.done) {
      pending.delete(i);
      continue;
    }
    pull(i);
    yield r.value;
  }
}
