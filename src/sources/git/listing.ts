/** Which objects a history scan reads, from `git cat-file --batch-check` output. */
import { Leftover } from '../../gitexec/output.js';
import { formatBytes } from '../../common/text.js';
import { parseHeader } from './header.js';
import type { SourceEvents } from '../types.js';
import type { WantedObject } from './objects.js';

/** The `--batch-check` format the listing parses. */
export const LISTING_FORMAT = '--batch-check=%(objectname) %(objecttype) %(objectsize)';

const NL = 0x0a;

/**
 * `<oid> <type> <size>` lines, in chunks of any size, into the objects to
 * read: commits and annotated tags (their messages are scanned; `onCommit`
 * hears of each commit) and blobs within the size limit. An object git lists
 * but cannot read, and an oversized blob, are counted instead.
 */
export class Listing {
  private readonly rest = new Leftover();
  private listed = 0;
  private bytes = 0;

  constructor(
    private readonly maxFileSize: number,
    private readonly events: SourceEvents,
    private readonly onCommit?: (oid: string) => void,
    /** Objects not to read (the scan cache knows them clean); they are not counted in the totals either. */
    private readonly known?: (oid: string) => boolean,
  ) {}

  /**
   * Read from bytes, each field copied out as its own string: a slice of a
   * chunk's text would keep the whole chunk alive for as long as the id is
   * queued (146,000 ids pinned 26 MB of listing on a 483,000-object history).
   */
  push(chunk: Buffer | string): WantedObject[] {
    const data = this.rest.join(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    const wanted: WantedObject[] = [];
    let at = 0;
    for (let nl = data.indexOf(NL); nl !== -1; at = nl + 1, nl = data.indexOf(NL, at)) {
      const header = parseHeader(data, at, nl, false);
      if (header === null) continue;
      const { oid, type, size } = header;
      if (type === 'blob') {
        if (size > this.maxFileSize) this.events.skip('tooLarge', `blob ${oid}`, formatBytes(size));
        else this.want(wanted, oid, size);
      } else if (type === 'commit' || type === 'tag') {
        if (type === 'commit') this.onCommit?.(oid);
        this.want(wanted, oid, size);
      } else if (type === 'missing') {
        this.events.skip('unreadable', `object ${oid}`, 'missing or corrupt: git cannot read it');
      }
    }
    this.rest.keep(data, at);
    return wanted;
  }

  /** The last objects; the listing's totals are known from here. */
  end(): WantedObject[] {
    const last = this.rest.kept.length === 0 ? [] : this.push('\n');
    this.events.total(this.listed, this.bytes);
    return last;
  }

  private want(wanted: WantedObject[], oid: string, size: number): void {
    if (this.known?.(oid)) return;
    wanted.push({ oid, size });
    this.listed++;
    this.bytes += size;
  }
}
