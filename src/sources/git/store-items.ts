/**
 * A whole history read from the object store itself (store/store.ts), and
 * searched where each version changed (issue 29).
 *
 * Every commit, tag and blob is read, but most never go to detection: the
 * anchor probe (detect/probe.ts) says whether content holds anything the
 * detector would look at. A whole object is probed whole. A deltified blob
 * whose base holds nothing is probed only around what its delta inserted or
 * joined: the rest of it is ranges of that base. Whatever may hold a key,
 * and binary content (read differently), goes to detection whole, as the
 * git path sends it.
 *
 * The walk (storeOutcomes) says what became of each object, and
 * outcomeItems makes them the scan's items.
 */
import { BINARY_PROBE, isBinary, OwnedBytes, type Bytes } from '../../content/read.js';
import { formatBytes } from '../../common/text.js';
import type { AnchorProbe, BytesItem, SourceEvents, SourceItem } from '../types.js';
import { messageStart } from './message.js';
import type { ObjectStore, StoreEntry } from './store/store.js';

/** What the walk made of one object. */
export type StoreOutcome =
  /** Read, and nothing in it a finding could start from: `size` bytes scanned (a message's, for a commit or tag). */
  | { id: string; type: StoreEntry['type']; kind: 'probed'; size: number }
  /** To be scanned: the whole object. */
  | { id: string; type: StoreEntry['type']; kind: 'read'; bytes: Buffer }
  | { id: string; type: StoreEntry['type']; kind: 'tooLarge'; size: number }
  | { id: string; kind: 'problem'; message: string };

/**
 * The largest object built, whatever maxFileSize says: a header may claim any
 * size, and a version within maxFileSize may be built on a larger one (git
 * builds it too, on the other path).
 */
const BUILD_LIMIT = 256 << 20;

/**
 * What becomes of each object of the store: a delta family at a time, so
 * that a delta's base was just built. A blob over `maxFileSize` is given as
 * too large (git's listing makes it so on the other path); a message over it
 * goes to detection, which says so as it does for one read through git.
 */
export function* storeOutcomes(store: ObjectStore, probe: AnchorProbe, maxFileSize: number): Iterable<StoreOutcome> {
  /** Per key: 1 when the object is text that holds nothing anywhere (so a delta on it is asked where it changed). */
  const clean = new Uint8Array(store.count);
  // Every object is read (a repeated audit, whose scan cache knows most of them, reads through git: whole.ts).
  for (const entry of store.entries(Math.max(maxFileSize, BUILD_LIMIT))) {
    if ('problem' in entry) {
      yield { id: entry.id, kind: 'problem', message: entry.problem };
      continue;
    }
    if ('tooLarge' in entry) {
      yield { id: entry.id, type: entry.type, kind: 'tooLarge', size: entry.tooLarge };
      continue;
    }
    const { bytes, fresh } = entry;
    if (entry.type === 'blob' && bytes.length > maxFileSize) {
      yield { id: entry.id, type: 'blob', kind: 'tooLarge', size: bytes.length };
      continue;
    }
    // A commit's or tag's message is what is scanned.
    const content = entry.type === 'blob' ? bytes : bytes.subarray(messageStart(bytes));
    // Binary content is searched as binary (keys glued to fields), by detection; a tag (there are few) is
    // read whole, its origin from its fields.
    let holds = entry.type === 'tag' || content.length > maxFileSize || isBinary(content.subarray(0, BINARY_PROBE));
    // Where its base holds nothing a finding could start from, a version is asked only where it changed.
    // Its two ends count as changed too: a run its first or last copy cut short starts or ends elsewhere than in the base.
    if (!holds) holds = fresh !== null && entry.base !== -1 && clean[entry.base] === 1 ? probe.near(content, [0, 0, ...fresh, content.length, content.length]) : probe.any(content);
    // The walk lends its bytes: what is handed on is copied.
    if (holds) yield { id: entry.id, type: entry.type, kind: 'read', bytes: Buffer.from(bytes) };
    else {
      clean[entry.key] = 1;
      yield { id: entry.id, type: entry.type, kind: 'probed', size: content.length };
    }
  }
}

export interface ItemsOptions {
  events: SourceEvents;
  /** Each commit's id, as it is met. */
  onCommit(id: string): void;
  /** The item a blob, commit or tag is scanned as (a commit's and a tag's message, with its origin). */
  item(oid: string, type: StoreEntry['type'], bytes: Bytes): BytesItem;
}

/** A blob's origin does not depend on its bytes. */
const NOTHING = new OwnedBytes(Buffer.alloc(0));

/** Outcomes as items: ProbedItems for what holds nothing, the rest to be read; what could not be read counted. */
export function outcomeItems(outcomes: Iterable<StoreOutcome>, opts: ItemsOptions, totals: { listed: number; bytes: number }): SourceItem[] {
  const items: SourceItem[] = [];
  for (const o of outcomes) {
    if (o.kind === 'problem') {
      opts.events.skip('unreadable', `object ${o.id}`, `corrupt: ${o.message}`);
      continue;
    }
    if (o.type === 'commit') opts.onCommit(o.id);
    if (o.kind === 'tooLarge') {
      opts.events.skip('tooLarge', `${o.type === 'blob' ? 'blob' : 'object'} ${o.id}`, formatBytes(o.size));
      continue;
    }
    totals.listed++;
    if (o.kind === 'read') {
      const item = opts.item(o.id, o.type, new OwnedBytes(o.bytes));
      totals.bytes += item.bytes.length;
      items.push(item);
    } else {
      totals.bytes += o.size;
      // (A commit's origin is its id: only a tag's is read from its bytes, and tags are always read.)
      items.push({ origin: opts.item(o.id, o.type, NOTHING).origin, probed: o.size });
    }
  }
  return items;
}
