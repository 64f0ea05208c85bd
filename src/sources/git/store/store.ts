/**
 * A repository's object store read directly (issue 29): its packs, each
 * through its own index, and its loose objects. What it does not read (a
 * pack without its index, a partial clone's promisor packs, a damaged index)
 * it says at opening, and the scan reads the store through git instead.
 *
 * A multi-pack-index is not needed: git keeps each pack's own index beside
 * it. An object held twice (in two packs, or packed and loose) is given once.
 */
import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readLoose } from './loose.js';
import { Arena } from './arena.js';
import { PackError, PackFile, type PackedObject } from './pack.js';
import { walkPack } from './walk.js';

/** One object the store holds (trees are not given: nothing reads them). */
export interface StoreEntry {
  id: string;
  type: 'commit' | 'blob' | 'tag';
  /** Its number in this store (0 to `count`), for the caller's own tables. */
  key: number;
  /** The key of the object its delta applies to, or -1 for a whole object. */
  base: number;
  /** Its bytes, lent until the walk goes on. */
  bytes: Buffer;
  /** Where it is new: null for a whole object, else the ranges its delta inserted or joined. */
  fresh: number[] | null;
}


export type StoreOpening = { store: ObjectStore } | { unread: string };

const PACK_INDEX = /^pack-[0-9a-f]{40,64}\.idx$/;
const PACK = /^pack-[0-9a-f]+\.pack$/;

/** The store in the object folder `objects`, or why it is read through git instead. */
export function openStore(objects: string, idLength: 20 | 32): StoreOpening {
  let names: Dirent[];
  let packNames: string[];
  try {
    names = readdirSync(objects, { withFileTypes: true });
    packNames = names.some((e) => e.name === 'pack' && e.isDirectory()) ? readdirSync(join(objects, 'pack')) : [];
  } catch (err) {
    return { unread: `its object folder cannot be listed (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (packNames.some((n) => n.endsWith('.promisor'))) return { unread: "it is a partial clone: its promisor packs are read by git, which knows what they leave out" };
  const indexes = packNames.filter((n) => PACK_INDEX.test(n)).sort();
  const packs = new Set(packNames.filter((n) => PACK.test(n)));
  const unindexed = [...packs].find((p) => !indexes.includes(p.replace(/\.pack$/, '.idx')));
  if (unindexed !== undefined) return { unread: `the pack ${unindexed} has no index of its own` };
  const opened: PackFile[] = [];
  try {
    for (const idx of indexes) {
      const pack = idx.replace(/\.idx$/, '.pack');
      if (!packs.has(pack)) continue; // an index left behind by a repack: git ignores it too
      opened.push(new PackFile(join(objects, 'pack', idx), join(objects, 'pack', pack), idLength));
    }
  } catch (err) {
    for (const p of opened) p.close();
    if (err instanceof PackError || (err as NodeJS.ErrnoException).code !== undefined) return { unread: (err as Error).message };
    throw err;
  }
  const loose = looseObjects(objects).filter((id) => id.length === idLength * 2);
  return { store: new ObjectStore(objects, opened, loose) };
}

/** The ids of the loose objects in the object folder `objects` (SHA-1 or SHA-256: 40 or 64 hex digits). */
function looseObjects(objects: string): string[] {
  let dirs: string[];
  try {
    dirs = readdirSync(objects).filter((n) => /^[0-9a-f]{2}$/.test(n));
  } catch {
    return [];
  }
  return dirs.flatMap((dir) => {
    try {
      return readdirSync(join(objects, dir))
        .filter((f) => /^(?:[0-9a-f]{38}|[0-9a-f]{62})$/.test(f))
        .map((f) => dir + f);
    } catch {
      return [];
    }
  });
}

/**
 * What the object folder `objects` holds, as one hash of its packs' names
 * (git names a pack by its checksum) and its loose objects' ids: the same
 * store, the same fingerprint, whichever way it is read (the scan cache keeps
 * it, to tell whether anything changed).
 */
export function storeFingerprint(objects: string): string {
  const hash = createHash('sha256');
  let packs: string[] = [];
  try {
    packs = readdirSync(join(objects, 'pack')).filter((n) => PACK.test(n));
  } catch {
    // No pack folder: loose objects only.
  }
  for (const p of packs.sort()) hash.update(`${p}\n`);
  for (const id of looseObjects(objects).sort()) hash.update(`${id}\n`);
  return hash.digest('hex');
}

export class ObjectStore {
  /** How many objects it holds (counting an object twice where it is stored twice). */
  readonly count: number;

  constructor(
    private readonly objects: string,
    private readonly packs: PackFile[],
    private readonly loose: string[],
  ) {
    this.count = packs.reduce((n, p) => n + p.count, 0) + loose.length;
  }

  /** What the store holds, as one hash (storeFingerprint). */
  get fingerprint(): string {
    return storeFingerprint(this.objects);
  }

  /**
   * Every commit, blob and tag, each rebuilt once (walk.ts): each pack's
   * families, then the loose objects. An object that cannot be read yields
   * `{ id, problem }`; one over `limit` bytes is not built, and yields `{ id, type, tooLarge }`.
   */
  *entries(limit = Number.MAX_SAFE_INTEGER): Iterable<StoreEntry | { id: string; type: StoreEntry['type']; tooLarge: number } | { id: string; problem: string }> {
    const arena = new Arena();
    let first = 0;
    for (const [n, pack] of this.packs.entries()) {
      const earlier = this.packs.slice(0, n);
      const ids = new Map<number, string>();
      const idOf = (ordinal: number) => ids.get(ordinal) ?? pack.idOf(ordinal);
      const walk = walkPack(pack, arena, (ordinal) => {
        const id = pack.idOf(ordinal);
        // An object also in an earlier pack was given there.
        if (earlier.some((p) => p.offsetOf(id) !== -1)) return false;
        ids.set(ordinal, id);
        return true;
      }, limit);
      try {
        for (const w of walk) {
          const id = idOf(w.ordinal);
          ids.delete(w.ordinal);
          if ('problem' in w) yield { id, problem: w.problem };
          else if ('tooLarge' in w) yield { id, type: w.type as StoreEntry['type'], tooLarge: w.tooLarge };
          else yield { id, type: w.type as StoreEntry['type'], key: first + w.ordinal, base: w.base === -1 ? -1 : first + w.base, bytes: w.bytes, fresh: w.fresh };
        }
      } catch (err) {
        if (!(err instanceof PackError)) throw err;
        yield { id: `in pack ${pack.checksum}`, problem: err.message };
      }
      first += pack.count;
    }
    for (const [i, id] of this.loose.entries()) {
      if (this.packs.some((p) => p.offsetOf(id) !== -1)) continue;
      let object: PackedObject | null;
      try {
        object = readLoose(this.objects, id);
      } catch (err) {
        if (!(err instanceof PackError)) throw err;
        yield { id, problem: err.message };
        continue;
      }
      if (object === null || object.type === 'tree') continue;
      if (object.bytes.length > limit) {
        yield { id, type: object.type, tooLarge: object.bytes.length };
        continue;
      }
      yield { id, type: object.type, key: first + i, base: -1, bytes: object.bytes, fresh: null };
    }
  }

  close(): void {
    for (const p of this.packs) p.close();
  }
}
