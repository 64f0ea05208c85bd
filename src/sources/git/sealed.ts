/**
 * A repository that is scanned is input, never authority. git, pointed at a
 * repository, obeys what the repository says: its config names programs
 * (`remote.*.uploadpack`, `core.sshCommand`, `core.gitProxy`,
 * `credential.helper`, `core.askPass`, `core.alternateRefsCommand`, textconv
 * and filter drivers, `core.fsmonitor`, hooks through `core.hooksPath`), a
 * partial clone fetches what it lacks from a remote of its choosing, and
 * `objects/info/alternates` adds another repository's objects to its own.
 * Overriding those settings one by one with `-c` loses: git keeps the first
 * value it reads for some of them, and a newer git adds new ones.
 *
 * So git never sees the repository's own git directory. Each scan builds a
 * sealed view of it in a private temporary folder:
 *
 * - `config`: ours, with only the repository's format (format version, object
 *   format), so nothing the repository configured exists: no remote, no
 *   promisor (no lazy fetch), no program, no hook, no attribute;
 * - HEAD, refs and packed-refs, shallow: copied (regular files only, capped),
 *   so no ref can be a FIFO, and no git command can write to the real ones;
 * - its objects: the repository's own object folder (or, when it borrows
 *   from another repository or holds links, a folder of links to what is
 *   really its own; see objectStore); its alternates, commit-graph and grafts
 *   are not read. Objects it borrows from another repository are named, not
 *   scanned as its own;
 * - the index is read where it is (a regular file only).
 *
 * What the view leaves out is said (`notes`), and a scan that needed it
 * counts what it could not read.
 */
import { lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync, type Dirent } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { SkScanError } from '../../common/errors.js';
import { readRegularFile } from '../../common/files.js';
import { TempDir } from '../../gitexec/output.js';
import { Git } from '../../gitexec/run.js';
import { decodeName } from '../../common/names.js';
import type { Location } from './location.js';

/** What the view of a repository copied, linked and left out. */
export interface Sealed {
  /** git for the view: every command reads the repository's objects and refs, and nothing else of it. */
  git: Git;
  /** Whether the repository is a shallow clone. */
  shallow: boolean;
  /** Object folders the repository borrows from (its objects/info/alternates): not read as its own. */
  borrowed: string[];
  /** A partial clone's promisor remote (named in messages; never fetched from), or null. */
  promisor: string | null;
  /** What the view left out, as sentences for a warning. */
  notes: string[];
  /** The object folder sk-scan may read itself (store/store.ts), with the length of its ids; or why git reads it. */
  store: DirectStore;
  /** Removes the view (never the repository: its folders are links, and links are removed, not followed). */
  close(): void;
}

/** An object folder that is the repository's own and nothing else: no link, no borrowed folder, no promisor remote. */
export type DirectStore = { objects: string; idLength: 20 | 32 } | { unread: string };

export interface SealOptions {
  /** Give git the working tree too, and run it in `cwd` (for `:./path` index names in the staged scan). */
  worktree?: { cwd: string };
  /** Copy only HEAD and the ref it names (the pre-commit hook needs no other). */
  headOnly?: boolean;
}

/** The largest ref file, HEAD or alternates file copied; the largest packed-refs. */
const REF_MAX = 4096;
const PACKED_REFS_MAX = 1 << 30;
/** How deep folders under refs/ are copied. */
const REF_DEPTH = 64;
/** Files beside HEAD that name commits for `--range` and `--since` (`ORIG_HEAD..HEAD`). */
const PSEUDO_REFS = ['ORIG_HEAD', 'FETCH_HEAD', 'MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD'];

export function seal(loc: Location, opts: SealOptions = {}): Sealed {
  const tmp = new TempDir('sk-scan-repo-');
  try {
    return build(tmp, loc, opts);
  } catch (err) {
    tmp.remove();
    throw err;
  }
}

function build(tmp: TempDir, loc: Location, opts: SealOptions): Sealed {
  const view = tmp.path;
  const notes: string[] = [];
  const { config, promisor, sha256 } = formatConfig(loc.commonDir);
  writeFileSync(join(view, 'config'), config);
  const head = copySmall(join(loc.gitDir, 'HEAD'), join(view, 'HEAD'), REF_MAX);
  if (head === null) throw new SkScanError(`cannot read the repository's HEAD (${join(loc.gitDir, 'HEAD')})`);
  mkdirSync(join(view, 'refs', 'heads'), { recursive: true });
  mkdirSync(join(view, 'refs', 'tags'), { recursive: true });
  if (opts.headOnly) copyHeadRef(loc, head.toString('utf8'), view);
  else {
    copyRefs(loc, view, notes);
    for (const name of PSEUDO_REFS) copySmall(join(loc.gitDir, name), join(view, name), 1 << 20);
  }
  const shallow = copySmall(join(loc.commonDir, 'shallow'), join(view, 'shallow'), PACKED_REFS_MAX, notes) !== null;
  const store = objectStore(loc.objects, view, notes);
  const borrowed = store.borrowed;
  linkSharedIndexes(loc.gitDir, view);
  const env: Record<string, string> = { GIT_DIR: view, GIT_INDEX_FILE: indexFile(loc.index, view, notes), ...store.env };
  if (opts.worktree && loc.worktree !== null) env['GIT_WORK_TREE'] = loc.worktree;
  // Object folders git itself named for a hook (a push's quarantine) are the environment's, not the repository's.
  if (loc.alternates.length > 0) env['GIT_ALTERNATE_OBJECT_DIRECTORIES'] = loc.alternates.join(':');
  if (borrowed.length > 0) {
    notes.push(`it borrows objects from ${borrowed.join(', ')} (objects/info/alternates): those are another repository's and are not read as this one's`);
  }
  const direct: DirectStore =
    store.env['GIT_OBJECT_DIRECTORY'] !== loc.objects
      ? { unread: 'its object folder holds links or borrows from others' }
      : loc.alternates.length > 0
        ? { unread: 'git named more object folders for it (a push being received)' }
        : promisor !== null
          ? { unread: 'it is a partial clone' }
          : { objects: loc.objects, idLength: sha256 ? 32 : 20 };
  return { git: Git.sealed(view, env, opts.worktree?.cwd), shallow, borrowed, promisor, notes, store: direct, close: () => tmp.remove() };
}

/**
 * Our config: the repository's format version and object format (SHA-1 or
 * SHA-256), read from its config file's `[core]` and `[extensions]`, and
 * nothing else. A ref storage git cannot read through files (reftable) is
 * refused by name. Also the partial clone's promisor remote, if any, for the
 * message that names what it lacks.
 */
function formatConfig(commonDir: string): { config: string; promisor: string | null; sha256: boolean } {
  const read = readRegularFile(join(commonDir, 'config'), 1 << 20);
  const values = configValues(read !== null && 'bytes' in read ? read.bytes.toString('utf8') : '');
  const refStorage = values.get('extensions.refstorage')?.toLowerCase();
  if (refStorage !== undefined && refStorage !== 'files') throw new SkScanError(`the repository keeps its refs in the ${refStorage} format, which sk-scan cannot read yet`);
  const format = values.get('extensions.objectformat')?.toLowerCase();
  if (format !== undefined && format !== 'sha1' && format !== 'sha256') throw new SkScanError(`the repository's object format ${format} is not one git knows`);
  const version = format === 'sha256' || values.get('core.repositoryformatversion') === '1' ? '1' : '0';
  const promisor =
    values.get('extensions.partialclone') ??
    [...values].find(([key, value]) => /^remote\..+\.promisor$/.test(key) && /^(true|yes|on|1)$/i.test(value))?.[0].slice('remote.'.length, -'.promisor'.length) ??
    null;
  return { config: `[core]\n\trepositoryformatversion = ${version}\n\tbare = true\n${format === 'sha256' ? '[extensions]\n\tobjectformat = sha256\n' : ''}`, promisor, sha256: format === 'sha256' };
}

/**
 * The last value of each key in git config text, as `section.key` or
 * `section.subsection.key` (section and key in lower case, as git compares
 * them): enough of git's syntax for the settings read here, which only name
 * things; nothing read from a repository's config is ever run or obeyed.
 */
export function configValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    const header = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\](.*)$/.exec(line);
    if (header) {
      section = (header[1] ?? '').toLowerCase() + (header[2] !== undefined ? `.${header[2].replace(/\\(.)/g, '$1')}` : '');
      line = (header[3] ?? '').trim();
    }
    const m = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!m || section === '') continue;
    out.set(`${section}.${(m[1] ?? '').toLowerCase()}`, (m[2] ?? 'true').replace(/\s*[#;].*$/, '').replace(/^"(.*)"$/, '$1').trim());
  }
  return out;
}

/** Copy a regular file of at most `max` bytes; its bytes, or null when there is none (a file that is something else is named in `notes`). */
function copySmall(from: string | Buffer, to: string | Buffer, max: number, notes?: string[]): Buffer | null {
  const read = readRegularFile(from, max);
  if (read === null) return null;
  if (!('bytes' in read)) {
    notes?.push(`${typeof from === 'string' ? from : decodeName(from)} ${'refused' in read ? read.refused : `cannot be read: ${read.failed}`}`);
    return null;
  }
  writeFileSync(to, read.bytes);
  return read.bytes;
}

/**
 * The repository's refs, into the view: its packed-refs, and its loose refs
 * (the common directory's, then a linked worktree's own) added to that one
 * file, a loose ref taking the place of a packed one of the same name, as git
 * reads them. One file rather than one per ref: making a file costs as much as
 * reading thousands of refs on some disks. A symbolic ref (`ref: …`) stays a
 * file of its own. Only regular files are read (a link or anything else is
 * named and left out), capped; names are kept as bytes (a ref's name need not
 * be UTF-8).
 */
function copyRefs(loc: Location, view: string, notes: string[]): void {
  const loose = new Map<string, Buffer>();
  const symbolic: [Buffer, Buffer][] = [];
  const walk = (dir: Buffer, name: Buffer, depth: number) => {
    let entries: Dirent<Buffer>[];
    try {
      entries = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = Buffer.concat([dir, SLASH, e.name]);
      const ref = Buffer.concat([name, SLASH, e.name]);
      if (e.isDirectory() && depth < REF_DEPTH) walk(path, ref, depth + 1);
      else if (!e.isFile()) notes.push(`${decodeName(path)} is ${e.isSymbolicLink() ? 'a link' : 'not a regular file'}: the ref is not read`);
      else {
        const read = readRegularFile(path, REF_MAX);
        if (read === null || !('bytes' in read)) continue;
        const id = /^[0-9a-f]{40}(?:[0-9a-f]{24})?/.exec(read.bytes.toString('latin1'))?.[0];
        if (id !== undefined) loose.set(ref.toString('latin1'), Buffer.from(`${id} `, 'latin1'));
        else symbolic.push([ref, read.bytes]);
      }
    }
  };
  for (const dir of new Set([loc.commonDir, loc.gitDir])) walk(Buffer.from(join(dir, 'refs')), Buffer.from('refs'), 0);
  const packed = readRegularFile(join(loc.commonDir, 'packed-refs'), PACKED_REFS_MAX);
  if (packed !== null && !('bytes' in packed)) notes.push(`${join(loc.commonDir, 'packed-refs')} ${'refused' in packed ? packed.refused : `cannot be read: ${packed.failed}`}`);
  const lines: Buffer[] = [];
  let kept = false;
  for (const line of packed !== null && 'bytes' in packed ? splitLines(packed.bytes) : []) {
    if (line[0] === 0x23) continue; // the header's traits (sorted, peeled) need not hold once loose refs are added
    if (line[0] === 0x5e) {
      if (kept) lines.push(line); // a tag's peeled id, kept with its tag
      continue;
    }
    const space = line.indexOf(0x20);
    kept = space !== -1 && !loose.has(line.toString('latin1', space + 1));
    if (kept) lines.push(line);
  }
  for (const [name, id] of loose) lines.push(Buffer.concat([id, Buffer.from(name, 'latin1')]));
  writeFileSync(join(view, 'packed-refs'), Buffer.concat(lines.flatMap((l) => [l, NEWLINE])));
  for (const [ref, content] of symbolic) {
    const target = Buffer.concat([Buffer.from(view), SLASH, ref]);
    mkdirSync(target.subarray(0, target.lastIndexOf(0x2f)), { recursive: true });
    writeFileSync(target, content);
  }
}

function splitLines(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const nl = bytes.indexOf(0x0a, at);
    const end = nl === -1 ? bytes.length : nl;
    if (end > at) out.push(bytes.subarray(at, end));
    at = end + 1;
  }
  return out;
}

const NEWLINE = Buffer.from('\n');
const SLASH = Buffer.from('/');

/** HEAD's branch alone: its loose ref file, or its line of packed-refs. */
function copyHeadRef(loc: Location, head: string, view: string): void {
  const ref = /^ref: (refs\/\S+)/.exec(head)?.[1];
  if (ref === undefined || ref.split('/').includes('..')) return;
  for (const dir of new Set([loc.gitDir, loc.commonDir])) {
    const target = join(view, ref);
    mkdirSync(resolve(target, '..'), { recursive: true });
    if (copySmall(join(dir, ref), target, REF_MAX) !== null) return;
  }
  const packed = readRegularFile(join(loc.commonDir, 'packed-refs'), PACKED_REFS_MAX);
  if (packed === null || !('bytes' in packed)) return;
  const line = packed.bytes.toString('latin1').split('\n').find((l) => l.endsWith(` ${ref}`));
  if (line !== undefined) writeFileSync(join(view, 'packed-refs'), `${line}\n`, 'latin1');
}

/**
 * How git reaches the repository's objects, and the folders its alternates
 * file names (borrowed: never linked, never read).
 *
 * Most repositories borrow nothing: no `info/alternates`, and every folder
 * and pack file in objects/ its own. git is then pointed at the objects
 * folder itself (GIT_OBJECT_DIRECTORY), with `core.commitGraph` pinned off so
 * that nothing in `info/` is read: a link per loose-object folder is a cost
 * the pre-commit hook feels where links are slow (docs/speed.md, “Design measurements”).
 * Otherwise the view gets an objects/ of its own: a link to each of the
 * repository's loose-object folders and pack files that is really its own (a
 * folder or file that is itself a link is named and left out), and an empty
 * info/.
 */
function objectStore(objects: string, view: string, notes: string[]): { env: Record<string, string>; borrowed: string[] } {
  let entries: Dirent[];
  let packs: Dirent[];
  try {
    entries = readdirSync(objects, { withFileTypes: true });
    packs = entries.some((e) => e.name === 'pack' && e.isDirectory()) ? readdirSync(join(objects, 'pack'), { withFileTypes: true }) : [];
  } catch {
    throw new SkScanError(`cannot read the repository's objects folder ${objects}`);
  }
  const stores = entries.filter((e) => e.name === 'pack' || /^[0-9a-f]{2}$/.test(e.name));
  const borrowed = alternatesOf(objects);
  const own = (e: Dirent) => e.isDirectory() || e.isFile();
  const hasInfo = entries.some((e) => e.name === 'info');
  const to = join(view, 'objects');
  mkdirSync(join(to, 'info'), { recursive: true });
  if (borrowed.length === 0 && stores.every((e) => e.isDirectory()) && packs.every(own) && !(hasInfo && hasAlternatesFile(objects))) {
    return { env: { GIT_OBJECT_DIRECTORY: objects }, borrowed };
  }
  for (const e of stores) {
    const source = join(objects, e.name);
    if (!e.isDirectory()) {
      notes.push(`${source} is ${e.isSymbolicLink() ? 'a link' : 'not a folder'}: the objects in it are not read as this repository's`);
    } else if (e.name === 'pack' && !packs.every(own)) {
      mkdirSync(join(to, 'pack'));
      for (const f of packs) {
        if (f.isFile()) symlinkSync(join(source, f.name), join(to, 'pack', f.name));
        else notes.push(`${join(source, f.name)} is ${f.isSymbolicLink() ? 'a link' : 'not a file'}: not read as this repository's`);
      }
    } else symlinkSync(source, join(to, e.name));
  }
  return { env: {}, borrowed };
}

function hasAlternatesFile(objects: string): boolean {
  try {
    lstatSync(join(objects, 'info', 'alternates'));
    return true;
  } catch {
    return false;
  }
}

/** The folders the repository's alternates file names (read as data, for messages), or none. */
function alternatesOf(objects: string): string[] {
  const read = readRegularFile(join(objects, 'info', 'alternates'), 1 << 20);
  if (read === null || !('bytes' in read)) return [];
  return read.bytes
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => (isAbsolute(l) ? l : resolve(objects, l)));
}

/** A split index keeps its shared part beside the git directory's files: linked into the view, where git looks for it. */
function linkSharedIndexes(gitDir: string, view: string): void {
  let names: string[];
  try {
    names = readdirSync(gitDir).filter((n) => /^sharedindex\.[0-9a-f]+$/.test(n));
  } catch {
    return;
  }
  for (const name of names) {
    try {
      if (lstatSync(join(gitDir, name)).isFile()) symlinkSync(join(gitDir, name), join(view, name));
    } catch {
      // Unreadable: git says so when it needs it.
    }
  }
}

/** The index git reads: the repository's, if it is a regular file; else an empty one in the view. */
function indexFile(index: string, view: string, notes: string[]): string {
  let st;
  try {
    st = lstatSync(index);
  } catch {
    return join(view, 'index');
  }
  if (st.isFile()) return index;
  notes.push(`${index} is not a regular file: the index is not read`);
  return join(view, 'index');
}
