/**
 * A loose object (`objects/ab/cdef…`): zlib data of `<type> <size>\0` and the
 * object's bytes. Its header is checked against what follows; a file that
 * is not one is refused by name, never read as an object.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import type { PackedObject } from './pack.js';
import { PackError } from './pack.js';

const TYPES = new Set(['commit', 'tree', 'blob', 'tag']);

/** The object `id` (hex) in the object folder `objects`, or null when it is not there loose. */
export function readLoose(objects: string, id: string): PackedObject | null {
  let data: Buffer;
  try {
    data = readFileSync(join(objects, id.slice(0, 2), id.slice(2)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let raw: Buffer;
  try {
    raw = inflateSync(data);
  } catch (err) {
    throw new PackError(`the loose object ${id} does not inflate: ${(err as Error).message}`);
  }
  const nul = raw.indexOf(0);
  const [type = '', size = ''] = raw.toString('latin1', 0, nul === -1 ? Math.min(raw.length, 32) : nul).split(' ');
  if (nul === -1 || !TYPES.has(type) || !/^\d+$/.test(size) || Number(size) !== raw.length - nul - 1) throw new PackError(`the loose object ${id} has no valid header`);
  return { type: type as PackedObject['type'], bytes: raw.subarray(nul + 1) };
}
