/** `sk-scan image`: docker save tarballs and OCI layouts, every layer (deleted files too) and the config, no daemon. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanImage, type Report } from '../../src/index.js';
import { gzip, zip } from '../helpers/archives.js';
import { dockerArchive, ociLayout, umoci } from '../helpers/images.js';
import { fakeKey } from '../helpers/keys.js';
import { runCli, tempDir } from '../helpers/run.js';

const where = (r: Report) => r.findings.map((f) => ({ file: f.image?.file, layer: f.image?.layer, deletedIn: f.image?.deletedIn, replacedIn: f.image?.replacedIn, line: f.line }));

describe('sk-scan image', () => {
  it('finds keys in files later layers deleted, emptied or replaced, and inside a jar in a layer, and says so', () => {
    const [gone, emptied, replaced, jarred] = [fakeKey('live', 'prod'), fakeKey('live'), fakeKey('test'), fakeKey('live')];
    const layout = ociLayout(tempDir(), {
      name: 'shop:2.1',
      layers: [
        { 'app/.env': `CHATBOT_API_KEY=${gone}\n`, 'app/main.js': 'console.log(1)\n', 'etc/conf/secret.ini': `key=${emptied}\n`, 'srv/config.env': `KEY=${replaced}\n` },
        { 'app/.wh..env': '', 'etc/conf/.wh..wh..opq': '', 'app/lib/client.jar': zip([{ name: 'client.properties', data: `api.key=${jarred}\n` }]) },
        { 'srv/config.env': 'KEY=from-the-environment\n' },
      ],
    });
    const r = runCli(['image', layout, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.target.kind).toBe('image');
    expect(where(report)).toEqual([
      { file: 'app/.env', layer: 1, deletedIn: 2, replacedIn: undefined, line: 1 },
      { file: 'etc/conf/secret.ini', layer: 1, deletedIn: 2, replacedIn: undefined, line: 1 },
      { file: 'srv/config.env', layer: 1, deletedIn: undefined, replacedIn: 3, line: 1 },
      { file: 'app/lib/client.jar', layer: 2, deletedIn: undefined, replacedIn: undefined, line: 1 },
    ]);
    const id = report.findings[0]?.path?.split('/')[0] ?? '';
    expect(id).toMatch(/^shop:2\.1@sha256:[0-9a-f]{12}$/);
    expect(report.findings[3]?.member).toBe('client.properties');
    expect(r.stdout).not.toContain(gone);

    const text = runCli(['image', layout], { env: { ...process.env, COLUMNS: '80' } });
    expect(text.stdout).toContain('deleted in layer 2, still in layer 1 of the image');
    expect(text.stdout).toContain('replaced in layer 3, still in layer 1 of the image');
    expect(text.stdout).toMatch(/shop:2\.1@sha256:[0-9a-f]{12}\/sha256:[0-9a-f]{12}\/app\/\.env:1:17/);
    expect(text.stdout.replace(/\s+/g, ' ')).toContain('Rebuild without it (pass it at run time');
    expect(text.stdout).not.toContain('sk-scan:allow');
    // At 80 columns, only a place longer than the line itself runs past it (it is never broken), and its note goes below it.
    for (const line of text.stdout.split('\n')) if (!/^ {4}\S+:\d+:\d+$/.test(line)) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('finds a key set with ENV in the config and its history, in an umoci layout and in the docker save tarball skopeo makes of it', async () => {
    const key = fakeKey('live', 'prod');
    const dir = tempDir();
    const layout = join(dir, 'oci');
    umoci('init', '--layout', layout);
    umoci('new', '--image', `${layout}:app`);
    writeFileSync(join(dir, 'index.js'), 'module.exports = process.env.CHATBOT_API_KEY;\n');
    umoci('insert', '--rootless', '--image', `${layout}:app`, join(dir, 'index.js'), '/srv/index.js');
    umoci('config', '--image', `${layout}:app`, '--config.env', `CHATBOT_API_KEY=${key}`, '--config.cmd', 'node', '--history.created_by', `/bin/sh -c #(nop) ENV CHATBOT_API_KEY=${key}`);
    const oci = await scanImage(layout);
    expect(oci.findings.map((f) => [f.image?.file, f.line])).toEqual([
      ['config/Env', 1],
      ['config/history', 2],
    ]);
    expect(oci.secrets).toHaveLength(1);

    const tarball = dockerArchive(layout, 'app', join(dir, 'app.tar'), 'app:1.0');
    const r = runCli(['image', tarball]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/app:1\.0@sha256:[0-9a-f]{12}\/config\/Env:1:17/);
    expect(r.stdout).toContain('in the image config (its build history)');
    expect(r.stdout).not.toContain(key);
  });

  it('passes a clean image, as a folder, as a tar of the layout, and with layers stored uncompressed', () => {
    const dir = tempDir();
    const layout = ociLayout(join(dir, 'layout'), { layers: [{ 'srv/app.js': 'const key = process.env.CHATBOT_API_KEY;\n' }, { 'srv/README': 'sk_live_your_key_here\n' }] });
    const plain = ociLayout(join(dir, 'plain'), { plain: true, layers: [{ 'srv/app.js': 'x\n' }] });
    execFileSync('tar', ['cf', join(dir, 'layout.tar'), '-C', layout, '.']);
    for (const target of [layout, join(dir, 'layout.tar'), plain]) {
      const r = runCli(['image', target]);
      expect({ target, code: r.code, err: r.stderr }).toEqual({ target, code: 0, err: '' });
      expect(r.stdout).toMatch(/^No secrets found\. \(scanned \d+ files/);
    }
  });

  it('refuses what is not an image with one line and exit 2', () => {
    const dir = tempDir();
    const cases: [string[], RegExp][] = [
      [['image', join(dir, 'nope.tar')], /^sk-scan: error: cannot read .*nope\.tar: it does not exist\n$/],
      [['image', dir], /^sk-scan: error: .* is not a container image: it has neither manifest\.json \(docker save\) nor index\.json/],
      [['image'], /^sk-scan: error: image needs a PATH/],
    ];
    writeFileSync(join(dir, 'img.tar.gz'), gzip(Buffer.from('not a tar')));
    cases.push([['image', join(dir, 'img.tar.gz')], /is not a container image: .*gunzip it first/]);
    for (const [args, message] of cases) {
      const r = runCli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('an image whose config has odd shapes', () => {
  it('scans a config whose Env, Cmd and history are not lists, and finds the key in them', () => {
    const key = fakeKey('live');
    const layout = ociLayout(tempDir(), { layers: [{ 'a.txt': 'a\n' }] });
    // Rewrite the config blob by hand: Env a string, Cmd a string, history a list of strings.
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
    const blob = (digest: string) => join(layout, 'blobs', 'sha256', digest.slice(7));
    const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
    writeFileSync(blob(manifest.config.digest), JSON.stringify({ config: { Env: `KEY=${key}`, Cmd: 'run', Labels: ['x'] }, history: ['RUN true', { created_by: 7 }] }));
    const r = runCli(['image', layout, '--format', 'json']);
    expect(r.stderr).not.toMatch(/TypeError|at /);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { image: { file: string } }) => f.image.file)).toEqual(['config/Env']);
  });
});

describe('an image that names files outside itself', () => {
  it('refuses a layer path that climbs out of the image folder, in one line', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['../../../../etc/hostname'] }]));
    writeFileSync(join(dir, 'c.json'), '{}');
    const r = runCli(['image', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sk-scan: error: .*the image names \.\.\/\.\.\/\.\.\/\.\.\/etc\/hostname, which is outside it\n$/);
  });
});
