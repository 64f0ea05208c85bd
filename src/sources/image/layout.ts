/**
 * Container images on disk, without a daemon: a `docker save` tarball
 * (`manifest.json`, a config and one tar per layer), or an OCI image layout
 * (`oci-layout`, `index.json`, `blobs/sha256/…`) as a folder or as a tar.
 * What comes out is each image's name, config and layers, each layer a
 * stream of its (decompressed by the caller) tar.
 */
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { SkScanError, describeIoError } from '../../errors.js';
import { TarError, TarReader } from '../archive/tar.js';

export interface ImageLayer {
  /** As the manifest names it: `sha256:…` (OCI: of the blob as stored; docker save: of the uncompressed tar). */
  digest: string;
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

export async function openImages(path: string): Promise<Image[]> {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new SkScanError(`cannot read ${path}: ${describeIoError(err)}`);
  }
  const store = st.isDirectory() ? folderStore(path) : await tarStore(path);
  if (store.has('manifest.json')) return dockerImages(path, store);
  if (store.has('index.json')) return ociImages(path, store);
  throw new SkScanError(`${path} is not a container image: it has neither manifest.json (docker save) nor index.json (an OCI image layout)`);
}

function json<T>(path: string, store: Store, name: string): T {
  try {
    return JSON.parse(store.read(name).toString('utf8')) as T;
  } catch (err) {
    throw new SkScanError(`${path}: ${name} is damaged: ${err instanceof SyntaxError ? 'not JSON' : describeIoError(err)}`);
  }
}

function dockerImages(path: string, store: Store): Image[] {
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
      config: json<ImageConfig>(path, store, entry.Config),
      layers: entry.Layers.map((name) => layer(store, name, `sha256:${/([0-9a-f]{64})/.exec(name)?.[1] ?? name}`)),
    };
  });
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  annotations?: Record<string, string>;
}

function ociImages(path: string, store: Store): Image[] {
  const images: Image[] = [];
  const blob = (digest: string | undefined): string => {
    const m = /^([a-z0-9]+):([a-f0-9]{32,128})$/.exec(digest ?? '');
    if (!m) throw new SkScanError(`${path}: a descriptor has no valid digest (${String(digest).slice(0, 80)})`);
    return `blobs/${m[1]}/${m[2]}`;
  };
  const walk = (index: { manifests?: unknown } | null, depth: number): void => {
    if (typeof index !== 'object' || index === null) return;
    const manifests = Array.isArray(index.manifests) ? (index.manifests as Descriptor[]) : [];
    for (const d of manifests) {
      if (typeof d !== 'object' || d === null) continue;
      const doc = json<{ manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] } | null>(path, store, blob(d.digest));
      if (typeof doc !== 'object' || doc === null) continue;
      // An index of indexes (several platforms): each image in it is scanned.
      if (doc.manifests) {
        if (depth < 4) walk(doc, depth + 1);
        continue;
      }
      if (typeof doc.config !== 'object' || doc.config === null) continue; // an attestation or other artifact: not an image
      const name = d.annotations?.['org.opencontainers.image.ref.name'];
      images.push({
        name: typeof name === 'string' ? name : null,
        id: String(doc.config.digest ?? ''),
        config: json<ImageConfig>(path, store, blob(doc.config.digest)),
        layers: (Array.isArray(doc.layers) ? doc.layers : []).map((l: Descriptor) => layer(store, blob(l?.digest), String(l?.digest))),
      });
    }
  };
  walk(json(path, store, 'index.json'), 0);
  return images;
}

function layer(store: Store, name: string, digest: string): ImageLayer {
  if (!store.has(name)) throw new SkScanError(`layer ${digest} is missing from the image (${name})`);
  return { digest, open: () => store.open(name), head: () => store.head(name, 4) };
}

function folderStore(dir: string): Store {
  // A manifest names files inside the image: a name that climbs out of it (`../../etc/…`) names nothing.
  const at = (name: string) => {
    const inside = posix.normalize(name);
    if (inside.startsWith('../') || inside === '..' || posix.isAbsolute(inside)) throw new SkScanError(`${dir}: the image names ${name.slice(0, 80)}, which is outside it`);
    return posix.join(dir, inside);
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
