/**
 * The object store read directly against the same history read through git
 * cat-file: the same report, field for field (but timings), on packed
 * histories whose keys sit where a delta-aware reader could lose them: in an
 * inserted line, made of copied and inserted bytes, made by a seam where a
 * deletion joins two copied ranges, carried unchanged through versions that
 * change other lines, inside wrapped and nested base64, in binary content, in
 * messages. Also: loose objects, two packs holding the same objects, SHA-256,
 * and what the reader leaves to git (a partial clone) or cannot read.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scanGit, type Report } from '../../src/index.js';
import { importCommits, makeRepo, type TestRepo } from '../helpers/git.js';
import { fakeKey, randomBody, rng } from '../helpers/keys.js';
import { applyDelta } from '../../src/sources/git/store/delta.js';
import { anchorProbe } from '../../src/detect/probe.js';
import { Detector } from '../../src/detect/engine.js';
import { compileRule } from '../../src/detect/rule.js';
import { readRulesDir } from '../../src/config/builtin.js';

const builtin = await readRulesDir();
import { runCli } from '../helpers/run.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A report without its timings, as JSON; warnings (and the examples in one) come in the order objects were read, which differs: compared as a set. */
function comparable(report: Report): unknown {
  return JSON.parse(JSON.stringify(report, (key, value: unknown) => (key === 'durationMs' ? undefined : key === 'warnings' ? (value as string[]).map((w) => w.replace(/blob [0-9a-f]{40,64}/g, 'blob …')).sort() : value)));
}

async function bothWays(dir: string): Promise<{ store: Report; git: Report }> {
  const [store, git] = [await scanGit([dir], { noCache: true }), await scanGit([dir], { noCache: true, readObjects: 'git' })];
  return { store, git };
}

/** Secrets found, with the blob or commit each is in. */
function places(report: Report): string[] {
  return report.findings.map((f) => `${f.ruleId} ${f.git?.blob ?? f.commit ?? ''} ${f.secret.encoding ?? ''}`).sort();
}

/** How many blobs git stored as deltas. */
function deltas(repo: TestRepo): number {
  return repo
    .git('cat-file', '--batch-all-objects', '--batch-check=%(objecttype) %(deltabase)')
    .split('\n')
    .filter((l) => l.startsWith('blob ') && !/ 0+$/.test(l)).length;
}

/**
 * Sixty commits over five files of random lines, each commit changing a
 * line or two, with keys planted as the file comments say.
 */
function plantedHistory(repo: TestRepo): { keys: string[] } {
  const next = rng(2029);
  const lines = (n: number, width = 60) => Array.from({ length: n }, () => randomBody(next, width));
  const files: Record<string, string[]> = { 'app.env': lines(80), 'config.txt': lines(80), 'notes.txt': lines(80), 'secret.yaml': lines(40), 'data.bin': lines(40) };
  const [k1, k2, k3, k4, k5, k6, k7] = [fakeKey('live'), fakeKey('live'), fakeKey('test'), fakeKey('live', 'prod'), fakeKey('test'), fakeKey('live'), fakeKey('live')] as const;
  const webhook = randomBody(next, 40);
  // Wrapped base64 (76 columns) of random bytes around a key's assignment.
  const wrapped = b64(randomBody(next, 300) + `\nCHATBOT_API_KEY=${k3}\n` + randomBody(next, 300)).match(/.{1,76}/g) as string[];
  const commits: { message: string; files: Record<string, string> }[] = [];
  const edit = (name: string, at: number) => {
    const f = files[name] as string[];
    f[at % f.length] = randomBody(next, 60);
  };
  const binary = (f: string[]) => `\0\0\u0001BIN${f.join('\0')}`;
  for (let i = 0; i < 60; i++) {
    let message = `change ${i}`;
    edit(['app.env', 'config.txt', 'notes.txt'][i % 3] as string, Math.floor(next() * 80));
    const app = files['app.env'] as string[];
    const config = files['config.txt'] as string[];
    const notes = files['notes.txt'] as string[];
    const yaml = files['secret.yaml'] as string[];
    const bin = files['data.bin'] as string[];
    // An inserted line, carried through later versions that change other lines, then taken out.
    if (i === 10) app.splice(40, 0, `API_KEY=${k1}`);
    if (i === 40) app.splice(app.indexOf(`API_KEY=${k1}`), 1);
    // Made of copied and inserted bytes: the start of a key that is too short to be one, then the rest added.
    if (i === 5) config[30] = `token: ${k2.slice(0, 18)}`;
    if (i === 30) config[30] = `token: ${k2}`;
    // Made by a seam: a deletion joins two ranges of the line that were apart.
    const filler = randomBody(next, 200);
    if (i === 6) notes[50] = `${randomBody(next, 150)} ${k5.slice(0, 20)}${filler}${k5.slice(20)} ${randomBody(next, 150)}`;
    if (i === 35) notes[50] = (notes[50] as string).replace(/(sk_test_\w{12})\w{200}/, '$1');
    // Wrapped base64, then a line of the block changed far from the key (the block and its key go on).
    if (i === 8) yaml.splice(10, 0, 'payload: |', ...wrapped.map((l) => `  ${l}`));
    if (i === 20) yaml[11] = `  ${b64(randomBody(next, 57))}`;
    // base64 inside base64, and a gzip payload, added to a yaml file already deltified.
    if (i === 44) yaml.push(`token: ${b64(b64(`CHATBOT_API_KEY=${k4}`))}`);
    if (i === 46) yaml.push(`blob: ${gzipSync(Buffer.from(`x\nCHATBOT_API_KEY=${k6}\n`)).toString('base64')}`);
    // A webhook secret, and a key in binary content, changed a little later on.
    if (i === 12) notes.push(`webhook_secret = "${webhook}"`);
    if (i === 15) bin.splice(20, 0, k7);
    if (i % 9 === 0) edit('data.bin', i);
    if (i === 50) message = `rotate ${k1} out`;
    commits.push({ message, files: { 'app.env': app.join('\n'), 'config.txt': config.join('\n'), 'notes.txt': notes.join('\n'), 'secret.yaml': yaml.join('\n'), 'data.bin': binary(bin) } });
  }
  importCommits(repo, commits);
  return { keys: [k1, k2, k3, k4, k5, k6, k7, webhook] };
}

/** A delta (gitformat-pack(5)) of copies and inserts: [offset, length] copies the base's range, a string inserts it. */
function delta(base: Buffer, ops: ([number, number] | string)[]): Buffer {
  const size = (n: number) => {
    const out: number[] = [];
    do {
      out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      n >>>= 7;
    } while (n > 0);
    return out;
  };
  const target = ops.reduce((n, op) => n + (typeof op === 'string' ? op.length : op[1]), 0);
  const bytes = [...size(base.length), ...size(target)];
  for (const op of ops) {
    if (typeof op === 'string') bytes.push(op.length, ...Buffer.from(op));
    else bytes.push(0x80 | 0x0f | 0x30, op[0] & 0xff, (op[0] >> 8) & 0xff, (op[0] >> 16) & 0xff, op[0] >>> 24, op[1] & 0xff, (op[1] >> 8) & 0xff);
  }
  return Buffer.from(bytes);
}

/** A pack object's header: its type and size (gitformat-pack(5)). */
function objectHeader(type: number, size: number): Buffer {
  const bytes = [(type << 4) | (size % 16)];
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) | 0x80;
    bytes.push(rest % 128);
    rest = Math.floor(rest / 128);
  }
  return Buffer.from(bytes);
}

/** A pack and its version 2 index, written by hand from raw objects (header and zlib data each), whatever they claim. */
function writePack(dir: string, objects: { id: Buffer; raw: Buffer }[]): void {
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(objects.length, 8);
  const offsets: number[] = [];
  let at = 12;
  for (const o of objects) {
    offsets.push(at);
    at += o.raw.length;
  }
  const body = Buffer.concat([head, ...objects.map((o) => o.raw)]);
  const packSum = createHash('sha1').update(body).digest();
  const sorted = objects.map((o, i) => ({ id: o.id, offset: offsets[i] as number })).sort((a, b) => Buffer.compare(a.id, b.id));
  const fanout = Buffer.alloc(256 * 4);
  for (let b = 0; b < 256; b++) fanout.writeUInt32BE(sorted.filter((o) => (o.id[0] as number) <= b).length, b * 4);
  const idx = Buffer.concat([
    Buffer.from([0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2]),
    fanout,
    ...sorted.map((o) => o.id),
    Buffer.alloc(4 * sorted.length),
    ...sorted.map((o) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(o.offset);
      return b;
    }),
    packSum,
  ]);
  const name = `pack-${packSum.toString('hex')}`;
  writeFileSync(join(dir, `${name}.pack`), Buffer.concat([body, packSum]));
  writeFileSync(join(dir, `${name}.idx`), Buffer.concat([idx, createHash('sha1').update(idx).digest()]));
}

describe('what a delta makes new', () => {
  const probe = anchorProbe(new Detector(builtin.map(compileRule)));
  const next = rng(5);
  const key = fakeKey('test');
  const filler = randomBody(next, 300);
  // Lines of words: nothing a decoder looks at (random base62 holds some encoded form or other).
  const words = ['the', 'delta', 'copies', 'ranges', 'of', 'its', 'base', 'and', 'inserts', 'new', 'bytes'];
  const line = () => Array.from({ length: 10 }, () => words[Math.floor(next() * words.length)]).join(' ');
  const text = (s: string) => Array.from({ length: 30 }, line).join('\n') + s + Array.from({ length: 30 }, line).join('\n');

  it('is each insert, and each seam where two copies that were apart in the base meet', () => {
    const base = Buffer.from(text(`\nA ${key.slice(0, 5)}${filler}${key.slice(5)} B\n`));
    const cut = base.indexOf(filler);
    const fresh: number[] = [];
    const out = applyDelta(base, delta(base, [[0, cut], [cut + filler.length, base.length - cut - filler.length], 'tail\n']), fresh);
    expect(out.toString()).toBe(base.toString().replace(filler, '') + 'tail\n');
    // The seam where the key is joined, then the insert at the end.
    expect(fresh).toEqual([cut, cut, out.length - 5, out.length]);
    // The base holds no keyword (the filler cuts it); the result does, made by the seam alone.
    expect(probe.any(base)).toBe(false);
    expect(probe.near(out, fresh)).toBe(true);
    expect(probe.near(out, [out.length - 5, out.length])).toBe(false);
  });

  it('leaves copies that stay adjacent, and inserts in a row, as they are', () => {
    const base = Buffer.from(text('\n'));
    const fresh: number[] = [];
    applyDelta(base, delta(base, [[0, 100], [100, 200], 'x'.repeat(127), 'y', [300, base.length - 300]]), fresh);
    expect(fresh).toEqual([300, 428]);
  });
});

describe('the object store read directly', () => {
  it('reports what reading through git reports, on a packed history of small changes with keys planted where deltas could lose them', async () => {
    const repo = makeRepo();
    const { keys } = plantedHistory(repo);
    repo.git('tag', '-a', 'v1', '-m', `release with ${fakeKey('test')}`);
    repo.git('repack', '-adfq', '--depth=50', '--window=50');
    expect(deltas(repo)).toBeGreaterThan(60);
    const { store, git } = await bothWays(repo.dir);
    expect(comparable(store)).toEqual(comparable(git));
    // Every planted key is found, in every version of its file that holds it.
    const found = new Set(store.findings.map((f) => f.secret.sha256));
    const { createHash } = await import('node:crypto');
    for (const [i, k] of keys.entries()) expect(found.has(createHash('sha256').update(k).digest('hex')), `key ${i}`).toBe(true);
    const k1Blobs = store.findings.filter((f) => f.secret.sha256 === createHash('sha256').update(keys[0] as string).digest('hex') && f.git?.blob);
    expect(new Set(k1Blobs.map((f) => f.git?.blob)).size).toBeGreaterThanOrEqual(10);
    expect(places(store)).toContain(places(store).find((p) => p.includes('base64/base64')));
  });

  it('reads loose objects, and two packs that hold the same objects, as git does', async () => {
    const repo = makeRepo();
    plantedHistory(repo);
    // Half the history packed, all of it packed again into a second pack, and more commits left loose.
    repo.git('repack', '-dq');
    repo.git('repack', '-aq');
    repo.commit('loose one', { 'late.env': `KEY=${fakeKey('live')}\n` });
    const packs = readdirSync(join(repo.dir, '.git', 'objects', 'pack')).filter((f) => f.endsWith('.pack'));
    expect(packs.length).toBe(2);
    const { store, git } = await bothWays(repo.dir);
    expect(comparable(store)).toEqual(comparable(git));
    expect(store.findings.length).toBeGreaterThan(20);
  });

  it('under a maxFileSize smaller than every object, skips every blob and message as too large, as reading through git does', async () => {
    const repo = makeRepo();
    plantedHistory(repo);
    repo.commit('tiny limit', { '.sk-scan.yaml': 'maxFileSize: 1\n' });
    repo.git('repack', '-adfq');
    const { store, git } = await bothWays(repo.dir);
    expect(comparable(store)).toEqual(comparable(git));
    // Every blob version and every commit's message: nothing read, nothing found, each counted.
    expect(store.stats.skipped.tooLarge).toBeGreaterThan(100);
    expect(store.stats.files).toBe(0);
    expect(store.findings).toEqual([]);
  });

  it('reads a SHA-256 repository', async () => {
    const repo = makeRepo({ sha256: true });
    plantedHistory(repo);
    repo.git('repack', '-adfq', '--depth=50', '--window=50');
    const { store, git } = await bothWays(repo.dir);
    expect(comparable(store)).toEqual(comparable(git));
    expect(store.findings.find((f) => f.git?.blob)?.git?.blob).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves a partial clone to git, and says so', () => {
    const repo = makeRepo();
    repo.commit('one', { 'a.txt': 'a\n' });
    repo.git('repack', '-adq');
    const pack = readdirSync(join(repo.dir, '.git', 'objects', 'pack')).find((f) => f.endsWith('.pack')) as string;
    writeFileSync(join(repo.dir, '.git', 'objects', 'pack', pack.replace(/\.pack$/, '.promisor')), '');
    const r = runCli(['git', repo.dir, '--no-cache']);
    expect(r.stderr).toMatch(/objects read through git, more slowly: it is a partial clone/);
    expect(r.code).toBe(0);
  });

  it('reads a pack somebody wrote to hurt it: a size no object has, deltas that never reach a whole object, without allocating what they claim', () => {
    const repo = makeRepo({ bare: true });
    const id = (n: number) => Buffer.from(createHash('sha1').update(`fake ${n}`).digest());
    const [huge, loopA, loopB, fine, cut] = [id(1), id(2), id(3), id(4), id(5)];
    const key = fakeKey('live');
    writePack(join(repo.dir, 'objects', 'pack'), [
      // A blob whose header says 1 TiB, its data a few bytes: never inflated.
      { id: huge, raw: Buffer.concat([objectHeader(3, 2 ** 40), deflateSync('tiny')]) },
      // Two deltas, each on the other: no chain reaches a whole object.
      { id: loopA, raw: Buffer.concat([objectHeader(7, 4), loopB, deflateSync(Buffer.from([4, 4, 0x90, 4]))]) },
      { id: loopB, raw: Buffer.concat([objectHeader(7, 4), loopA, deflateSync(Buffer.from([4, 4, 0x90, 4]))]) },
      // And one ordinary blob, with a key: the rest is read.
      { id: fine, raw: Buffer.concat([objectHeader(3, key.length + 4), deflateSync(`K=${key}\n\n`.slice(0, key.length + 4))]) },
      // A delta on it whose header never ends.
      { id: cut, raw: Buffer.concat([objectHeader(7, 1), fine, deflateSync(Buffer.from([0x80]))]) },
    ]);
    const r = runCli(['git', repo.dir, '--no-cache', '--format', 'json']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toMatch(new RegExp(`skipped, too large: blob ${huge.toString('hex')}: 1\\.0 TiB`));
    expect(r.stderr).toMatch(new RegExp(`cannot read object (${loopA.toString('hex')}|${loopB.toString('hex')}): corrupt: .*(loops|never reaches a whole object)`));
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings.map((f) => f.git?.blob)).toEqual([fine.toString('hex')]);
    expect(r.stderr).toMatch(new RegExp(`cannot read object ${cut.toString('hex')}: corrupt: the delta at \\d+ does not apply: delta ends inside its header`));
    expect(report.stats.skipped.unreadable).toBe(3);
    expect(r.code).toBe(1);
  });

  it('names an object whose packed data is damaged, reads the rest, and exits 2', () => {
    const repo = makeRepo();
    repo.commit('one', { 'a.env': `A=1\n`, 'b.txt': `${randomBody(rng(4), 4000)}\n` });
    repo.git('repack', '-adq');
    const dir = join(repo.dir, '.git', 'objects', 'pack');
    const packFile = join(dir, readdirSync(dir).find((f) => f.endsWith('.pack')) as string);
    const blob = repo.git('rev-parse', 'HEAD:b.txt').trim();
    const offset = Number(
      execFileSync('git', ['verify-pack', '-v', packFile.replace(/\.pack$/, '.idx')])
        .toString()
        .split('\n')
        .find((l) => l.startsWith(blob))
        ?.split(/\s+/)[4],
    );
    const bytes = readFileSync(packFile);
    bytes.fill(0x55, offset + 10, offset + 40);
    writeFileSync(packFile, bytes);
    const r = runCli(['git', repo.dir, '--no-cache', '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`cannot read object ${blob}: corrupt: the object at ${offset} does not inflate`));
    const report = JSON.parse(r.stdout) as Report;
    // The commit, the other blob and the one that could not be read.
    expect(report.stats.files).toBe(2);
    expect(report.stats.skipped.unreadable).toBe(1);
  });
});
