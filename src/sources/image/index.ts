/**
 * A container image as a source: every file of every layer, those a later
 * layer deleted included (they are still in the image, for anyone who pulls
 * it), and the config's Env, Labels, Cmd, Entrypoint and history, where
 * `ENV` and `ARG` values stay.
 *
 * A place is `<image>@sha256:<id>/sha256:<layer>/<path>`, with digests cut to
 * 12 hex digits, or `<image>@sha256:<id>/config/Env` (line N: the Nth entry).
 * After detection, each finding in a layer learns whether a later layer
 * deleted (a whiteout) or replaced its file.
 */
import { createHash, type Hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { posix } from 'node:path';
import type * as Zlib from 'node:zlib';
import { describeIoError } from '../../common/errors.js';
import { formatBytes } from '../../common/text.js';
import { TarReader } from '../../content/archive/tar.js';
import { OwnedBytes } from '../../content/read.js';
import type { BytesItem, Hit, ImagePlace, Origin, Source, SourceEvents } from '../types.js';
import { openImages, type Image, type ImageConfig } from './layout.js';

const short = (digest: string) => digest.replace(/^(sha256:)?([0-9a-f]{12})[0-9a-f]*$/, (_, alg: string | undefined, hex: string) => `${alg ?? ''}${hex}`);

/** `app:1.0@sha256:3f2a9c1b7d4e`: Docker Hub's `docker.io/library/` left out, as docker itself shows names. */
export function imageLabel(image: Image): string {
  return `${(image.name ?? 'image').replace(/^docker\.io\/(library\/)?/, '')}@${short(image.id)}`;
}

/** What each layer took away from the layers below it. */
interface LayerChanges {
  /** Paths a whiteout (`.wh.name`) deleted. */
  deleted: Set<string>;
  /** Folders an opaque whiteout (`.wh..wh..opq`) emptied. */
  emptied: Set<string>;
  /** Files it holds (a file at the same path replaces a lower one). */
  files: Set<string>;
}

export function imageSource(path: string, maxFileSize: number): Source {
  const changes = new Map<string, LayerChanges[]>();
  return {
    kind: 'image',
    root: path,
    async *items(events: SourceEvents) {
      const { images, problems } = await openImages(path);
      for (const p of problems) events.skip('unreadable', p.where, p.message);
      for (const image of images) {
        const label = imageLabel(image);
        yield configItems(image.config, label, image.layers.length);
        const layers: LayerChanges[] = [];
        changes.set(label, layers);
        for (const [i, layer] of image.layers.entries()) {
          const seen: LayerChanges = { deleted: new Set(), emptied: new Set(), files: new Set() };
          layers.push(seen);
          const place = (file: string): ImagePlace => ({ image: label, layer: i + 1, layers: image.layers.length, digest: layer.digest, file });
          const where = `${label}/${short(layer.digest)}`;
          yield* layerItems(layer, where, maxFileSize, events, seen, place);
        }
      }
    },
    history: {
      // Where each find is in the image: deleted or replaced by a later layer, or still there.
      attribute: (hits: Hit[]): Promise<Origin[][]> => Promise.resolve(hits.map(({ origin }) => [withFate(origin, changes.get(origin.image?.image ?? '') ?? [])])),
      names: () => Promise.resolve([]),
      targets: () => null,
    },
  };
}

/** The config's fields where a Dockerfile's values stay, each as a small text: one line per entry. */
function configItems(config: ImageConfig, label: string, layers: number): BytesItem[] {
  // A config is the image's own JSON: whatever shape a field has, its text is scanned, never trusted to be a list.
  const c: Record<string, unknown> = isObject(config.config) ? config.config : {};
  const fields: [string, string[]][] = [
    ['Env', list(c['Env'])],
    ['Labels', isObject(c['Labels']) ? Object.entries(c['Labels']).map(([k, v]) => `${k}=${text(v)}`) : list(c['Labels'])],
    ['Cmd', [list(c['Cmd']).join(' ')].filter(Boolean)],
    ['Entrypoint', [list(c['Entrypoint']).join(' ')].filter(Boolean)],
    ['history', Array.isArray(config.history) ? config.history.map((h: unknown) => (isObject(h) ? text(h['created_by']) : text(h))) : list(config.history)],
  ];
  return fields
    .filter(([, lines]) => lines.length > 0)
    .map(([field, lines]) => ({
      origin: { path: `${label}/config/${field}`, commit: null, image: { image: label, layer: null, layers, digest: null, file: `config/${field}` } },
      bytes: new OwnedBytes(Buffer.from(lines.map((l) => String(l).replace(/\n/g, ' ')).join('\n'))),
    }));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field's text: a string as it is, anything else as JSON. */
function text(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
}

/** A field as lines: a list's entries, or the value itself. */
function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(text);
  return v === undefined || v === null ? [] : [text(v)];
}

let zlib: typeof Zlib | null = null;

async function* layerItems(
  layer: Image['layers'][number],
  where: string,
  maxFileSize: number,
  events: SourceEvents,
  seen: LayerChanges,
  place: (file: string) => ImagePlace,
): AsyncGenerator<BytesItem[]> {
  const head = layer.head();
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) {
    events.skip('unreadable', where, 'a zstd-compressed layer, which sk-scan cannot read yet');
    return;
  }
  let stream = layer.open();
  // A blob stored under its digest is checked against it as it is read: bytes that are not what the manifest names are said to be so.
  const hash = layer.expect !== null ? digestHash(layer.expect) : null;
  if (hash) stream.on('data', (chunk: Buffer) => hash.update(chunk));
  if (head[0] === 0x1f && head[1] === 0x8b) {
    zlib ??= createRequire(import.meta.url)('node:zlib') as typeof Zlib;
    stream = stream.pipe(zlib.createGunzip());
  }
  let pending: BytesItem[] = [];
  const reader = new TarReader(
    {
      entry(entry, content) {
        const dir = posix.dirname(entry.name);
        const base = posix.basename(entry.name);
        if (base === '.wh..wh..opq') return void seen.emptied.add(dir);
        if (base.startsWith('.wh.')) return void seen.deleted.add(posix.join(dir, base.slice(4)));
        if (entry.type !== 'file') return;
        seen.files.add(entry.name);
        const path = `${where}/${entry.name}`;
        if (content === null) return events.skip('tooLarge', path, `${formatBytes(entry.size)}, over the ${formatBytes(maxFileSize)} limit (maxFileSize)`);
        pending.push({ origin: { path, commit: null, image: place(entry.name) }, bytes: new OwnedBytes(content) });
      },
    },
    maxFileSize,
  );
  try {
    for await (const chunk of stream) {
      reader.push(chunk as Buffer);
      if (pending.length > 0) {
        yield pending;
        pending = [];
      }
    }
    reader.end();
    if (hash && layer.expect !== null && `${layer.expect.split(':')[0]}:${hash.digest('hex')}` !== layer.expect) {
      events.skip('unreadable', where, `its bytes do not match the digest it is stored under (${short(layer.expect)}): not the layer the manifest names`);
    }
  } catch (err) {
    // What came before is scanned; the rest of the layer is not, and the scan says so.
    events.skip('unreadable', where, `the layer is damaged: ${err instanceof Error && !('code' in err && typeof err.code === 'string' && err.code.startsWith('E')) ? err.message : describeIoError(err)}`);
  }
  if (pending.length > 0) yield pending;
}

/** A hash for the algorithm a digest names (`sha256:…`), or null for one node does not know. */
function digestHash(digest: string): Hash | null {
  try {
    return createHash(digest.split(':')[0] ?? '');
  } catch {
    return null;
  }
}

/** A finding's origin, told whether a later layer deleted or replaced its file. */
function withFate(origin: Origin, layers: LayerChanges[]): Origin {
  const img = origin.image;
  if (!img || img.layer === null) return origin;
  for (let j = img.layer; j < layers.length; j++) {
    const later = layers[j] as LayerChanges;
    for (let p = img.file; p !== '.' && p !== ''; p = posix.dirname(p)) {
      if (later.deleted.has(p) || (p !== img.file && later.emptied.has(p))) return { ...origin, image: { ...img, deletedIn: j + 1 } };
    }
    if (later.emptied.has('.') || later.emptied.has('')) return { ...origin, image: { ...img, deletedIn: j + 1 } };
    if (later.files.has(img.file)) return { ...origin, image: { ...img, replacedIn: j + 1 } };
  }
  return origin;
}
