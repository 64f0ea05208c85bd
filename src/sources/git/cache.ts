/**
 * The scan cache: the ids of the objects (blobs, commits, tags) a whole-history
 * scan read and found clean, so that the next audit of the same repository
 * reads only what is new. An object id names its content, so a clean object
 * stays clean for as long as what decides a finding stays the same: the rules
 * (their examples included), the filters and the reading code, the config's
 * limits, and sk-scan's version. All of that is hashed into the cache's key; a
 * different key starts the cache afresh.
 *
 * It never holds a key or anything a key could be rebuilt from: only ids of
 * objects with no finding at all. An object with a finding (accepted or not),
 * or one that could not be read whole (too large, an archive member not
 * opened, unreadable), is never entered, so it is read again every time.
 *
 * It also remembers the refs (their tips and HEAD, hashed) and the object
 * store (its listing, hashed) of the last scan whose walk for missing objects
 * found none: an audit that finds both the same again skips that walk, the
 * costliest part of a repeated audit. A store that lost an object since has
 * another listing, and is walked.
 *
 * Where it lives: in the user's cache folder (`$XDG_CACHE_HOME/sk-scan`,
 * `~/.cache/sk-scan`), a file per repository named by a hash of where the
 * repository is, or in `--cache DIR`; never inside the repository. A
 * repository is input: a cache it could carry (or forge, or replace with a
 * link to /dev/zero) would decide what is not read.
 *
 * The file: a header (`sk-scan clean objects 2`, the key, the refs and store checked, the count), the ids
 * as sorted 20-byte records, and a SHA-256 of all that. One that is damaged,
 * cut short, not a regular file or not a cache is ignored with a warning and
 * rewritten; it is never trusted in part. It is written to a temporary file and
 * renamed over the old one, so a scan killed half-way leaves the old cache.
 *
 * Beside it, places-cache.ts keeps where the blobs with findings were
 * introduced, so that a repeated audit need not walk the history to say so.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { FROM_SOURCE, packageFile } from '../../common/package-root.js';
import { describeIoError } from '../../common/errors.js';
import { readRegularFile } from '../../common/files.js';
import { ID_BYTES, IdRecords, ObjectIds, sortedRecords } from './ids.js';

const MAGIC = 'sk-scan clean objects 2';
/** The largest cache read: 50 million objects. */
const MAX_CACHE = 1 << 30;

/** What the last whole walk for missing objects saw: the refs and the object store's listing, each hashed. */
export interface Checked {
  refs: string;
  store: string;
}

/**
 * The user's cache folder for sk-scan: `$XDG_CACHE_HOME/sk-scan`, else the
 * platform's (`~/.cache/sk-scan`, `~/Library/Caches/sk-scan`,
 * `%LOCALAPPDATA%\\sk-scan`); null when there is no home to put it in.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg && isAbsolute(xdg)) return join(xdg, 'sk-scan');
  if (process.platform === 'win32' && env['LOCALAPPDATA']) return join(env['LOCALAPPDATA'], 'sk-scan');
  let home: string;
  try {
    home = homedir();
  } catch {
    return null;
  }
  if (!home || !isAbsolute(home)) return null;
  return process.platform === 'darwin' ? join(home, 'Library', 'Caches', 'sk-scan') : join(home, '.cache', 'sk-scan');
}

/** The cache file of the repository known as `identity` (its git directory, or the URL cloned) in `dir`. */
export function cacheFileIn(dir: string, identity: string): string {
  return join(dir, `${createHash('sha256').update(identity).digest('hex').slice(0, 24)}.cache`);
}
const RECORD = ID_BYTES;
const DIGEST = 32;

export class CleanCache {
  /** The sorted ids from the file; none when starting afresh. */
  private readonly old: ObjectIds;
  /** What the file said of the refs and the store, to tell whether anything changed. */
  private readonly wasChecked: Checked | null;
  /** Which old records this scan's listing named (the rest are gone from the repository and are dropped). */
  private readonly seen: Uint8Array;
  /** Ids this scan found clean, as 20-byte records: a first audit of git/git adds 850,000 (as strings, 50 MB). */
  private readonly added = new IdRecords();
  private readonly spoiled = new Set<string>();
  /** Objects the listing named that the cache said were clean: not read. */
  reused = 0;
  /** The refs and store (hashed) whose history was last walked and found whole; set anew by this scan's walk. */
  checked: Checked | null;

  private constructor(
    readonly file: string,
    private readonly key: string,
    old: Buffer,
    checked: Checked | null,
  ) {
    this.old = new ObjectIds(old);
    this.seen = new Uint8Array(this.old.size);
    this.checked = checked;
    this.wasChecked = checked;
  }

  /** The cache at `file` for `key`: its ids if the file is whole and of this key, else empty (with a warning if it was damaged or foreign). */
  static open(file: string, key: string, warn: (message: string) => void): CleanCache {
    const read = readRegularFile(file, MAX_CACHE);
    if (read === null) return new CleanCache(file, key, Buffer.alloc(0), null);
    if (!('bytes' in read)) {
      warn(`scan cache ${file}: ${'refused' in read ? read.refused : `cannot read it (${read.failed})`}; every object is read, and it is rewritten`);
      return new CleanCache(file, key, Buffer.alloc(0), null);
    }
    const parsed = parse(read.bytes);
    if (typeof parsed === 'string') {
      warn(`scan cache ${file}: ${parsed}; ignored, every object is read, and it is rewritten`);
      return new CleanCache(file, key, Buffer.alloc(0), null);
    }
    // Other rules, another version: what was clean then proves nothing now.
    if (parsed.key !== key) return new CleanCache(file, key, Buffer.alloc(0), null);
    return new CleanCache(file, key, parsed.records, parsed.checked);
  }

  /** How many objects the file says are clean (0 for a first audit). */
  get size(): number {
    return this.old.size;
  }

  /** Whether `oid` was read and found clean by a scan with the same key. */
  has(oid: string): boolean {
    const i = this.old.indexOf(oid);
    if (i === -1) return false;
    if (!this.seen[i]) this.reused++;
    this.seen[i] = 1;
    return true;
  }

  /** This scan read `oid` and found nothing in it (or part of it: an archive's member). */
  clean(oid: string): void {
    if (SHA1.test(oid)) this.added.add(oid);
  }

  /** This scan found something in `oid`, or could not read all of it: it is never entered. */
  spoil(oid: string): void {
    this.spoiled.add(oid);
  }

  /** Writes what this scan knows: the old ids it met again, and the new clean ones. Atomic: a temporary file, renamed. */
  save(warn: (message: string) => void): void {
    const fresh = freshOf(this.added.bytes(), this.spoiled);
    const same = (a: Checked | null, b: Checked | null) => a?.refs === b?.refs && a?.store === b?.store;
    const unchanged = fresh.length === 0 && this.seen.every((s) => s === 1) && same(this.checked, this.wasChecked);
    if (unchanged) return;
    const sorted = merge(this.old.records, this.seen, fresh);
    const checked = this.checked ? `${this.checked.refs} ${this.checked.store}` : '-';
    const head = Buffer.from(`${MAGIC}\nkey ${this.key}\nchecked ${checked}\ncount ${sorted.length / RECORD}\n`);
    const digest = createHash('sha256').update(head).update(sorted).digest();
    try {
      // In three writes, not one joined buffer: git/git's cache is 17 MB, and copies add up at the end of a scan.
      writeAtomically(this.file, [head, sorted, digest]);
    } catch (err) {
      warn(`scan cache ${this.file}: cannot write it (${describeIoError(err, { writing: true })}); the next scan reads every object again`);
    }
  }
}

/**
 * `parts` into a temporary file beside `file`, renamed over it: whoever reads
 * `file` gets the old one or the new one whole. Private to the user: a folder
 * it makes is 0700, the file 0600. Throws (leaving no temporary file) if it cannot.
 */
export function writeAtomically(file: string, parts: (string | Uint8Array)[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'w', 0o600);
    try {
      for (const part of parts) writeFileSync(fd, part);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

const SHA1 = /^[0-9a-f]{40}$/;

/** Sorted records with each id once, none of them spoiled (compacted in the sorted copy). */
function freshOf(added: Buffer, spoiled: Set<string>): Buffer {
  const sorted = sortedRecords(added);
  let at = 0;
  for (let i = 0; i < sorted.length; i += RECORD) {
    // An archive's members each report their blob: the same id may come more than once.
    if (at > 0 && sorted.compare(sorted, at - RECORD, at, i, i + RECORD) === 0) continue;
    if (spoiled.size > 0 && spoiled.has(sorted.toString('hex', i, i + RECORD))) continue;
    at += sorted.copy(sorted, at, i, i + RECORD);
  }
  return sorted.subarray(0, at);
}

function parse(data: Buffer): { key: string; checked: Checked | null; records: Buffer } | string {
  const lines = data.subarray(0, 320).toString('latin1').split('\n');
  // A cache of an earlier version is simply another key: started afresh, without a warning.
  if (lines[0]?.startsWith('sk-scan clean objects ') && lines[0] !== MAGIC) return { key: '', checked: null, records: Buffer.alloc(0) };
  if (lines[0] !== MAGIC) return 'not an sk-scan cache';
  const key = /^key ([0-9a-f]{64})$/.exec(lines[1] ?? '')?.[1];
  const checkedLine = /^checked (?:([0-9a-f]{64}) ([0-9a-f]{64})|-)$/.exec(lines[2] ?? '');
  const count = /^count (\d+)$/.exec(lines[3] ?? '')?.[1];
  if (key === undefined || checkedLine === null || count === undefined) return 'damaged (its header)';
  const checked = checkedLine[1] !== undefined && checkedLine[2] !== undefined ? { refs: checkedLine[1], store: checkedLine[2] } : null;
  const start = `${lines.slice(0, 4).join('\n')}\n`.length;
  const end = start + Number(count) * RECORD;
  if (data.length !== end + DIGEST) return 'damaged (cut short, or longer than it says)';
  if (!createHash('sha256').update(data.subarray(0, end)).digest().equals(data.subarray(end))) return 'damaged (its checksum does not match)';
  return { key, checked, records: data.subarray(start, end) };
}

/** The old records this scan met again and the new ones (sorted, none of them old: the listing did not read those), merged in byte order. */
function merge(old: Buffer, seen: Uint8Array, fresh: Buffer): Buffer {
  const out = Buffer.allocUnsafe(seen.reduce((n, s) => n + s, 0) * RECORD + fresh.length);
  let at = 0;
  let f = 0;
  for (let i = 0; i <= seen.length; i++) {
    const o = i * RECORD;
    if (i < seen.length && !seen[i]) continue;
    while (f < fresh.length && (i === seen.length || fresh.compare(old, o, o + RECORD, f, f + RECORD) < 0)) {
      at += fresh.copy(out, at, f, f + RECORD);
      f += RECORD;
    }
    if (i < seen.length) at += old.copy(out, at, o, o + RECORD);
  }
  return out.subarray(0, at);
}

/** The code that decides what is found in an object: a change to any of it (a development build) starts the cache afresh. */
const DECIDING_CODE = ['detect/engine', 'detect/binary', 'detect/anchors', 'detect/windows', 'detect/locate', 'detect/decode/decoder', 'detect/decode/base64', 'detect/decode/hex', 'detect/decode/escape', 'detect/prefilter', 'detect/prefilter-wasm', 'detect/filters', 'detect/rule', 'detect/lines', 'detect/item', 'content/read', 'content/archive/index', 'content/archive/kind', 'content/archive/tar', 'content/archive/zip'];

/** The cache's key: everything that decides a finding (`facts`: version, rules, limits), and the deciding code itself. */
export function cacheKey(facts: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(facts));
  // The modules as tsc wrote them (dist/), which the bundle in dist/bin/ is made from; or the source.
  const [dir, ext] = FROM_SOURCE ? ['src', '.ts'] : ['dist', '.js'];
  for (const rel of DECIDING_CODE) {
    try {
      hash.update(readFileSync(packageFile(dir, rel + ext)));
    } catch (err) {
      // From the source (tests), a module missing here was moved without this list: say so.
      if (FROM_SOURCE) throw err;
      hash.update(`missing ${rel}`);
    }
  }
  return hash.digest('hex');
}
