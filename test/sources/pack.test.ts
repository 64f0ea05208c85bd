/**
 * The object-store reader against git itself: every object of real packs
 * (deep delta chains by offset and by id, SHA-1 and SHA-256) is rebuilt and
 * must hash to its id, and read as git reads it.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackError, PackFile } from '../../src/sources/git/store/pack.js';
import { Arena } from '../../src/sources/git/store/arena.js';
import { walkPack } from '../../src/sources/git/store/walk.js';
import { DELTA_WASM } from '../../src/sources/git/store/delta-wasm.js';
import { assemble } from '../../scripts/wasm.mjs';
import { applyDelta, DeltaError } from '../../src/sources/git/store/delta.js';
import { readLoose } from '../../src/sources/git/store/loose.js';
import { importCommits, makeRepo, type TestRepo } from '../helpers/git.js';
import { rng, randomBody } from '../helpers/keys.js';

/** A history whose files change a little at each commit: packed, most versions are deltas of another. */
function history(repo: TestRepo): void {
  const next = rng(29);
  const files: Record<string, string> = {};
  for (let f = 0; f < 12; f++) files[`src/f${f}.txt`] = Array.from({ length: 80 }, () => randomBody(next, 60)).join('\n');
  importCommits(
    repo,
    Array.from({ length: 120 }, (_, i) => {
      const name = `src/f${i % 12}.txt`;
      const lines = (files[name] as string).split('\n');
      lines[Math.floor(next() * lines.length)] = randomBody(next, 60);
      if (i % 7 === 0) lines.splice(Math.floor(next() * lines.length), 0, randomBody(next, 30));
      files[name] = lines.join('\n');
      return { message: `change ${i}`, files: { [name]: files[name] } };
    }),
  );
}

function packOf(repo: TestRepo, bare: boolean): PackFile {
  const dir = join(repo.dir, ...(bare ? [] : ['.git']), 'objects', 'pack');
  const idx = readdirSync(dir).find((f) => f.endsWith('.idx')) as string;
  return new PackFile(join(dir, idx), join(dir, idx.replace(/\.idx$/, '.pack')));
}

/** Every object rebuilt, hashed as git hashes it; how many were deltas. */
function checkAll(pack: PackFile, hash: 'sha1' | 'sha256'): number {
  let seen = 0;
  for (const id of pack.ids()) {
    const { type, bytes } = pack.read(pack.offsetOf(id));
    const h = createHash(hash).update(`${type} ${bytes.length}\0`).update(bytes).digest('hex');
    expect(h, `object ${id}`).toBe(id);
    seen++;
  }
  return seen;
}

describe('reading packs directly', () => {
  for (const [label, config, sha256] of [
    ['deltas by offset (OFS_DELTA)', [], false],
    ['deltas by id (REF_DELTA)', ['-c', 'repack.useDeltaBaseOffset=false'], false],
    ['a SHA-256 repository', [], true],
  ] as const) {
    it(`rebuilds every object of a pack with ${label}, each hashing to its id`, () => {
      const repo = makeRepo({ sha256 });
      history(repo);
      repo.git(...config, 'repack', '-adfq', '--depth=50', '--window=50');
      const pack = packOf(repo, false);
      const stats = repo.git('verify-pack', '-v', ...readdirSync(join(repo.dir, '.git', 'objects', 'pack')).filter((f) => f.endsWith('.idx')).map((f) => join(repo.dir, '.git', 'objects', 'pack', f)));
      // git says the pack holds delta chains: this is what is being tested.
      expect(stats).toMatch(/chain length = [2-9]/);
      expect(checkAll(pack, sha256 ? 'sha256' : 'sha1')).toBe(pack.count);
      expect(pack.idLength).toBe(sha256 ? 32 : 20);
      // The same bytes git gives for a blob.
      const blob = repo.git('rev-parse', 'HEAD:src/f3.txt').trim();
      expect(pack.read(pack.offsetOf(blob)).bytes.toString()).toBe(repo.git('cat-file', 'blob', blob));
      expect(pack.offsetOf('0'.repeat(sha256 ? 64 : 40))).toBe(-1);
    }, 60_000);
  }

  for (const [label, arena, windows] of [
    ['in WebAssembly', () => new Arena(), undefined],
    // 64 KiB: most versions do not fit above a chain of a few, and are built in JavaScript.
    ['when its stack is too small for most chains', () => new Arena(1 << 16), undefined],
    // Objects across windows' ends, larger than half a window, and windows let go and their memory reused.
    ['reading the pack through four windows of 256 bytes', () => new Arena(), { window: 256, count: 4 }],
  ] as const) {
    it(`walks every delta family depth first ${label}, each object once, each hashing to its id`, () => {
      const repo = makeRepo();
      history(repo);
      repo.git('repack', '-adfq', '--depth=50', '--window=50');
      const dir = join(repo.dir, '.git', 'objects', 'pack');
      const idx = readdirSync(dir).find((f) => f.endsWith('.idx')) as string;
      const pack = new PackFile(join(dir, idx), join(dir, idx.replace(/\.idx$/, '.pack')), 20, windows);
      const seen = new Set<string>();
      let fresh = 0;
      for (const w of walkPack(pack, arena(), () => true)) {
        expect('problem' in w ? w.problem : '').toBe('');
        if ('problem' in w || 'tooLarge' in w) continue;
        const id = pack.idOf(w.ordinal);
        expect(createHash('sha1').update(`${w.type} ${w.bytes.length}\0`).update(w.bytes).digest('hex'), id).toBe(id);
        expect(seen.has(id)).toBe(false);
        seen.add(id);
        fresh += w.fresh?.length ?? 0;
      }
      // Every object but the trees, which nothing reads.
      const trees = repo.git('cat-file', '--batch-all-objects', '--batch-check=%(objecttype)').split('\n').filter((t) => t === 'tree').length;
      expect(seen.size).toBe(pack.count - trees);
      expect(fresh).toBeGreaterThan(100);
    });
  }

  it('gives every object once in the order the pack stores them, as read by id', () => {
    const repo = makeRepo();
    history(repo);
    repo.git('repack', '-adfq', '--depth=50');
    const pack = packOf(repo, false);
    const seen = new Set<string>();
    let last = -1;
    for (const o of pack.objects()) {
      expect(o.offset).toBeGreaterThan(last);
      last = o.offset;
      expect(o.bytes).toEqual(pack.read(pack.offsetOf(o.id)).bytes);
      seen.add(o.id);
    }
    expect(seen.size).toBe(pack.count);
  }, 60_000);

  it('reads loose objects, each hashing to its id, and refuses a file that is not one', () => {
    // fast-import writes a pack: its objects are unpacked, one file each, into a repository of their own.
    const source = makeRepo();
    history(source);
    const repo = makeRepo();
    const packDir = join(source.dir, '.git', 'objects', 'pack');
    const packFile = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.pack')) as string);
    expect(spawnSync('git', ['unpack-objects', '-q'], { cwd: repo.dir, input: readFileSync(packFile) }).status).toBe(0);
    const objects = join(repo.dir, '.git', 'objects');
    const ids = repo.git('cat-file', '--batch-all-objects', '--batch-check=%(objectname)').trim().split('\n');
    expect(ids.length).toBeGreaterThan(100);
    for (const id of ids) {
      const o = readLoose(objects, id);
      expect(o, id).not.toBeNull();
      const { type, bytes } = o as { type: string; bytes: Buffer };
      expect(createHash('sha1').update(`${type} ${bytes.length}\0`).update(bytes).digest('hex')).toBe(id);
    }
    expect(readLoose(objects, 'f'.repeat(40))).toBeNull();
    const fake = 'ab' + 'c'.repeat(38);
    mkdirSync(join(objects, 'ab'), { recursive: true });
    writeFileSync(join(objects, 'ab', fake.slice(2)), deflateSync('blob 99\0short'));
    expect(() => readLoose(objects, fake)).toThrow(/no valid header/);
  }, 60_000);

  it('refuses a damaged pack or delta by name, never returning wrong bytes', () => {
    const repo = makeRepo({ bare: true });
    const work = makeRepo();
    work.commit('a', { 'a.txt': 'hello\n'.repeat(50) });
    work.git('push', '-q', repo.dir, 'HEAD:main');
    repo.git('repack', '-adq');
    const dir = join(repo.dir, 'objects', 'pack');
    const idx = readdirSync(dir).find((f) => f.endsWith('.idx')) as string;
    writeFileSync(join(dir, 'bad.idx'), Buffer.from('not an index at all, not even close to one'));
    expect(() => new PackFile(join(dir, 'bad.idx'), join(dir, idx.replace(/\.idx$/, '.pack')))).toThrow(PackError);
    expect(() => applyDelta(Buffer.from('base'), Buffer.from([4, 3, 0x90, 9]))).toThrow(DeltaError);
    expect(() => applyDelta(Buffer.from('base'), Buffer.from([5, 1, 1, 0x41]))).toThrow(/base of 5 bytes/);
    expect(applyDelta(Buffer.from('hello world'), Buffer.from([11, 8, 0x90, 5, 3, 0x41, 0x42, 0x43]))).toEqual(Buffer.from('helloABC'));
    // The same deltas in WebAssembly: the same bytes, the same refusals, the same new ranges.
    const arena = new Arena();
    const fresh: number[] = [];
    expect(arena.apply(Buffer.from('hello world'), Buffer.from([11, 8, 0x90, 5, 3, 0x41, 0x42, 0x43]), fresh)).toEqual(Buffer.from('helloABC'));
    expect(fresh).toEqual([5, 8]);
    const base = Buffer.from('base');
    expect(() => arena.apply(base, Buffer.from([4, 3, 0x90, 9]))).toThrow(/copies past its base/);
    expect(() => arena.apply(base, Buffer.from([4, 3, 0x02, 0x41]))).toThrow(/inserts past its end/);
    expect(() => arena.apply(base, Buffer.from([4, 3, 0x00]))).toThrow(/reserved instruction 0/);
    expect(() => arena.apply(base, Buffer.from([4, 3, 0x91, 0, 2]))).toThrow(/does not build the size it names/);
    // An offset past 2 GiB is past the base, not a negative one.
    expect(() => arena.apply(base, Buffer.from([4, 1, 0x98, 0xff, 1]))).toThrow(/copies past its base/);
  });

  it('runs the delta module assembled from delta.wat, byte for byte', async () => {
    const wat = readFileSync(new URL('../../src/sources/git/store/delta.wat', import.meta.url), 'utf8');
    expect(Buffer.from(await assemble(wat)).toString('base64')).toBe(DELTA_WASM);
  });
});
