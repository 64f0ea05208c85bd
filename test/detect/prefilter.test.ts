/** The keyword prefilter's one pass: the same places as a search per anchor, wherever they fall. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Prefilter } from '../../src/detect/prefilter.js';
import { PREFILTER_WASM } from '../../src/detect/prefilter-wasm.js';
import { assemble } from '../../scripts/wasm.mjs';
import { randomBody, rng } from '../helpers/keys.js';

const bytes = (...anchors: string[]) => anchors.map((a) => Buffer.from(a, 'latin1'));

/** Both ways of finding, which must agree; the SIMD one must be the one that runs on Node 20. */
function both(anchors: Buffer[]) {
  const simd = new Prefilter(anchors);
  const plain = new Prefilter(anchors, { simd: false });
  expect(simd.simd).toBe(true);
  expect(plain.simd).toBe(false);
  return (buf: Buffer) => {
    const got = simd.find(buf);
    expect(got).toEqual(plain.find(buf));
    return got;
  };
}

/** Text of common letters with `anchors` planted at random places, some overlapping. */
function planted(next: () => number, length: number, anchors: Buffer[], count: number): Buffer {
  const alphabet = Buffer.from(' etnroiasl\ncdpumf_h.g()y,"/*=;bk:vw-TSEWHOKN7365%\\u0x2c');
  const buf = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buf[i] = alphabet[Math.floor(next() * alphabet.length)] as number;
  for (let k = 0; k < count; k++) {
    const a = anchors[Math.floor(next() * anchors.length)] as Buffer;
    a.copy(buf, Math.floor(next() * Math.max(1, length - a.length + 1)));
  }
  return buf;
}

describe('the keyword prefilter', () => {
  // Anchors like the engine's: the rules' (k_, web, Webhoo, HOOK, Hook) and the decoders' (base64, hex, escapes), and a word.
  const engine = bytes('k_', 'web', 'Webhoo', 'HOOK', 'Hook', 'c2t', 'NrX', 'a19', 'Secret', '736', '%5', '\\u005');

  it('finds every place each anchor starts, overlapping ones too, with more anchors than buckets', () => {
    const find = both(engine);
    const next = rng(7);
    for (let round = 0; round < 40; round++) find(planted(next, 1 + Math.floor(next() * 3000), engine, Math.floor(next() * 30)));
    expect(find(Buffer.from('k_k_k_ Secret736b5f %5F \\u005f'))?.[0]).toEqual([0, 2, 4]);
  });

  it('finds anchors of one and two bytes, at the very start and the very end of a buffer', () => {
    const find = both(bytes('q', '_x', 'zz'));
    expect(find(Buffer.from('q_xzz'))).toEqual([[0], [1], [3]]);
    expect(find(Buffer.from('aaaq'))).toEqual([[3], undefined, undefined]);
    expect(find(Buffer.from('aaazz'))).toEqual([undefined, undefined, [3]]);
    expect(find(Buffer.from('nothing here'))).toBeNull();
    expect(find(Buffer.alloc(0))).toBeNull();
  });

  it('finds an anchor that straddles the pieces a large buffer is searched in', () => {
    const find = both(engine);
    const piece = 256 * 1024;
    const base = planted(rng(11), 2 * piece + 100, [], 0);
    // Starting 1 to 6 bytes before a piece's end: the first three bytes (what the loop looks at) or the rest across it.
    for (let back = 1; back <= 6; back++) {
      const buf = Buffer.from(base);
      Buffer.from('Secret').copy(buf, piece - back);
      Buffer.from('\\u005').copy(buf, 2 * piece - back);
      const hits = find(buf);
      expect(hits?.[8]).toContain(piece - back);
      expect(hits?.[11]).toContain(2 * piece - back);
    }
  });

  it('keeps every place in a buffer made of nothing but anchors (more places than one call returns)', () => {
    const find = both(bytes('k_', 'ab'));
    const hits = find(Buffer.from('k_'.repeat(50_000)));
    expect(hits?.[0]).toHaveLength(50_000);
    expect(hits?.[0]?.[49_999]).toBe(99_998);
  });

  it('uses a plan worked out before only when it places every anchor once, and finds the same either way', () => {
    const planned = new Prefilter(engine).plan;
    const next = rng(11);
    const texts = Array.from({ length: 20 }, () => planted(next, 2000, engine, 20));
    const reference = new Prefilter(engine, { simd: false });
    const fromPlan = new Prefilter(engine, { plan: planned });
    expect(fromPlan.plan).toEqual(planned);
    // A plan that loses an anchor, places one twice, or puts a fingerprint outside its anchor is not taken: worked out afresh.
    const losing = new Prefilter(engine, { plan: { ...planned, buckets: planned.buckets.map((b) => b.filter((i) => i !== 0)) } });
    const twice = new Prefilter(engine, { plan: { ...planned, buckets: [[0], ...planned.buckets] } });
    const outside = new Prefilter(engine, { plan: { ...planned, fingerprints: planned.fingerprints.map(() => 4) } });
    for (const p of [losing, twice, outside]) expect(p.plan).toEqual(planned);
    for (const text of texts) for (const p of [fromPlan, losing, twice, outside]) expect(p.find(text)).toEqual(reference.find(text));
  });

  it('looks for a long anchor by its three bytes rarest in text, and reports where the whole anchor starts', () => {
    // `Fla`, `Web` and `quo` start many words (Flags, WebSocket, quote); `teD`, `bho` and `d-p` hardly any.
    const anchors = bytes('FlateDecode', 'Webhoo', 'quoted-printable');
    const { fingerprints } = new Prefilter(anchors).plan;
    expect(anchors.map((a, i) => a.toString('latin1', fingerprints[i], (fingerprints[i] as number) + 3))).toEqual(['teD', 'bho', 'd-p']);
    const find = both(anchors);
    expect(find(Buffer.from('Flags WebSocket quoted'))).toBeNull();
    expect(find(Buffer.from('/FlateDecode Webhook quoted-printable FlateDecode'))).toEqual([[1, 38], [13], [21]]);
    // A fingerprint near the start of a buffer whose anchor would begin before it is no hit.
    expect(find(Buffer.from('teDecode bhoo'))).toBeNull();
    // Anchors across the pieces a large buffer is searched in, the fingerprint on either side.
    const piece = 256 * 1024;
    for (let back = 1; back <= 14; back++) {
      const buf = Buffer.alloc(2 * piece, 'x');
      Buffer.from('FlateDecode').copy(buf, piece - back);
      expect(find(buf)?.[0]).toEqual([piece - back]);
    }
  });

  describe('long base64 runs (where base64 inside base64 is looked for)', () => {
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    /** Both ways, with runs asked for: the runs' list follows the anchors', as start and end pairs. */
    const runsOf = (buf: Buffer): [number, number][] => {
      const simd = new Prefilter(bytes('k_'), { base64Runs: true });
      const plain = new Prefilter(bytes('k_'), { base64Runs: true, simd: false });
      const got = simd.find(buf);
      expect(got).toEqual(plain.find(buf));
      const flat = got?.[1] ?? [];
      return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i] as number, flat[2 * i + 1] as number]);
    };
    /** Every run of `minimum` or more found, whole and once; nothing found that is not a whole run. */
    const check = (buf: Buffer, runs: [number, number][], minimum: number) => {
      const found = runsOf(buf);
      const key = ([a, b]: [number, number]) => `${a}-${b}`;
      const real = new Set(runs.map(key));
      for (const r of found) expect(real.has(key(r))).toBe(true);
      const got = new Set(found.map(key));
      for (const r of runs) if (r[1] - r[0] >= minimum) expect(got.has(key(r))).toBe(true);
      expect(got.size).toBe(found.length);
    };

    it('says where every run of 47 characters or more is, once, wherever it starts', () => {
      const next = rng(3);
      for (let round = 0; round < 200; round++) {
        const parts: string[] = [];
        const runs: [number, number][] = [];
        let at = 0;
        while (at < 3000) {
          const gap = ' .,:"\n'.repeat(1 + Math.floor(next() * 3)).slice(0, 1 + Math.floor(next() * 5));
          const run = randomBody(next, 1 + Math.floor(next() * 120), B64);
          parts.push(gap, run);
          runs.push([at + gap.length, at + gap.length + run.length]);
          at += gap.length + run.length;
        }
        check(Buffer.from(parts.join('')), runs, 47);
      }
    });

    it('finds runs across the pieces a large buffer is searched in, and with more places than one call returns', () => {
      const piece = 256 * 1024;
      for (const at of [piece - 40, piece - 24, piece - 17, piece - 16, piece - 8, piece]) {
        const buf = Buffer.alloc(2 * piece + 64, ' ');
        Buffer.from(randomBody(rng(at), 60, B64)).copy(buf, at);
        check(buf, [[at, at + 60]], 47);
      }
      // A run every 48 bytes: 11,000 of them, several calls' worth.
      const dense = Buffer.from(Array.from({ length: 11_000 }, (_, i) => `${randomBody(rng(i), 47, B64)} `).join(''));
      expect(runsOf(dense)).toHaveLength(11_000);
      // One run the whole buffer long is one run, whole; URL-safe characters belong to it.
      expect(runsOf(Buffer.from(randomBody(rng(9), 700_000, B64)))).toEqual([[0, 700_000]]);
      // Found by 47 characters of base64, the run is whole with URL-safe characters in it.
      expect(runsOf(Buffer.from(`"${randomBody(rng(4), 30, B64)}-_${randomBody(rng(5), 50, B64)}"`))).toEqual([[1, 83]]);
    });
  });

  it('refuses an empty anchor, which would be found everywhere', () => {
    expect(() => new Prefilter(bytes('k_', ''))).toThrow(/empty/);
  });

  it('runs the module assembled from prefilter.wat, byte for byte', async () => {
    const wat = readFileSync(new URL('../../src/detect/prefilter.wat', import.meta.url), 'utf8');
    expect(Buffer.from(await assemble(wat)).toString('base64')).toBe(PREFILTER_WASM);
  });
});
