/**
 * Container images on disk, without a daemon: a `docker save` tarball
 * (`manifest.json`, a config and one tar per layer), or an OCI image layout
 * (`oci-layout`, `index.json`, `blobs/sha256/…`) as a folder or as a tar.
 * What comes out is each image's name, config and layers, each layer a
 * stream of its (decompressed by the caller) tar.
 */
import { createHash } from 'node:crypto';
import { createReadStream, openSync, readSync, closeSync, realpathSync, statSync } from 'node:fs';
import { posix, relative, isAbsolute } from 'node:path';
import { SkScanError, describeIoError } from '../../common/errors.js';
import { TarError, TarReader } from '../../content/archive/tar.js';

export interface ImageLayer {
  /** As the manifest names it: `sha256:…` (OCI: of the blob as stored; docker save: of the uncompressed tar). */
  digest: string;
  /** The digest the stored bytes must have (a blob named by its digest: `sha256:…`), checked as they are read; null when the name is no digest (an older docker save's layer id). */
  expect: string | null;
  /** The layer's bytes as stored (maybe gzip- or zstd-compressed). */
  open(): NodeJS.ReadableStream;
  /** Its first bytes, to tell how it is compressed. */
  head(): Buffer;
}

export interface Image {
  /** `app:1.0` from the tarball's RepoTags or the layout's ref.name annotation; null if untagged. */
  name: string | null;
  /** `sha256:…` of the config: the image's id. */
  id: string;
  config: ImageConfig;
  layers: ImageLayer[];
}

/** The parts of an image config (OCI image spec, `config` and `history`) that keep what a Dockerfile said. */
export interface ImageConfig {
  /** As the image says; its shape is checked where it is read. */
  config?: unknown;
  history?: unknown;
}

/** Where the files of an image are: a folder, or a tar read in place (its members by offset, never extracted). */
interface Store {
  has(name: string): boolean;
  read(name: string): Buffer;
  open(name: string): NodeJS.ReadableStream;
  head(name: string, n: number): Buffer;
}

const MAX_JSON = 16 << 20;

/** The images, and what the layout holds that was not read as it says (a blob whose bytes do not match its digest, an index that lists itself): each makes the scan incomplete. */
export interface Opened {
  images: Image[];
  problems: { where: string; message: string }[];
}

export async function openImages(path: string): Promise<Opened> {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new SkScanError(`cannot read ${path}: ${describeIoError(err)}`);
  }
  const store = st.isDirectory() ? folderStore(path) : await tarStore(path);
  const problems: Opened['problems'] = [];
  if (store.has('manifest.json')) return { images: dockerImages(path, store, problems), problems };
  if (store.has('index.json')) return { images: ociImages(path, store, problems), problems };
  throw new SkScanError(`${path} is not a container image: it has neither manifest.json (docker save) nor index.json (an OCI image layout)`);
}

/** `sha256:<hex>` for a blob stored under its digest (`blobs/sha256/<hex>`), else null. */
function digestOf(name: string): string | null {
  const m = /^blobs\/([a-z0-9]+)\/([a-f0-9]{32,128})$/.exec(name);
  return m ? `${m[1]}:${m[2]}` : null;
}

/** Whether `bytes` have the digest `digest` names (`sha256:…`, `sha512:…`); an algorithm node does not know is not checked. */
function matches(digest: string, bytes: Buffer): boolean {
  const [alg = '', hex = ''] = digest.split(':');
  try {
    return createHash(alg).update(bytes).digest('hex') === hex;
  } catch {
    return true;
  }
}

function json<T>(path: string, store: Store, name: string, problems?: Opened['problems']): T {
  let bytes: Buffer;
  try {
    bytes = store.read(name);
  } catch (err) {
    throw err instanceof SkScanError ? err : new SkScanError(`${path}: cannot read ${name}: ${describeIoError(err)}`);
  }
  const digest = digestOf(name);
  if (digest !== null && !matches(digest, bytes)) problems?.push({ where: `${path}:${name}`, message: 'its bytes do not match the digest it is stored under: not the document the image names' });
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (err) {
    throw new SkScanError(`${path}: ${name} is damaged: ${err instanceof SyntaxError ? 'not JSON' : describeIoError(err)}`);
  }
}

function dockerImages(path: string, store: Store, problems: Opened['problems']): Image[] {
  const manifest = json<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }[]>(path, store, 'manifest.json');
  if (!Array.isArray(manifest)) throw new SkScanError(`${path}: manifest.json is not a list of images`);
  return manifest.map((entry) => {
    if (typeof entry !== 'object' || entry === null) throw new SkScanError(`${path}: manifest.json lists something that is not an image`);
    if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) throw new SkScanError(`${path}: manifest.json lists an image without Config or Layers`);
    const hex = /([0-9a-f]{64})/.exec(entry.Config)?.[1];
    const tag = Array.isArray(entry.RepoTags) ? entry.RepoTags[0] : undefined;
    if (entry.Layers.some((l) => typeof l !== 'string')) throw new SkScanError(`${path}: manifest.json lists a layer that is not a file name`);
    return {
      name: typeof tag === 'string' ? tag : null,
      id: hex ? `sha256:${hex}` : entry.Config,
      config: json<ImageConfig>(path, store, entry.Config, problems),
      layers: entry.Layers.map((name) => layer(store, name, `sha256:${/([0-9a-f]{64})/.exec(name)?.[1] ?? name}`)),
    };
  });
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  annotations?: Record<string, string>;
}

/** Indexes inside indexes (a multi-platform image) are followed this deep. */
const INDEX_DEPTH = 4;

/**
 * The images an OCI layout's index names. Each blob is read once: an index
 * that lists its own blob (or one that lists it back) would otherwise be
 * walked again at every level, 40 entries deep into 40^4 reads; a cycle, or an
 * index nested deeper than INDEX_DEPTH, is named as not read.
 */
function ociImages(path: string, store: Store, problems: Opened['problems']): Image[] {
  const images: Image[] = [];
  const blob = (digest: string | undefined): string => {
    const m = /^([a-z0-9]+):([a-f0-9]{32,128})$/.exec(digest ?? '');
    if (!m) throw new SkScanError(`${path}: a descriptor has no valid digest (${String(digest).slice(0, 80)})`);
    return `blobs/${m[1]}/${m[2]}`;
  };
  const seen = new Set<string>();
  const walk = (index: { manifests?: unknown } | null, depth: number, inside: string[]): void => {
    if (typeof index !== 'object' || index === null) return;
    const manifests = Array.isArray(index.manifests) ? (index.manifests as Descriptor[]) : [];
    for (const d of manifests) {
      if (typeof d !== 'object' || d === null) continue;
      const name = blob(d.digest);
      if (inside.includes(name)) {
        problems.push({ where: `${path}:${name}`, message: 'an index that lists itself (a cycle): not read again' });
        continue;
      }
      if (seen.has(name)) continue; // listed twice: read once
      seen.add(name);
      const doc = json<{ manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] } | null>(path, store, name, problems);
      if (typeof doc !== 'object' || doc === null) continue;
      // An index of indexes (several platforms): each image in it is scanned.
      if (doc.manifests) {
        if (depth < INDEX_DEPTH) walk(doc, depth + 1, [...inside, name]);
        else problems.push({ where: `${path}:${name}`, message: `an index nested more than ${INDEX_DEPTH} deep: not read` });
        continue;
      }
      if (typeof doc.config !== 'object' || doc.config === null) continue; // an attestation or other artifact: not an image
      const ref = d.annotations?.['org.opencontainers.image.ref.name'];
      images.push({
        name: typeof ref === 'string' ? ref : null,
        id: String(doc.config.digest ?? ''),
        config: json<ImageConfig>(path, store, blob(doc.config.digest), problems),
        layers: (Array.isArray(doc.layers) ? doc.layers : []).map((l: Descriptor) => layer(store, blob(l?.digest), String(l?.digest))),
      });
    }
  };
  walk(json(path, store, 'index.json'), 0, []);
  return images;
}

function layer(store: Store, name: string, digest: string): ImageLayer {
  if (!store.has(name)) throw new SkScanError(`layer ${digest} is missing from the image (${name})`);
  return { digest, expect: digestOf(name), open: () => store.open(name), head: () => store.head(name, 4) };
}

function folderStore(dir: string): Store {
  const top = realpathSync(dir);
  // A manifest names files inside the image: a name that climbs out of it (`../../etc/…`) names nothing, and
  // neither does a link in the layout that leads out of it (a blob that is a link to /etc/shadow).
  const at = (name: string) => {
    const inside = posix.normalize(name);
    if (inside.startsWith('../') || inside === '..' || posix.isAbsolute(inside)) throw new SkScanError(`${dir}: the image names ${name.slice(0, 80)}, which is outside it`);
    const path = posix.join(dir, inside);
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return path; // missing: said where it is needed
    }
    const rel = relative(top, real);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new SkScanError(`${dir}: ${name.slice(0, 80)} is a link that leads out of the image: not read`);
    return path;
  };
  return {
    has: (name) => {
      const path = at(name);
      try {
        return statSync(path).isFile();
      } catch {
        return false;
      }
    },
    read: (name) => readRange(at(name), 0, Math.min(statSync(at(name)).size, MAX_JSON)),
    open: (name) => createReadStream(at(name)),
    head: (name, n) => readRange(at(name), 0, n),
  };
}

/** A tar's members by name, found by reading its headers once; symbolic links (docker save links layers) followed. */
async function tarStore(file: string): Promise<Store> {
  const members = new Map<string, { offset: number; size: number; link?: string }>();
  const reader = new TarReader(
    {
      entry: (e) => {
        if (e.type === 'file' || e.link !== undefined) members.set(e.name, { offset: e.offset, size: e.size, link: e.link });
      },
    },
    0,
  );
  try {
    for await (const chunk of createReadStream(file)) reader.push(chunk as Buffer);
    reader.end();
  } catch (err) {
    if (err instanceof TarError) throw new SkScanError(`${file} is not a container image: ${err.message === 'not a tar archive' ? 'not a folder or a tar (a compressed image tarball: gunzip it first)' : `damaged tar (${err.message})`}`);
    throw new SkScanError(`cannot read ${file}: ${describeIoError(err)}`);
  }
  const find = (name: string, hops = 0): { offset: number; size: number } | undefined => {
    const m = members.get(name);
    if (m?.link === undefined || hops > 8) return m;
    return find(posix.normalize(posix.join(posix.dirname(name), m.link)), hops + 1);
  };
  const must = (name: string) => {
    const m = find(name);
    if (!m) throw new SkScanError(`${file}: ${name} is missing`);
    return m;
  };
  return {
    has: (name) => find(name) !== undefined,
    read: (name) => {
      const m = must(name);
      return readRange(file, m.offset, Math.min(m.size, MAX_JSON));
    },
    open: (name) => {
      const m = must(name);
      return createReadStream(file, { start: m.offset, end: m.offset + Math.max(0, m.size - 1) });
    },
    head: (name, n) => {
      const m = must(name);
      return readRange(file, m.offset, Math.min(n, m.size));
    },
  };
}

function readRange(file: string, at: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, at + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
