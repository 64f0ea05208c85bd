/** Container images for tests, without a daemon: OCI layouts written by hand, or by umoci and skopeo. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzip, tar } from './archives.js';

export interface ImageSpec {
  name?: string;
  /** Each layer's files, bottom first; `dir/.wh.name` deletes `dir/name` below, `dir/.wh..wh..opq` empties `dir`. */
  layers: Record<string, string | Buffer>[];
  env?: string[];
  history?: string[];
  /** Store layers uncompressed (docker save does). */
  plain?: boolean;
}

const digestOf = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Writes an OCI image layout (image-spec v1.1) at `dir` and returns it. */
export function ociLayout(dir: string, spec: ImageSpec): string {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const blob = (data: Buffer, mediaType: string) => {
    const digest = digestOf(data);
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), data);
    return { mediaType, digest, size: data.length };
  };
  const tars = spec.layers.map((files) => tar(files));
  const layers = tars.map((t) => (spec.plain ? blob(t, 'application/vnd.oci.image.layer.v1.tar') : blob(gzip(t), 'application/vnd.oci.image.layer.v1.tar+gzip')));
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: spec.env ?? ['PATH=/usr/bin'] },
    rootfs: { type: 'layers', diff_ids: tars.map(digestOf) },
    history: (spec.history ?? spec.layers.map((_, i) => `COPY layer${i} /`)).map((created_by) => ({ created_by })),
  };
  const configDesc = blob(Buffer.from(JSON.stringify(config)), 'application/vnd.oci.image.config.v1+json');
  const manifest = blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDesc, layers })), 'application/vnd.oci.image.manifest.v1+json');
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': spec.name ?? 'latest' } }] }));
  return dir;
}

/** `skopeo copy oci:DIR:REF docker-archive:FILE:NAME`: the tarball `docker save` writes. */
export function dockerArchive(layout: string, ref: string, file: string, name: string): string {
  execFileSync('skopeo', ['--insecure-policy', 'copy', '-q', `oci:${layout}:${ref}`, `docker-archive:${file}:${name}`], { stdio: 'pipe' });
  return file;
}

export function umoci(...args: string[]): string {
  return execFileSync('umoci', args, { stdio: 'pipe' }).toString();
}
