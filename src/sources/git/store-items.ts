/**
 * A whole history read from the object store itself (store/store.ts), and
 * scanned for what each version adds (issue 29).
 *
 * Every commit, tag and blob is read, but most never go to detection: the
 * anchor probe (detect/probe.ts) says whether content holds anything the
 * detector would look at. A whole object is probed whole. A deltified blob
 * whose base holds no anchor is probed only where its delta inserted or
 * joined bytes (with the probe's reach either side): the rest of it is ranges
 * of that base, which hold none. Whatever holds an anchor, and binary content
 * (read differently), goes to detection whole, as the git path sends it.
 *
 * So a history of small edits to text is inflated and its deltas applied,
 * but searched only where it changed.
 */
import { isBinary, OwnedBytes, type Bytes } from '../../content/read.js';
import { formatBytes } from '../../common/text.js';
import type { AnchorProbe, BytesItem, SourceEvents, SourceItem } from '../types.js';
import type { ObjectStore, StoreEntry } from './store/store.js';

export interface StoreWalk {
  probe: AnchorProbe;
  maxFileSize: number;
  events: SourceEvents;
  /** Objects not to read (the scan cache knows them clean); not counted either. */
  known?: (id: string) => boolean;
  /** Each commit's id, as it is met. */
  onCommit(id: string): void;
  /** The item a blob, commit or tag is scanned as (a commit's and a tag's message, with its origin). */
  item(oid: string, type: StoreEntry['type'], bytes: Bytes): BytesItem;
}

const BATCH_ITEMS = 256;
/** Bytes read between turns of the event loop (git processes started alongside are read meanwhile). */
const TURN_BYTES = 16 << 20;

/** The store's objects as items, in batches: ProbedItems for what holds no anchor, the rest to be read. */
export async function* storeItems(store: ObjectStore, walk: StoreWalk): AsyncIterable<SourceItem[]> {
  const { probe, events } = walk;
  /** Per key: 1 when the object is text that holds no anchor anywhere (so a delta on it is probed where it changed). */
  const clean = new Uint8Array(store.count);
  let batch: SourceItem[] = [];
  let sinceTurn = 0;
  let listed = 0;
  let bytes = 0;
  const wanted = (id: string, type: StoreEntry['type']) => {
    if (type === 'commit') walk.onCommit(id);
    return !walk.known?.(id);
  };
  for (const entry of store.entries(wanted)) {
    if ('problem' in entry) {
      events.skip('unreadable', `object ${entry.id}`, `corrupt: ${entry.problem}`);
      continue;
    }
    let read: ReturnType<StoreEntry['read']>;
    try {
      read = entry.read();
    } catch (err) {
      events.skip('unreadable', `object ${entry.id}`, `corrupt: ${(err as Error).message}`);
      continue;
    }
    const { object, fresh } = read;
    if (entry.type === 'blob' && object.bytes.length > walk.maxFileSize) {
      events.skip('tooLarge', `blob ${entry.id}`, formatBytes(object.bytes.length));
      continue;
    }
    listed++;
    bytes += object.bytes.length;
    const item = walk.item(entry.id, entry.type, new OwnedBytes(object.bytes));
    const content = item.bytes.view();
    let holds: boolean;
    if (isBinary(content)) holds = true;
    else if (entry.type === 'blob' && fresh !== null && entry.base !== -1 && clean[entry.base] === 1) holds = probe.near(content, fresh);
    else holds = probe.any(content);
    if (!holds) clean[entry.key] = 1;
    batch.push(holds ? item : { origin: item.origin, probed: content.length });
    sinceTurn += object.bytes.length;
    if (batch.length >= BATCH_ITEMS || sinceTurn >= TURN_BYTES) {
      yield batch;
      batch = [];
      if (sinceTurn >= TURN_BYTES) {
        sinceTurn = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  if (batch.length > 0) yield batch;
  events.total(listed, bytes);
}
