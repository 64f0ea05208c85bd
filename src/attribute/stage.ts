/**
 * The attribute stage: after detection, a source with history (git) says where
 * each found key really is. Each (item, key) pair is handed back once, however
 * many matches share it, and a finding fans out to every place the source
 * names: a blob at two paths becomes two findings.
 */
import type { Hit, Origin, Source } from '../sources/types.js';

/** What the stage needs of a detection: where it was found and the hash of its key. */
interface Found {
  origin: Origin;
  sha256: string;
}

export async function attributeStage<T extends Found>(source: Source, found: T[]): Promise<T[]> {
  if (!source.history || found.length === 0) return found;
  const hits: Hit[] = [];
  const index = new Map<Origin, Map<string, number>>();
  const hitOf = (f: T): number => {
    let bySecret = index.get(f.origin);
    if (!bySecret) index.set(f.origin, (bySecret = new Map<string, number>()));
    let i = bySecret.get(f.sha256);
    if (i === undefined) {
      i = hits.push({ origin: f.origin, sha256: f.sha256 }) - 1;
      bySecret.set(f.sha256, i);
    }
    return i;
  };
  const positions = found.map(hitOf);
  const places = await source.history.attribute(hits);
  // A member of an archive is where the archive is, one level down.
  const member = (f: T, origin: Origin): Origin => (f.origin.member !== undefined && origin !== f.origin ? { ...origin, member: f.origin.member } : origin);
  return found.flatMap((f, k) => (places[positions[k] as number] ?? [f.origin]).map((origin) => ({ ...f, origin: member(f, origin) })));
}
